"""Requests that keep the user waiting: one line when a request has waited long for its answer.

A server that accepts a connection and never answers keeps a run silent for up to
``request_timeout`` seconds per attempt; one watcher thread per run logs each such request once,
after :data:`SLOW_AFTER` seconds (or at half the timeout, when that is shorter, but not before
:data:`SLOW_AT_LEAST` seconds).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import typing as t
from dataclasses import dataclass

from tap_generic_rest.errors import REDACTOR

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context, RequestFunc

#: Seconds a request waits before the line is logged (unless half its timeout is shorter) ...
SLOW_AFTER = 30.0
#: ... but never sooner (a short timeout's own retry line says enough).
SLOW_AT_LEAST = 2.0
#: Seconds between two looks of the watcher.
TICK = 0.5


@dataclass
class _Waiting:
    stream: str
    method: str
    url: str  # redacted when a line names it (most requests never wait long)
    started: float
    after: float
    timeout: float


class SlowRequests:
    """The requests in flight, and the thread that names the ones waiting long."""

    def __init__(self, logger: logging.Logger) -> None:
        """Log through ``logger``."""
        self.logger = logger
        self._waiting: dict[int, _Waiting] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, func: RequestFunc, stream: str, timeout: float) -> RequestFunc:
        """``func`` (one attempt of a request), watched while it waits for its answer."""

        after = max(min(SLOW_AFTER, timeout / 2), SLOW_AT_LEAST)
        if after >= timeout:
            return func

        def watched(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            key = self._start(_Waiting(stream, str(prepared.method), str(prepared.url),
                                       time.monotonic(), after, timeout))
            try:
                return func(prepared, context)
            finally:
                with self._lock:
                    self._waiting.pop(key, None)

        return watched

    def _start(self, waiting: _Waiting) -> int:
        key = next(self._ids)
        with self._lock:
            self._waiting[key] = waiting
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="slow-requests", daemon=True)
                self._thread.start()
        return key

    def _watch(self) -> None:
        while True:
            time.sleep(TICK)
            now = time.monotonic()
            with self._lock:
                due = [(key, w) for key, w in self._waiting.items() if now - w.started >= w.after]
                for key, _ in due:
                    del self._waiting[key]  # one line per request
            for _, w in due:
                self.logger.warning("stream %s: still waiting for an answer to %s after %.0f s (request_timeout "
                                    "%g s)", w.stream, f"{w.method} {REDACTOR.url(w.url)}", now - w.started,
                                    w.timeout)


#: The run's watcher (a process runs one tap).
SLOW_REQUESTS = SlowRequests(logging.getLogger("tap-generic-rest"))
