"""Bounded concurrency for child streams: a map with bounded lookahead over parent records.

While the main thread writes a parent record and its children, the pool already fetches the
children of the next parent records (up to ``max_concurrency`` requests in flight, sibling child
streams included). Workers only fetch and parse: each fills a small bounded queue of records for
one (child stream, parent context). The main thread stays the one writer: it consumes those
queues in exactly the order a serial sync would, so SCHEMA, RECORD and STATE messages keep their
serial order, a STATE still covers only records already written, and a partition's pages are
never reordered. With ``max_concurrency`` 1 nothing is prefetched (the serial sync of before).
"""

from __future__ import annotations

import queue
import threading
import typing as t
from collections import deque

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Record = dict[str, t.Any]
#: records of one prefetched partition buffered ahead of the writer
QUEUE_RECORDS = 1000
_DONE = object()


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The run ended (finished or failed): a worker stops."""


class Prefetch:
    """Records of one partition, produced by a worker, consumed once by the main thread."""

    def __init__(self, pool: FetchPool, source: Callable[[], Iterable[Record]], on_discard: Callable[[], None]) -> None:
        """An empty bounded queue."""
        self._pool = pool
        self._source = source
        self._on_discard = on_discard
        self.taken = False
        self._claim = threading.Lock()
        self._started = False  # by a worker, or inline by the consumer
        self._queue: queue.Queue[t.Any] = queue.Queue(maxsize=QUEUE_RECORDS)
        self._error: BaseException | None = None

    def _start(self) -> bool:
        with self._claim:
            started, self._started = self._started, True
        return not started

    def produce(self) -> None:
        """(worker) Put every record, then the end or the error (unless the consumer came first)."""
        if not self._start():
            return
        try:
            for record in self._source():
                self._put(record)
        except Cancelled:
            return
        except BaseException as exc:  # re-raised in the main thread, at its place
            self._error = exc
        try:
            self._put(_DONE)
        except Cancelled:
            return

    def _put(self, item: object) -> None:
        while True:
            if self._pool.closed.is_set():
                raise Cancelled
            try:
                self._queue.put(item, timeout=0.2)
            except queue.Full:
                continue
            return

    def __iter__(self) -> Iterator[Record]:
        """(main thread) The records in order; the worker's error where it happened."""
        self.taken = True
        if self._start():  # no worker has picked it up yet: never wait for the queue of workers
            yield from self._source()
            return
        while True:
            item = self._queue.get()
            if item is _DONE:
                if self._error is not None:
                    raise self._error
                return
            yield item

    def discard(self) -> None:
        """Never consumed: forget it, and drain it so the worker can finish."""
        self._on_discard()
        if self._start():
            return
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while self._queue.get() is not _DONE:
            pass


class FetchPool:
    """The run's bounded pool of fetch workers: daemon threads, started on demand, ending when idle
    (so a run that fails never waits for them, and finished runs leave none behind)."""

    #: seconds a worker waits for work before it ends
    IDLE_SECONDS = 2.0

    def __init__(self, max_concurrency: int) -> None:
        """At most ``max_concurrency`` fetches at once."""
        self.max_concurrency = max_concurrency
        self.closed = threading.Event()
        self._tasks: queue.SimpleQueue[Prefetch] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = 0
        self._idle = 0

    @property
    def enabled(self) -> bool:
        """Whether anything is fetched ahead (not with max_concurrency 1)."""
        return self.max_concurrency > 1 and not self.closed.is_set()

    def submit(self, source: Callable[[], Iterable[Record]], on_discard: Callable[[], None]) -> Prefetch:
        """Fetch ``source``'s records in a worker (``on_discard``: called if they are never consumed)."""
        prefetch = Prefetch(self, source, on_discard)
        with self._lock:
            self._tasks.put(prefetch)
            if self._idle == 0 and self._workers < self.max_concurrency:
                self._workers += 1
                threading.Thread(target=self._work, name="tap-generic-rest-fetch", daemon=True).start()
        return prefetch

    def _work(self) -> None:
        while not self.closed.is_set():
            with self._lock:
                self._idle += 1
            try:
                prefetch = self._tasks.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._tasks.empty():
                        self._workers -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
            prefetch.produce()
        with self._lock:
            self._workers -= 1

    def close(self) -> None:
        """Stop every worker (at the end of the run, or when it fails)."""
        self.closed.set()


class Lookahead:
    """Read ``records`` up to ``depth`` ahead, calling ``start`` on each as it is read.

    ``start(record)`` returns the prefetches it began; those the consumer has not taken by the
    time it asks for the next record are discarded.
    """

    def __init__(self, depth: int, start: Callable[[Record], list[Prefetch]]) -> None:
        """Lookahead of ``depth`` records."""
        self.depth = depth
        self.start = start

    def over(self, records: Iterable[Record]) -> Iterator[Record]:
        """The records, in order."""
        ahead: deque[tuple[Record, list[Prefetch]]] = deque()
        source = iter(records)
        error: BaseException | None = None
        exhausted = False
        while True:
            while not exhausted and len(ahead) < self.depth:
                try:
                    record = next(source)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as exc:  # raised after the records read before it
                    error, exhausted = exc, True
                    break
                ahead.append((record, self.start(record)))
            if not ahead:
                if error is not None:
                    raise error
                return
            record, prefetches = ahead.popleft()
            try:
                yield record
            finally:
                for prefetch in prefetches:
                    if not prefetch.taken:
                        prefetch.discard()
