"""A thread-safe log of the requests the sandbox received, with per-API counters."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .messages import RecordedRequest

DEFAULT_LIMIT = 100_000


class RequestLog:
    """Keeps the latest ``limit`` requests; the counters count every request since the last clear."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RecordedRequest] = deque(maxlen=limit)
        self._counts: Counter[str | None] = Counter()

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            self._counts[entry.api] += 1

    def entries(self, api: str | None = None) -> list[RecordedRequest]:
        """Logged requests in completion order, all or of one API."""
        with self._lock:
            return [entry for entry in self._entries if api is None or entry.api == api]

    def count(self, api: str | None = None) -> int:
        """Requests received, all (including unrouted ones) or of one API."""
        with self._lock:
            return self._counts.total() if api is None else self._counts[api]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
