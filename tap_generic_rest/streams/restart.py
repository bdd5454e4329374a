"""A stream's side of resuming after an interruption: which of its syncs keep a resume position
(``streams/resume.py``), its reads from that position, the STATE written as its records complete, and
the run's last STATE, without positions."""

from __future__ import annotations

import typing as t

from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL

from tap_generic_rest.streams import sdk_seam
from tap_generic_rest.streams.resume import Resume, StreamHooks, forget

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_generic_rest.run.runtime import SyncRuntime
    from tap_generic_rest.streams.request_builder import RequestBuilder
    from tap_generic_rest.streams.sdk_seam import StreamStateManager
    from tap_generic_rest.streams.state_index import StateThrottle

Record = dict[str, t.Any]


class RestartingStream(t.Protocol):
    """What a :class:`Restart` reads of its (generated) stream."""

    name: str
    runtime: SyncRuntime
    request_builder: RequestBuilder
    throttle: StateThrottle

    @property
    def is_sorted(self) -> bool: ...

    @property
    def parent_stream_type(self) -> type[t.Any] | None: ...

    @property
    def replication_method(self) -> str: ...

    @property
    def replication_key(self) -> str | None: ...

    @property
    def primary_keys(self) -> t.Sequence[str]: ...

    @property
    def stream_state(self) -> dict[str, t.Any]: ...

    @property
    def tap_state(self) -> t.Any: ...

    @property
    def state_manager(self) -> StreamStateManager: ...

    def request_records(self, context: Context | None) -> Iterable[Record]: ...


class Restart:
    """Resuming one stream (a top-level one; a child's syncs keep no position)."""

    def __init__(self, stream: RestartingStream, resumable: bool, logger: t.Any, *, windowed: bool = False) -> None:
        """``resumable``: the stream's paginator can start at a saved token; ``windowed``: date-range windows
        (their bookmark is the position: ``streams/windows.py``)."""
        self._stream = stream
        self._windowed = windowed
        self.resume = Resume(stream.name, logger, resumable=resumable, hooks=StreamHooks(
            key=lambda record: [record.get(key) for key in stream.primary_keys], state=lambda: stream.stream_state,
            saved_state=lambda: stream.tap_state.get("bookmarks", {}).get(stream.name, {}),
            requests=stream.request_builder.digest, progress=self._progress, seed=self._seed))

    def _top_level_sync(self, context: Context | None) -> bool:
        stream = self._stream
        return context is None and stream.parent_stream_type is None and stream.runtime.syncing

    def keeps_position(self, context: Context | None) -> bool:
        """Whether this sync keeps a resume position: a top-level stream's, unless its bookmark already
        resumes it (incremental and sorted)."""
        stream = self._stream
        return self._top_level_sync(context) and not self._windowed and not (
            stream.replication_method == REPLICATION_INCREMENTAL and stream.is_sorted)

    def records(self, context: Context | None) -> Iterable[Record]:
        """A partition's records; a top-level stream's from where an interrupted run stopped."""
        if self.keeps_position(context):
            return self.resume.records(lambda: self._stream.request_records(context))
        return self._stream.request_records(context)

    def tracked(self, records: Iterable[Record], context: Context | None) -> Iterable[Record]:
        """The records as the writer takes them: a top-level sync's STATE follows them."""
        if not self._top_level_sync(context):
            return records
        return self.resume.track(records, positions=self.keeps_position(context))

    def paginator(self, made: Callable[[tuple[object] | None], BaseAPIPaginator[t.Any]]) -> BaseAPIPaginator[t.Any]:
        """A partition's paginator (at the saved page when its read resumes one)."""
        return self.resume.paginator(made)

    def finalize(self, finalize_stream: Callable[[], None], *, last: bool) -> None:
        """The stream is done (a restart of this run skips it), ``finalize_stream`` (the SDK's step); after
        the ``last`` stream of the run, its last STATE: no positions, the next run reads everything."""
        if self._stream.parent_stream_type is None:
            self.resume.finish()
        finalize_stream()
        if self._stream.parent_stream_type is None and last:
            forget(self._stream.tap_state)
            self._stream.state_manager.is_flushed = False
            self._stream.throttle.force(lambda: sdk_seam.write_state_message(self._stream))  # type: ignore[arg-type]

    def _progress(self) -> None:
        """A record of the top-level stream is complete: a STATE with its position, when one is due."""
        if self._stream.throttle.due():
            self._stream.state_manager.is_flushed = False
            sdk_seam.write_state_message(self._stream)  # type: ignore[arg-type]

    def _seed(self, value: object) -> None:
        """A resumed unsorted incremental stream: its bookmark-to-be starts at the interrupted run's largest
        value (the records that run wrote are not read again)."""
        key = self._stream.replication_key
        if self._stream.replication_method == REPLICATION_INCREMENTAL and key:
            self._stream.state_manager.increment_state({key: value}, replication_key=key)
