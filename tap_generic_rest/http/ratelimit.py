"""One rate-limit gate per run, shared by every worker of the API.

A 429 (or 503) with ``Retry-After`` pauses every request of the run until it has passed, so the
workers do not storm a limited API with retries. When responses say how much of the quota is
left (``X-RateLimit-Remaining`` / ``X-RateLimit-Reset``, or ``RateLimit-Remaining`` /
``RateLimit-Reset``), requests are spread over the time to the reset once few remain, and wait
for the reset at zero.
"""

from __future__ import annotations

import threading
import time
import typing as t

if t.TYPE_CHECKING:
    import requests

#: below this many remaining requests the gate spreads requests until the reset
LOW_REMAINING = 10
#: the longest pause a header can impose (s)
MAX_PAUSE = 300.0
#: a reset value above this is a UNIX time, below it seconds from now
_EPOCH = 1_000_000_000
RETRY_AFTER_STATUSES = frozenset({429, 503})


def _number(headers: t.Mapping[str, str], *names: str) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return float(value.strip().split(",")[0].split(";")[0])
            except ValueError:
                return None
    return None


class RateGate:
    """Every request passes :meth:`wait` first; every response goes through :meth:`observe`."""

    def __init__(self) -> None:
        """Open."""
        self._lock = threading.Lock()
        self._next_start = 0.0  # monotonic time before which no request starts

    def wait(self) -> None:
        """Block until a request may start."""
        while True:
            with self._lock:
                delay = self._next_start - time.monotonic()
            if delay <= 0:
                return
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        """No request starts in the next ``seconds``."""
        with self._lock:
            self._next_start = max(self._next_start, time.monotonic() + min(seconds, MAX_PAUSE))

    def observe(self, response: requests.Response) -> None:
        """Learn from a response's status and rate-limit headers."""
        headers = response.headers
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = _number(headers, "Retry-After")
            if retry_after is not None:
                self.pause(retry_after)
                return
        remaining = _number(headers, "X-RateLimit-Remaining", "RateLimit-Remaining")
        reset = _number(headers, "X-RateLimit-Reset", "RateLimit-Reset")
        if remaining is None or reset is None or remaining >= LOW_REMAINING:
            return
        until_reset = reset - time.time() if reset > _EPOCH else reset
        if until_reset <= 0:
            return
        self.pause(until_reset if remaining <= 0 else until_reset / (remaining + 1))
