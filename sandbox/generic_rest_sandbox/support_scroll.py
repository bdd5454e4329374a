"""The scroll of ``GET /v1/companies/scroll`` (contract §5.3).

One scroll at a time: a call without ``scroll_param`` while one is open answers 400
``scroll_exists``. Each page hands out a new opaque ``scroll_param`` (a UUID) for the next
position; a scroll closes when its empty final page is served or after ``idle_seconds``
without a call, after which its params answer 404 ``not_found``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .base import ApiError
from .data import uuid_from_text

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T = TypeVar("T")

PAGE_SIZE = 25
IDLE_SECONDS = 60.0


@dataclass
class Scroll:
    number: int
    last_used: float
    positions: dict[str, int] = field(default_factory=dict)
    """scroll_param -> offset of the next record to serve."""


class ScrollKeeper:
    def __init__(
        self,
        seed: int,
        page_size: int = PAGE_SIZE,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seed = seed
        self.page_size = page_size
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._opened = 0
        self._open: Scroll | None = None

    @property
    def is_open(self) -> bool:
        self._expire(self._clock())
        return self._open is not None

    def page(self, records: Sequence[T], scroll_param: str | None, *, repeat: bool = False) -> tuple[list[T], str]:
        """The next page and the scroll_param to return; ``repeat`` echoes the received param (fault mode)."""
        now = self._clock()
        self._expire(now)
        if scroll_param is None:
            if self._open is not None:
                raise ApiError(400, "scroll_exists", "Scroll already exists for this workspace; finish it first")
            self._opened += 1
            scroll = self._open = Scroll(self._opened, now)
            offset = 0
        else:
            if self._open is None or scroll_param not in self._open.positions:
                raise ApiError(404, "not_found", "Scroll parameter not found or expired")
            scroll = self._open
            offset = scroll.positions[scroll_param]
        scroll.last_used = now
        chunk = list(records[offset : offset + self.page_size])
        if not chunk:
            self._open = None
            return chunk, scroll_param or self._param(scroll, offset)
        if repeat and scroll_param is not None:
            return chunk, scroll_param
        next_param = self._param(scroll, offset + len(chunk))
        scroll.positions[next_param] = offset + len(chunk)
        return chunk, next_param

    def _param(self, scroll: Scroll, offset: int) -> str:
        return uuid_from_text(f"{self.seed}:scroll:{scroll.number}:{offset}")

    def _expire(self, now: float) -> None:
        if self._open is not None and now - self._open.last_used > self.idle_seconds:
            self._open = None
