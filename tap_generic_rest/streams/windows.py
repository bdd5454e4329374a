"""Date-range windows: a partition's incremental range cut into consecutive windows, each read as its own
request series, the bookmark moved when a window is complete.

Windows are an inner loop of one partition, not SDK partitions (contexts): a context is a Singer state
partition, so a window per context would leave one bookmark per window in the STATE forever, and a
child's windows would multiply its per-parent states. Here a partition (the stream, or one parent's
child) keeps its one bookmark, which moves to the start of the next window each time a window's
records are all written (after the last window: the range's end), so a run killed mid-backfill resumes
at the first unfinished window. Up to ``window_concurrency`` windows are fetched at once in the run's
fetch pool; they are consumed in order, so the output is that of a serial sync and the bookmark is always
the end of the last contiguous complete window.
"""

from __future__ import annotations

import logging
import typing as t
from collections import deque
from dataclasses import KW_ONLY, dataclass

from tap_generic_rest.description.windows import window_granularity
from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.cursor_format import CursorFormatError
from tap_generic_rest.expressions.durations import Duration, DurationError, parse_duration
from tap_generic_rest.http.failures import ResponseIgnored

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from singer_sdk.helpers.types import Context

    from tap_generic_rest.description.model import Resource
    from tap_generic_rest.expressions.cursor_format import CursorFormat
    from tap_generic_rest.run.pool import FetchPool, Prefetch
    from tap_generic_rest.run.runtime import SyncRuntime

Record = dict[str, t.Any]
LOGGER = logging.getLogger("tap-generic-rest")


class Interval(t.NamedTuple):
    """One window in the cursor's format: ``start`` and ``end`` (both included), ``resume``, the bookmark
    once it is complete (the next window's start; after the last: the range's end), and whether it is the last."""

    start: object
    end: object
    resume: object
    final: bool = False


class WindowedContext(dict[str, t.Any]):
    """A partition's context (the same items: URL, state and parent values are unchanged) for the requests
    of one of its windows."""

    def __init__(self, context: Mapping[str, t.Any] | None, interval: Interval) -> None:
        """``context``'s items, with ``interval`` for the request builder."""
        super().__init__(context or {})
        self.interval = interval


def cut(start: dt.datetime, end: dt.datetime, step: Duration, granularity: Duration) -> Iterator[
        tuple[dt.datetime, dt.datetime, dt.datetime, bool]]:
    """The windows of ``[start, end]``: ``(start, end, resume, final)``; window ``i`` starts at ``start + i*step``
    (calendar months counted from ``start``), ends one granularity before the next starts, the last at ``end``."""
    index = 0
    while (first := step.after(start, index)) <= end:
        following = step.after(start, index + 1)
        last = min(granularity.before(following), end)
        yield first, last, min(following, end), following > end
        index += 1


class CursorRange(t.Protocol):
    """What windows read of the incremental window (``streams/window.py``)."""

    def start_point(self, context: Context | None) -> object: ...

    def window_format(self) -> CursorFormat: ...

    def above_floor(self, value: object, context: Context | None) -> bool: ...


@dataclass
class DateWindows:
    """The windows of one stream's partitions: of ``resource`` (its ``incremental.step``), cut in ``cursor``'s
    format; ``fetch`` reads one window's pages, ``complete(context, window)`` moves a partition's bookmark; with
    ``parallelized`` (dlt's) up to ``window_concurrency`` windows are fetched at once in the run's pool."""

    name: str
    resource: Resource
    config: Mapping[str, t.Any]
    cursor: CursorRange
    runtime: SyncRuntime
    _: KW_ONLY
    fetch: Callable[[Context | None], Iterable[Record]]
    complete: Callable[[Context | None, Interval], None]
    parallelized: bool

    @property
    def _spec(self) -> dict[str, t.Any]:
        return self.resource.incremental or {}

    @property
    def concurrency(self) -> int:
        """How many windows of one partition may be in flight at once."""
        return int(self._spec.get("window_concurrency", 1))

    def intervals(self, context: Context | None) -> Iterator[Interval]:
        """A partition's windows, from its start point to ``end_value`` (else the sync's start)."""
        fmt = self.cursor.window_format()
        step = parse_duration(self._spec["step"])
        try:
            granularity = window_granularity(self._spec, fmt.pattern)
            start = fmt.read(self._start(context))
            end = self._end(fmt, granularity)
        except (CursorFormatError, DurationError) as exc:
            msg = f"stream {self.name}: {exc}; fix {self.resource.where}.endpoint.incremental"
            raise StreamError(msg) from None
        LOGGER.log(logging.DEBUG if context else logging.INFO, "stream %s: windows of %s from %s to %s%s", self.name,
                   step.text, fmt.write(start), fmt.write(end), f" for {dict(context)}" if context else "")
        for first, last, resume, final in cut(start, end, step, granularity):
            yield Interval(fmt.write(first), fmt.write(last), fmt.write(resume), final)

    def _start(self, context: Context | None) -> object:
        start = self.cursor.start_point(context)
        if start is None or (start == 0 and not self.config.get("start_date") and "initial_value" not in self._spec):
            msg = (f"stream {self.name}: date-range windows need a start; set the start_date setting or "
                   f"{self.resource.where}.endpoint.incremental.initial_value")
            raise StreamError(msg)
        return start

    def _end(self, fmt: CursorFormat, granularity: Duration) -> dt.datetime:
        """The range's last instant: ``end_value`` (one granularity before it unless ``range_end: closed``),
        else the sync's start, both in the cursor's resolution."""
        if self._spec.get("end_value") is None:
            return fmt.read(fmt.write(self.runtime.sync_started_at))
        end = fmt.read(fmt.convert(self._spec["end_value"]))
        return end if self._spec.get("range_end") == "closed" else granularity.before(end)

    def records(
        self, context: Context | None, read: Callable[[WindowedContext, Iterable[Record] | None], Iterable[Record]]
    ) -> Iterator[Record]:
        """A partition's records, window after window: ``read`` reads one (from its prefetch, if any); once all
        its records are written, the bookmark moves. Up to ``window_concurrency`` windows are fetched ahead."""
        pool = self.runtime.pool
        depth = self.concurrency if pool.enabled and self.parallelized else 1
        windows = (WindowedContext(context, interval) for interval in self.intervals(context))
        ahead: deque[tuple[WindowedContext, Prefetch | None]] = deque()
        try:
            while True:
                while len(ahead) < depth and (window := next(windows, None)) is not None:
                    ahead.append((window, self._submit(pool, window) if depth > 1 else None))
                if not ahead:
                    return
                window, prefetch = ahead.popleft()
                try:
                    yield from read(window, prefetch)
                except ResponseIgnored as exc:  # dlt's ignore: no (more) records in this window; the next follows
                    LOGGER.info("%s (window %s to %s)", exc, window.interval.start, window.interval.end)
                if self.cursor.above_floor(window.interval.resume, context):
                    self.complete(context, window.interval)
        finally:
            for _, prefetch in ahead:
                if prefetch is not None:
                    prefetch.discard()

    def _submit(self, pool: FetchPool, window: WindowedContext) -> Prefetch:
        return pool.submit(lambda: self.fetch(window), lambda: None)
