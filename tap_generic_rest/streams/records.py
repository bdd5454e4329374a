"""Records: selecting them from a response, checking them, and the context they give children."""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, StreamError
from tap_generic_rest.expressions.selectors import SelectorNotFoundError, lookup
from tap_generic_rest.http.failures import ParentGone, ResponseIgnored
from tap_generic_rest.http.responses import MalformedResponseError, response_json
from tap_generic_rest.pagination.base import PaginationError
from tap_generic_rest.run.pool import LOOKAHEAD_PER_WORKER, Lookahead, Prefetch
from tap_generic_rest.streams.base import context_key
from tap_generic_rest.streams.retries import RetryingStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context


class RecordStream(RetryingStream):
    """Parses responses into records; children are fetched for every parent record."""

    #: dlt ``parallelized`` (absent: true); false: this stream's partitions are never fetched ahead in the pool
    parallelized: t.ClassVar[bool] = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """No partition prefetched yet."""
        super().__init__(*args, **kwargs)
        self._prefetched: dict[tuple[tuple[str, t.Any], ...], Prefetch] = {}

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        where = f"stream {self.name}: response from {REDACTOR.url(response.url)}"
        try:
            items = self.resource.endpoint.selector.select(
                response_json(response), allow_missing=self.resource.allow_missing
            )
        except MalformedResponseError as exc:
            msg = f"{where}: {exc}; check base_url and that the endpoint returns JSON"
            raise StreamError(msg) from None
        except SelectorNotFoundError:
            document = response_json(response)
            keys = ", ".join(map(str, document)) if isinstance(document, dict) else type(document).__name__
            msg = (
                f"{where}: data_selector {self.resource.endpoint.selector.source!r} matched nothing "
                f"(the response has: {keys}); fix endpoint.data_selector"
            )
            raise StreamError(msg) from None
        scalar_key = self.resource.scalar_key
        parent_fields = self.resource.parent.added if self.resource.parent else ()
        own_keys = [key for key in self.primary_keys if key not in parent_fields]
        for item in items:
            if not isinstance(item, dict):
                if not scalar_key:
                    msg = (
                        f"{where}: a selected item is {type(item).__name__} {str(item)[:40]!r}, not an "
                        "object; point data_selector at a list of objects, or set records.scalar_key"
                    )
                    raise StreamError(msg)
                item = {scalar_key: item}  # noqa: PLW2901
            for key in own_keys:
                if item.get(key) is None:
                    msg = (
                        f"{where}: a record has no value for primary key {key!r} "
                        f"(record keys: {', '.join(item)}); fix primary_key in the description"
                    )
                    raise StreamError(msg)
            yield item

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # The start point is fixed when a partition's sync begins: a sorted stream moves its
        # bookmark while it reads, but every page of one sync must ask for the same window.
        self.fix_start_point(context)
        keep = self._client_side_filter(context)
        try:
            for record in self._source(context):
                if keep is None or keep(record):
                    yield record
                else:
                    self._sync_children_only(record, context)
        except ResponseIgnored as exc:
            self.logger.info("%s", exc)
        except ParentGone as exc:
            self.logger.warning("%s; skipping parent %s", exc, dict(context or {}))
        except ValueError as exc:  # the incremental filter: a record without its cursor
            raise StreamError(f"stream {self.name}: {exc}") from None
        except PaginationError as exc:
            raise StreamError(f"stream {self.name}: {exc}") from None

    @property
    def fetches_ahead(self) -> bool:
        """Whether this stream's partitions are fetched in the pool, ahead of the writer.

        The one place where a stream's concurrency is decided (max_concurrency 1 or dlt
        ``parallelized: false``: never).
        """
        return self.runtime.pool.enabled and self.parallelized

    def _source(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """This partition's records (prefetched by a worker, else requested now), with the
        children of the next records fetched ahead."""
        prefetched = self._prefetched.pop(context_key(context), None)
        if prefetched is None and self.fetches_ahead and self.parent_stream_type is None:
            # a worker reads the pages, so the next page is on its way while this one is written
            prefetched = self.runtime.pool.submit(lambda: self.request_records(context), lambda: None)
        records = prefetched if prefetched is not None else self.request_records(context)
        if self.parent_stream_type is None:
            self._prefetch_following_streams()
        children = [c for c in self.child_streams if isinstance(c, RecordStream) and c.fetches_ahead]
        if not any(c.selected or c.has_selected_descendents for c in children):
            return records
        depth = LOOKAHEAD_PER_WORKER * self.runtime.pool.max_concurrency
        return Lookahead(depth, lambda record: self._prefetch_children(record, context)).over(records)

    def _prefetch_children(self, record: dict[str, t.Any], context: Context | None) -> list[Prefetch]:
        """Start fetching the children of ``record`` in the pool (what ``_sync_children`` will sync)."""
        row = self.post_process(dict(record), context)
        child_context = {key: row.get(field) for key, field in self.child_context_fields.items()}
        if any(value is None for value in child_context.values()):
            return []  # no children for it (get_child_context warns when its turn comes)
        started = [
            child.prefetch(child_context)
            for child in self.child_streams
            if isinstance(child, RecordStream)
            and child.fetches_ahead
            and (child.selected or child.has_selected_descendents)
        ]
        return [prefetch for prefetch in started if prefetch is not None]

    def _prefetch_following_streams(self) -> None:
        """While this top-level stream syncs, workers fetch the first records of the top-level
        streams after it (as many as there are workers), so small streams do not wait in line."""
        streams = [s for s in self._tap.streams.values() if s.parent_stream_type is None]
        following = streams[streams.index(self) + 1 :] if self in streams else []
        wanted = [s for s in following if isinstance(s, RecordStream) and (s.selected or s.has_selected_descendents)]
        for stream in wanted[: self.runtime.pool.max_concurrency]:
            if stream.fetches_ahead:
                stream.prefetch({})

    def prefetch(self, context: dict[str, t.Any]) -> Prefetch | None:
        """Fetch this partition's records in a worker, for a ``get_records(context)`` to come."""
        key = context_key(context)
        if key in self._prefetched:
            return None  # the same parent twice: the second is fetched when its turn comes
        self.fix_start_point(context)

        def forget() -> None:
            if self._prefetched.get(key) is prefetch:
                del self._prefetched[key]

        prefetch = self.runtime.pool.submit(lambda: self.request_records(context or None), forget)
        self._prefetched[key] = prefetch
        return prefetch

    def _sync_children_only(self, record: dict[str, t.Any], context: Context | None) -> None:
        """Children are fetched for every parent record, even one the incremental filter drops."""
        if not self.child_streams:
            return
        record = self.post_process(record, context)
        for child_context in self.generate_child_contexts(record=record, context=context):
            self._sync_children(child_context)

    @override
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any]:
        if self.replication_key:
            row.setdefault(self.replication_key, None)  # a record without its key is emitted (contract §1.5)
        if self.resource.parent is not None and context:
            row.update({key: context[key] for key in self.resource.parent.added if key in context})
        return row

    @override
    def get_child_context(self, record: dict[str, t.Any], context: Context | None) -> dict[str, t.Any] | None:
        child_context = {key: lookup(record, field) for key, field in self.child_context_fields.items()}
        missing = [self.child_context_fields[key] for key, value in child_context.items() if value is None]
        if missing:
            self.logger.warning(
                "Stream %s: a record has no %s; its child streams are skipped for it",
                self.name,
                ", ".join(missing),
            )
            return None
        return child_context
