"""Progress you can follow: per stream a progress line at most every few seconds and a summary.

Counted without touching stream code: records as the tap writes them (:meth:`Progress.record`),
requests from the SDK's ``http_request_duration`` metric points, retries from the one warning
line per retry ("Retrying ..."), records read to infer a schema (:meth:`Progress.sample`, said as
"sampled": discovery writes none). Seconds per stream span its first to its last activity (a child
stream runs interleaved with its parent); the total line gives the run's wall time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from singer_sdk import metrics
from typing_extensions import override

#: Seconds between two progress lines of one stream.
PROGRESS_INTERVAL = 5.0
RETRY_PREFIX = "Retrying "


@dataclass
class Tally:
    """What one stream did so far."""

    records: int = 0
    requests: int = 0
    retries: int = 0
    sampled: int = 0
    first: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)
    reported: float = field(default_factory=time.monotonic)

    def describe(self, *, rate: bool) -> str:
        """``N records (R/s), N requests, N retries`` or, for the summary, with the seconds."""
        seconds = max(self.last - self.first, 0.0)
        pace = f" ({self.records / seconds:,.0f}/s)" if rate and seconds > 0 else ""
        tail = "" if rate else f", {seconds:.1f} s"
        read = plural(self.records, "record") + pace
        if self.sampled:  # discovery (or a sync inferring a schema) read records it did not write
            sampled = f"{plural(self.sampled, 'record')} sampled to infer schemas"
            read = f"{read} ({sampled})" if self.records else sampled
        return f"{read}, {plural(self.requests, 'request')}, {plural(self.retries, 'retry', 'retries')}{tail}"


def plural(count: int, one: str, many: str = "") -> str:
    """``1 request``, ``2 requests`` (``many`` when not just ``one`` + s)."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


class Progress:
    """The run's tallies per stream, thread-safe."""

    def __init__(self, logger: logging.Logger, interval: float = PROGRESS_INTERVAL) -> None:
        """Count for the tap whose logger writes the lines."""
        self.logger = logger
        self.interval = interval
        self.tallies: dict[str, Tally] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._local = threading.local()

    def reset(self) -> None:
        """Forget the tallies: a new run starts (one process may run the tap more than once)."""
        with self._lock:
            self.tallies.clear()
            self.started = time.monotonic()

    def current_stream(self) -> str | None:
        """The stream this thread wrote its last record for."""
        return getattr(self._local, "stream", None)

    def record(self, stream: str) -> None:
        """One record written."""
        self._local.stream = stream
        self._add(stream, "records")

    def request(self, stream: str) -> None:
        """One HTTP request answered."""
        self._add(stream, "requests")

    def retry(self, stream: str) -> None:
        """One request retried."""
        self._add(stream, "retries")

    def sample(self, stream: str) -> None:
        """One record read to infer a schema (not written)."""
        self._add(stream, "sampled")

    def _add(self, stream: str, what: str) -> None:
        now = time.monotonic()
        with self._lock:
            tally = self.tallies.get(stream)
            if tally is None:
                tally = self.tallies[stream] = Tally(first=now, last=now, reported=now)
            setattr(tally, what, getattr(tally, what) + 1)
            tally.last = now
            due = now - tally.reported >= self.interval
            if due:
                tally.reported = now
        if due:
            self.logger.info("Progress: stream %s: %s", stream, tally.describe(rate=True))

    def summary(self) -> None:
        """One line per stream and a total line."""
        with self._lock:
            tallies = dict(self.tallies)
        if not tallies:
            return
        for stream, tally in tallies.items():
            self.logger.info("Summary: stream %s: %s", stream, tally.describe(rate=False))
        total = Tally(
            records=sum(t.records for t in tallies.values()),
            requests=sum(t.requests for t in tallies.values()),
            retries=sum(t.retries for t in tallies.values()),
            sampled=sum(t.sampled for t in tallies.values()),
            first=self.started,
            last=time.monotonic(),  # the run's wall time
        )
        self.logger.info("Summary: %s: %s", plural(len(tallies), "stream"), total.describe(rate=False))


class RequestCounter(logging.Handler):
    """Counts the SDK's per-request metric points (on the metrics logger)."""

    def __init__(self, progress: Progress) -> None:
        """Count into ``progress``."""
        super().__init__()
        self.progress = progress

    @override
    def emit(self, record: logging.LogRecord) -> None:
        point = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(point, metrics.Point) and point.metric == metrics.Metric.HTTP_REQUEST_DURATION:
            self.progress.request(str(point.tags.get(metrics.Tag.STREAM, "?")))


class RetryCounter(logging.Handler):
    """Counts the one warning line per retry that a stream's logger (``<tap>.<stream>``) writes."""

    def __init__(self, progress: Progress, tap_logger: str) -> None:
        """Count into ``progress`` the retries logged below ``tap_logger``."""
        super().__init__(logging.WARNING)
        self.progress = progress
        self.prefix = tap_logger + "."

    @override
    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(RETRY_PREFIX) and record.name.startswith(self.prefix):
            self.progress.retry(record.name[len(self.prefix):])


#: The run's tallies (a process runs one tap); the CLI writes the summary when the run ends.
PROGRESS = Progress(logging.getLogger("tap-generic-rest"))
