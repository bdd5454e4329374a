"""How many fetches run at once: as many as help, never more than ``max_concurrency``.

Fetches in flight help while the tap waits for the network. Once the tap is busy (its threads share
one interpreter lock, so a sync uses about one core whatever the number of threads), more threads
only add thread switches and waits for the lock: support at scale 10 with no latency, on 2 cores,
took 4.8 s of CPU with 8 workers and 4.3 s with 2, and was no faster. So the bound follows the tap's
own CPU use, measured over ``PERIOD``: busy (above ``BUSY`` of a core) halves it, down to ``FLOOR``;
waiting (below ``WAITING``) adds one, up to ``max_concurrency``. It starts at ``max_concurrency``, so
an API far away is read at full width from the first request.
"""

from __future__ import annotations

import time
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable

#: seconds between two looks at the tap's CPU use
PERIOD = 0.2
#: CPU seconds per second above which more fetches in flight cannot make the tap faster
BUSY = 0.9
#: ... and below which it waits for the network: one more fetch in flight
WAITING = 0.7
#: the fewest fetches in flight (one ahead of the writer while another is being read)
FLOOR = 2


class Pace:
    """The run's bound on fetches in flight. Only the writer (one thread) calls ``look``."""

    def __init__(self, maximum: int, clock: Callable[[], float] = time.monotonic,
                 cpu_clock: Callable[[], float] = time.process_time) -> None:
        """At most ``maximum`` (the max_concurrency setting); ``clock`` and ``cpu_clock``: wall and the
        process's CPU seconds."""
        self.maximum = maximum
        self.limit = maximum
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._since: tuple[float, float] | None = None  # (wall, process CPU) when the period began

    def look(self) -> bool:
        """(the writer, as it takes fetched records) Re-bound once a period. True when the bound rose."""
        now = self._clock()
        if self._since is not None and now - self._since[0] < PERIOD:
            return False
        cpu = self._cpu_clock()
        since, self._since = self._since, (now, cpu)
        if since is None:
            return False
        before = self.limit
        self.limit = self.bound((cpu - since[1]) / (now - since[0]))
        return self.limit > before

    def bound(self, busy: float) -> int:
        """The bound after a period in which the tap used ``busy`` CPU seconds per second."""
        if busy > BUSY:
            return max(min(FLOOR, self.maximum), self.limit // 2)
        if busy < WAITING:
            return min(self.maximum, self.limit + 1)
        return self.limit
