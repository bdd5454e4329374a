"""Bounded concurrency for child streams: a map with bounded lookahead over parent records.

While the main thread writes a parent record and its children, the pool already fetches the
children of the next parent records (up to ``max_concurrency`` requests in flight, sibling child
streams included). Workers only fetch and parse: each fills a small bounded queue of records for
one (child stream, parent context). The main thread stays the one writer: it consumes those
queues in exactly the order a serial sync would, so SCHEMA, RECORD and STATE messages keep their
serial order, a STATE still covers only records already written, and a partition's pages are
never reordered. With ``max_concurrency`` 1 nothing is prefetched (the serial sync of before); above
it, how many fetches run at once follows what keeps the writer busy (``pace``).
"""

from __future__ import annotations

import queue
import threading
import typing as t
from collections import deque

from tap_generic_rest.run.pace import Pace

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Record = dict[str, t.Any]
#: records of one prefetched partition buffered ahead of the writer (then its worker parks it)
QUEUE_RECORDS = 1000
#: parent records read ahead per worker: enough queued child requests that a worker finishing one
#: always finds the next, while the writer is still busy with an earlier parent
LOOKAHEAD_PER_WORKER = 2
_DONE = object()


class Prefetch:
    """Records of one partition, produced by workers, consumed once by the main thread.

    A worker reads the partition's records into the buffer until it holds ``QUEUE_RECORDS``; then
    it *parks* the partition (its generator kept, half-read) and is free for other work, instead
    of holding one of the pool's slots while the writer is busy elsewhere. The consumer resubmits
    a parked partition once it has taken half the buffer. One partition is read by one thread at
    a time, so its pages keep their order.
    """

    def __init__(self, pool: FetchPool, source: Callable[[], Iterable[Record]], on_discard: Callable[[], None]) -> None:
        """Nothing read yet."""
        self._pool = pool
        self._source = source
        self._on_discard = on_discard
        self.taken = False
        self._lock = threading.Lock()
        self._started = False  # by a worker, or inline by the consumer
        self._parked = False
        self._discarded = False
        self._records: Iterator[Record] | None = None
        self._queue: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._error: BaseException | None = None

    def _start(self) -> bool:
        with self._lock:
            started, self._started = self._started, True
        return not started

    def produce(self) -> None:
        """(worker) Read records into the buffer until it is full (park), the end, or an error."""
        if self._records is None and not self._start():
            return  # the consumer came first and reads it inline
        try:
            records = self._records = self._records or iter(self._source())
            while True:
                if self._park_if_full():
                    return  # the consumer resubmits it once it has taken half the buffer
                if self._pool.closed.is_set() or self._discarded:
                    return  # the run ended, or nobody will read it: the generator is dropped half-read
                try:
                    record = next(records)
                except StopIteration:
                    break
                self._queue.put(record)
        except BaseException as exc:  # re-raised in the main thread, at its place
            self._error = exc
        self._queue.put(_DONE)

    def _park_if_full(self) -> bool:
        if self._queue.qsize() < QUEUE_RECORDS:
            return False
        with self._lock:
            self._parked = self._queue.qsize() >= QUEUE_RECORDS  # the consumer may have just taken some
            return self._parked

    def _resume_if_parked(self) -> None:
        if not self._parked or self._queue.qsize() > QUEUE_RECORDS // 2:
            return
        with self._lock:
            parked, self._parked = self._parked, False
        if parked:
            self._pool.resubmit(self)

    def __iter__(self) -> Iterator[Record]:
        """(main thread) The records in order; the worker's error where it happened."""
        self.taken = True
        if self._start():  # no worker has picked it up yet: never wait for the queue of workers
            yield from self._source()
            return
        self._pool.taken()
        while True:
            self._resume_if_parked()
            item = self._queue.get()
            if item is _DONE:
                if self._error is not None:
                    raise self._error
                return
            yield item

    def discard(self) -> None:
        """Never consumed: forget it; its worker stops at its next record."""
        self._on_discard()
        self._discarded = True
        self._start()


class FetchPool:
    """The run's bounded pool of fetch workers: daemon threads, started on demand, ending when idle
    (so a run that fails never waits for them, and finished runs leave none behind)."""

    #: seconds a worker waits for work before it ends
    IDLE_SECONDS = 2.0

    def __init__(self, max_concurrency: int) -> None:
        """At most ``max_concurrency`` fetches at once."""
        self.max_concurrency = max_concurrency
        #: how many fetches run at once (at most max_concurrency)
        self.pace = Pace(max_concurrency)
        self.closed = threading.Event()
        self._tasks: deque[Prefetch] = deque()
        self._ready = threading.Condition()
        self._workers = 0
        self._idle = 0  # workers waiting for a task
        self._active = 0  # workers fetching

    @property
    def enabled(self) -> bool:
        """Whether anything is fetched ahead (not with max_concurrency 1)."""
        return self.max_concurrency > 1 and not self.closed.is_set()

    def submit(self, source: Callable[[], Iterable[Record]], on_discard: Callable[[], None]) -> Prefetch:
        """Fetch ``source``'s records in a worker (``on_discard``: called if they are never consumed)."""
        prefetch = Prefetch(self, source, on_discard)
        self.resubmit(prefetch)
        return prefetch

    def resubmit(self, prefetch: Prefetch) -> None:
        """Queue ``prefetch`` for a worker: a waiting one, else a new one (up to the bound)."""
        with self._ready:
            self._tasks.append(prefetch)
            if len(self._tasks) > self._idle and self._workers < self.pace.limit:
                self._start_worker()
            elif self._active < self.pace.limit:  # else a worker finishing its task takes it
                self._ready.notify()

    def taken(self) -> None:
        """(the writer) It took a prefetch a worker began: the pace may re-bound."""
        if self.pace.look():
            self.bound_rose()

    def bound_rose(self) -> None:
        """The pace's bound rose: waiting workers take tasks, and workers start for the tasks left."""
        with self._ready:
            self._ready.notify_all()
            for _ in range(min(len(self._tasks) - self._idle, self.pace.limit - self._workers)):
                self._start_worker()

    def _start_worker(self) -> None:
        self._workers += 1
        threading.Thread(target=self._work, name="tap-generic-rest-fetch", daemon=True).start()

    def _next(self) -> Prefetch | None:
        """(worker) The next task, once fewer than the pace's bound are fetching; None when the run
        ended or no task came for IDLE_SECONDS."""
        with self._ready:
            waited_out = False
            while not self.closed.is_set():
                if self._tasks and self._active < self.pace.limit:
                    self._active += 1
                    return self._tasks.popleft()
                if waited_out:
                    break
                self._idle += 1
                waited_out = not self._ready.wait(self.IDLE_SECONDS)
                self._idle -= 1
            self._workers -= 1
            return None

    def _work(self) -> None:
        while (prefetch := self._next()) is not None:
            try:
                prefetch.produce()
            finally:
                with self._ready:
                    self._active -= 1  # this worker takes the next task itself, if any

    def close(self) -> None:
        """Stop every worker (at the end of the run, or when it fails)."""
        self.closed.set()
        with self._ready:
            self._ready.notify_all()


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
