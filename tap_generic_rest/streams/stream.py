"""The stream: one singer-sdk ``RESTStream`` whose hooks delegate to collaborators.

Every SDK hook here is a line or two handing the work to a collaborator built in ``__init__``
from the resource, the description and the run's shared runtime (see the package docstring for
the path of a record). The private SDK hooks are in the block at the end, defined in ``sdk_seam``.
"""

from __future__ import annotations

import logging
import typing as t
from functools import cached_property

from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_generic_rest.http.decoders import streaming
from tap_generic_rest.http.session import prepare_unsigned
from tap_generic_rest.run.logs import PerContextLines, quiet, said_by_the_cli
from tap_generic_rest.run.slow_requests import SLOW_REQUESTS
from tap_generic_rest.streams import sdk_seam
from tap_generic_rest.streams.children import ChildContexts
from tap_generic_rest.streams.conformance import RootConformer
from tap_generic_rest.streams.evolution import SchemaEvolver
from tap_generic_rest.streams.extraction import RecordExtractor
from tap_generic_rest.streams.fanout import FanOut
from tap_generic_rest.streams.report_jobs import ReportJobs
from tap_generic_rest.streams.request_builder import RequestBuilder
from tap_generic_rest.streams.restart import Restart
from tap_generic_rest.streams.retry_policy import RetryPolicy
from tap_generic_rest.streams.scope import Scope
from tap_generic_rest.streams.shaping import RecordShaper, remember_partition
from tap_generic_rest.streams.state_index import IndexedStateManager, PartitionStarts, StateThrottle
from tap_generic_rest.streams.window import IncrementalWindow
from tap_generic_rest.streams.windows import DateWindows, Interval

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    import requests
    from singer_sdk import metrics
    from singer_sdk.helpers.types import Auth, Context, RequestFunc
    from singer_sdk.pagination import BaseAPIPaginator
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_generic_rest.description.model import Description, Resource
    from tap_generic_rest.run.runtime import SyncRuntime


class GenericStream(RESTStream[t.Any]):
    """A stream generated from a description resource (class attributes set by the factory)."""

    resource: t.ClassVar[Resource]
    description: t.ClassVar[Description]
    #: union of the context keys every child of this stream takes from its records
    child_context_fields: t.ClassVar[dict[str, str]] = {}
    #: dlt ``parallelized`` (absent: true); false: this stream's partitions are never fetched ahead in the pool
    parallelized: t.ClassVar[bool] = True
    #: Top-level fields are conformed to the schema (keys and types it lacks were handled before by
    #: the schema contract: ``streams/evolution.py``); nested values pass as the API sent them. The
    #: SDK's ROOT_ONLY conformance, done by a :class:`RootConformer` (same result, prepared once per
    #: schema), so the SDK's own pass is off.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: A STATE message at least every this many records of a sorted stream (a resumable checkpoint).
    STATE_MSG_FREQUENCY = 1000

    def __init__(self, *args: t.Any, runtime: SyncRuntime, **kwargs: t.Any) -> None:
        """Build the collaborators of this stream over the run's shared ``runtime``."""
        super().__init__(*args, **kwargs)
        self.runtime = runtime
        name, resource, config = self.name, self.resource, self.config
        self.window = IncrementalWindow(
            name, resource, config, replication_key=lambda: self.replication_key, schema=lambda: self.schema,
            bookmark=self.get_starting_replication_key_value, sync_started_at=lambda: runtime.sync_started_at)
        scope = Scope(name, resource, self.description, config, runtime)
        self.request_builder = RequestBuilder(scope, self.window.variables)
        self.retry_policy = RetryPolicy(scope, self.logger)
        self.shaper = RecordShaper(name, resource, self.window.variables, self.logger)
        self.extractor = RecordExtractor(name, resource, self.logger, self.shaper)
        self.report_jobs = ReportJobs(self) if resource.report_job else None
        self.starts = PartitionStarts(config, self.compare_start_date)
        self.fanout = FanOut(name, resource, config, self.logger)
        self.throttle = StateThrottle(lambda: getattr(sdk_seam.tap_of(self), "message_writer", None))
        self.throttle.final_only = resource.group_parents is not None
        self.restart = Restart(self, resource.endpoint.pagination.resumable, self.logger, windowed=self.window.windowed)
        self.windows = DateWindows(name, resource, config, self.window, runtime, fetch=self.request_records,
                                   complete=self._window_complete, parallelized=self.parallelized)
        self.children = ChildContexts(  # a windowed stream's windows are fetched ahead, not its partitions
            name, self.child_context_fields, self.logger, runtime.pool,
            parallelized=self.parallelized and not self.window.windowed and resource.group_parents is None,
            request_records=self.restart.records, fix_start=self.window.fix, complete=self.post_process,
            expand=self.fanout.own)
        self.evolver = SchemaEvolver(name, resource.schema_contract, self.primary_keys, self.logger)
        self.seam = sdk_seam.SeamState(advances=self.window.advances, started=self.starts.start,
                                       write_state=self.throttle.write,
                                       conformer=lambda name, schema: RootConformer(name, schema, self.logger),
                                       admit=self.evolver.admit, **self.fanout.seam_hooks(lambda: self.child_streams))
        self.lines = PerContextLines()

    # -- logs ----------------------------------------------------------------------------------------------
    @override
    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        if self.lines.admits(message) and not said_by_the_cli(message):
            super().log(message, *args, level=level, **kwargs)

    @override
    def get_record_counter(self, **kwargs: t.Any) -> metrics.Counter:
        return quiet(super().get_record_counter(**kwargs))

    @override
    def get_sync_timer(self) -> metrics.Timer:
        return quiet(super().get_sync_timer())

    # -- requests ------------------------------------------------------------------------------------------
    @property
    @override
    def url_base(self) -> str:
        return self.request_builder.url_base

    @override
    def get_url(self, context: Context | None) -> str:
        return self.request_builder.url(context)

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        return self.request_builder.headers

    @property
    @override
    def user_agent(self) -> str:
        return self.request_builder.user_agent

    @property
    @override
    def authenticator(self) -> Auth:
        return self.request_builder.authenticator

    @property
    def payload_as_json(self) -> bool:  # type: ignore[override]
        """A JSON body, unless the endpoint gives ``data``."""
        return self.request_builder.payload_as_json

    @property
    @override
    def requests_session(self) -> requests.Session:
        return self.runtime.session

    @property
    @override
    def timeout(self) -> float:  # type: ignore[override]
        return self.request_builder.timeout

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        return self.request_builder.request(page)

    @override
    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        return prepare_unsigned(self.requests_session, self.user_agent, *args, **kwargs)

    @override
    def get_new_paginator(self) -> BaseAPIPaginator[t.Any]:
        return self.restart.paginator(self.request_builder.new_paginator)

    # -- responses and retries -----------------------------------------------------------------------------
    @override
    def validate_response(self, response: requests.Response) -> None:
        self.retry_policy.validate(response)

    @override
    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        return self.retry_policy.wait_generator()

    @override
    def backoff_max_tries(self) -> int:
        return self.retry_policy.max_tries()

    @override
    def backoff_jitter(self, value: float) -> float:
        return value

    @override
    def backoff_handler(self, details: t.Any) -> None:
        self.retry_policy.on_backoff(details)

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        if func != self._request:  # a report job's own requests
            return self._decorated(func)
        return self._decorated_request

    @cached_property
    def _decorated_request(self) -> RequestFunc:
        """The SDK decorates its _request again for every context (child: every parent record); the result
        depends on the stream only (each call keeps its own retry state), so it is built once."""
        return self._decorated(self._request)

    def _decorated(self, func: RequestFunc) -> RequestFunc:
        func = streaming(func, self.resource.endpoint.decoder)  # a streamed body is left unread by the session
        decorated = self.retry_policy.decorate(SLOW_REQUESTS.watch(func, self.name, self.timeout))
        return lambda prepared, context: remember_partition(decorated(prepared, context), context)

    # -- records -------------------------------------------------------------------------------------------
    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        return self.extractor.select(response, self.primary_keys)

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if self.report_jobs is not None:  # a report job per partition instead of pages
            return self.report_jobs.records(context)
        return super().request_records(context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if not self.fanout.complete(context):
            return  # a partitioned stream whose lists have no values
        # The start point is fixed when a partition's sync begins: a sorted stream moves its
        # bookmark while it reads, but every page of one sync must ask for the same window.
        self.window.fix(context)
        yield from self.extractor.read(lambda: self._source(context), context, self.window.client_filter(context),
                                       lambda record: self._sync_children_only(record, context))
        if self.parent_stream_type is None:
            self.throttle.flush()  # its last RECORD lines written now (a STATE may not be due)

    def _source(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        top_level = self.parent_stream_type is None
        following = _following(self) if top_level else []

        def read(part: Context | None, records: Iterable[dict[str, t.Any]] | None = None) -> Iterable[dict[str, t.Any]]:
            return self.children.source(part, top_level=top_level, children=_synced(self.child_streams),
                                        following=following, records=records)

        if self.window.windowed:
            return self.windows.records(context, read)
        return self.restart.tracked(read(context), context)

    def _window_complete(self, context: Context | None, window: Interval) -> None:
        """A window's records are all written: in a sync (not discovery's sampling) the bookmark moves, in a STATE."""
        if self.starts.started(context) and self.replication_method != REPLICATION_FULL_TABLE:
            t.cast("IndexedStateManager", self.state_manager).set_bookmark(context, self.replication_key, window.resume)
            self.throttle.window_done(lambda: sdk_seam.write_state_message(self), final=window.final,
                                      child=self.parent_stream_type is not None)

    def _sync_children_only(self, record: dict[str, t.Any], context: Context | None) -> None:
        """Children are fetched for every parent record, even one the incremental filter drops."""
        if not self.child_streams:
            return
        record = self.post_process(record, context)
        for child_context in self.generate_child_contexts(record=record, context=context):
            sdk_seam.sync_children(self, child_context)

    @override
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any]:
        return self.extractor.complete(row, self.fanout.member(row, context), self.replication_key)

    @override
    def get_child_context(self, record: dict[str, t.Any], context: Context | None) -> dict[str, t.Any] | None:
        return self.children.context_for(record)

    # -- state ---------------------------------------------------------------------------------------------
    @property
    @override
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """A top-level stream's ``partitions`` lists: one context per combination (else the SDK's)."""
        if self.fanout.partitioned and self.parent_stream_type is None:
            return self.fanout.own(None)
        return super().partitions

    @override
    def get_starting_replication_key_value(self, context: Context | None) -> t.Any | None:
        """The bookmark a partition starts from; for one not started yet (fetched ahead of its
        turn), the value its start will write, computed without adding it to the STATE."""
        if self.starts.started(context) or self.replication_method == REPLICATION_FULL_TABLE:
            return super().get_starting_replication_key_value(context)
        manager = t.cast("IndexedStateManager", self.state_manager)
        return self.starts.peek(manager, context, self.replication_key)

    @property
    @override
    def state_manager(self) -> sdk_seam.StreamStateManager:
        return sdk_seam.state_manager(self, IndexedStateManager)

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        """Every STATE let through at the end; after each top-level stream its last RECORD lines are written
        too, and what its and its descendants' schema contracts discarded is reported."""
        self.restart.finalize(lambda: super(GenericStream, self).finalize_state_progress_markers(state),
                              last=self.parent_stream_type is None and not _following(self))
        if self.parent_stream_type is None:
            _report_discards(self)
        self.throttle.flush()

    # -- the SDK seam: our overrides of private SDK hooks, each defined with its reason in sdk_seam ----------
    _generate_record_messages = sdk_seam.generate_record_messages
    _write_schema_message = sdk_seam.write_schema_message
    _increment_stream_state = sdk_seam.increment_stream_state
    _write_starting_replication_value = sdk_seam.write_starting_replication_value
    _write_state_message = sdk_seam.write_state_message
    _sync_children = sdk_seam.sync_children_hook
    _process_record = sdk_seam.process_record


def _report_discards(stream: GenericStream) -> None:
    """One line per stream (``stream`` and its descendants) for what its schema contract discarded and its
    record_filter dropped."""
    stream.evolver.report()
    stream.shaper.report()
    for child in stream.child_streams:
        if isinstance(child, GenericStream):
            _report_discards(child)


def _synced(streams: Iterable[object]) -> list[ChildContexts]:
    """The partitions of those of ``streams`` that sync (selected, or feeding a selected one)."""
    return [stream.children for stream in streams if isinstance(stream, GenericStream)
            and (stream.selected or stream.has_selected_descendents)]


def _following(stream: GenericStream) -> list[ChildContexts]:
    """The partitions of the synced top-level streams after ``stream``."""
    streams = [s for s in sdk_seam.tap_of(stream).streams.values() if s.parent_stream_type is None]
    return _synced(streams[streams.index(stream) + 1:] if stream in streams else [])
