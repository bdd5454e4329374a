"""The generated singer-sdk streams and what they are built from.

One class of ours, ``stream.GenericStream(RESTStream)``, and one generated subclass of it per
resource (``factory``: the SDK links children to parents by exact class). Its SDK hooks are thin
delegations to collaborators, one module each, testable without the SDK; every private SDK name
is in ``sdk_seam``.

The path of a record::

    SDK sync ─► GenericStream.get_records(context)
                  window.fix(context)                       window: start point fixed for the partition
                  extractor.read(children.source(...), keep=window.client_filter(context))
                    children.source                         children: prefetched in the pool (run/pool.py)
                      └ RESTStream.request_records             or requested now; the children of the next
                          get_http_request ─► request_builder     records fetched ahead
                          request_decorator ─► retry_policy   (retries, Retry-After, token renewal, gate)
                          validate_response ─► retry_policy   (ignore / retry / parent gone / one-line failure)
                          parse_response    ─► extractor.select  (data_selector, scalar_key, primary key)
                  a record the filter drops: its children are still synced (sdk_seam.sync_children)
            ─► post_process ─► extractor.complete           (replication key, fields taken from the parent)
            ─► sdk_seam.generate_record_messages            (deselected popped, conformance.RootConformer,
                                                              stream maps) ─► RECORD via run/writer.py
            ─► sdk_seam.increment_stream_state              (window.advances: lag never moves it back)
            ─► get_child_context ─► children.context_for    (the context of each child partition)
            ─► sdk_seam.write_state_message                 (state_index.StateThrottle: the writer's budget)

STATE: the SDK's bookmarks, kept by ``state_index.IndexedStateManager`` (partition states through an
index, only those with a bookmark), a partition's start computed ahead by ``state_index.PartitionStarts``,
a top-level stream's resume position (``resume``, wired by ``restart``: where its records are done, and a
restart's read from there), written through ``state_index.StateThrottle``; the three private hooks that
write it are in ``sdk_seam``.

Also here: ``inference`` (schemas of resources without one) and ``conformance`` (ROOT_ONLY
conformance prepared once per schema).
"""
