"""One rate-limit gate per run, shared by every worker of the API.

A 429 (or 503) with ``Retry-After`` pauses every request of the run until it has passed, so the
workers do not storm a limited API with retries. When responses say how much of the quota is
left (``X-RateLimit-Remaining`` / ``X-RateLimit-Reset``, or ``RateLimit-Remaining`` /
``RateLimit-Reset``), requests are spread over the time to the reset once few remain, and wait
for the reset at zero (logged once when that wait is long). ``Retry-After`` is seconds or an HTTP
date; no header makes the tap wait more than :data:`MAX_PAUSE` at once.
"""

from __future__ import annotations

import email.utils
import logging
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
#: a wait for a rate-limit reset at least this long (s) is logged (once per run)
LONG_WAIT = 5.0
LOGGER = logging.getLogger("tap-generic-rest")


def retry_after_seconds(headers: t.Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds from now: a number of seconds or an HTTP date (None: absent or unreadable)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0) if when.tzinfo is not None else None


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
        self._told = False  # a long wait for a rate-limit reset was logged

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
            retry_after = retry_after_seconds(headers)
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
        wait = until_reset if remaining <= 0 else until_reset / (remaining + 1)
        if wait >= LONG_WAIT and not self._told:
            self._told = True
            LOGGER.warning("The API's rate limit is used up (%d requests remaining until its reset in %.0f s): "
                           "waiting %.0f s before each request until then", remaining, until_reset,
                           min(wait, MAX_PAUSE))
        self.pause(wait)
