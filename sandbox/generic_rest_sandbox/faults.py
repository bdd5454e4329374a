"""Deterministic fault injection for reliability tests.

Syntax (CLI ``--fault``, ``Sandbox(faults=[...])``, ``Sandbox.set_faults``): ``[API:]MODE[:ARG]``,
e.g. ``rate_limit``, ``webhooks:server_errors:3``, ``slow:0.5``. Without ``API`` a fault applies
to every API. Faults apply to data requests only (never to the oauth_offset token endpoint).
"Every N-th" counts the data requests of each API from 1, in arrival order, retries included,
since the faults were set, so a sequential client sees the same faults on every run.

========================  ==========================================================================
``rate_limit[:N]``        request N, 2N, ... answers 429 + ``Retry-After: 1`` (default N=5, N >= 2)
``server_errors[:K]``     every 4th distinct request (method+path+query+body) answers its first K
                          attempts (1-3, default 3) with 500/502/503/504 in turn, then succeeds
``always_fail``           every data request answers 503 + ``Retry-After: 1``
``reset[:N]``             request N, 2N, ... gets its connection closed without a response (default 5)
``slow[:SECONDS]``        request 5, 10, ... waits SECONDS (default 2) before answering
``expire_tokens[:N]``     an oauth_offset token stops working after N data calls (default 3): 401 invalid_token
``vanish_parents``        child requests of every 3rd parent (list position 2, 5, 8, ...) answer 404
``repeat_cursor``         a page requested with a cursor/iterator/next URL/scroll param returns that same
                          cursor again; page-number and offset APIs serve data past the last page
``html_200[:N]``          request N, 2N, ... answers 200 with an HTML body (default N=1: every request)
``truncated_json[:N]``    request N, 2N, ... gets its JSON body cut in the middle (default N=1)
========================  ==========================================================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .messages import FaultFlags, Response
from .registry import API_NAMES

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

SERVER_ERROR_STATUSES = (500, 502, 503, 504)
SERVER_ERROR_EVERY = 4
SLOW_EVERY = 5
RETRY_AFTER_STATUSES = (429, 503)
HTML_BODY = (
    b"<!DOCTYPE html><html><head><title>Service unavailable</title></head>"
    b"<body><h1>Down for maintenance</h1><p>Please try again later.</p></body></html>"
)


@dataclass(frozen=True)
class ModeSpec:
    default: float | None
    minimum: float = 1
    maximum: float | None = None
    integer: bool = True


MODES: dict[str, ModeSpec] = {
    "rate_limit": ModeSpec(5, minimum=2),
    "server_errors": ModeSpec(3, maximum=3),
    "always_fail": ModeSpec(None),
    "reset": ModeSpec(5, minimum=2),
    "slow": ModeSpec(2.0, minimum=0, integer=False),
    "expire_tokens": ModeSpec(3),
    "vanish_parents": ModeSpec(None),
    "repeat_cursor": ModeSpec(None),
    "html_200": ModeSpec(1),
    "truncated_json": ModeSpec(1),
}


@dataclass(frozen=True)
class Fault:
    """One fault mode, optionally scoped to one API."""

    mode: str
    arg: float | None = None
    api: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse ``[API:]MODE[:ARG]``; raises ValueError with a helpful message."""
        parts = spec.strip().split(":")
        api = parts.pop(0) if parts and parts[0] in API_NAMES else None
        if not parts or parts[0] not in MODES:
            raise ValueError(f"unknown fault {spec!r}; modes: {', '.join(MODES)}; APIs: {', '.join(API_NAMES)}")
        mode = parts.pop(0)
        rules = MODES[mode]
        if len(parts) > 1 or (parts and rules.default is None):
            raise ValueError(f"fault {spec!r}: too many arguments")
        if not parts:
            return cls(mode, rules.default, api)
        try:
            arg = int(parts[0]) if rules.integer else float(parts[0])
        except ValueError:
            raise ValueError(f"fault {spec!r}: argument must be a number") from None
        if arg < rules.minimum or (rules.maximum is not None and arg > rules.maximum):
            bounds = f">= {rules.minimum}" + (f" and <= {rules.maximum}" if rules.maximum is not None else "")
            raise ValueError(f"fault {spec!r}: argument must be {bounds}")
        return cls(mode, arg, api)

    def __str__(self) -> str:
        parts = [self.api] if self.api else []
        parts.append(self.mode)
        if self.arg is not None:
            parts.append(f"{self.arg:g}")
        return ":".join(parts)

    def applies_to(self, api: str) -> bool:
        return self.api is None or self.api == api

    def every(self, ordinal: int) -> bool:
        """Whether the ``ordinal``-th request is hit by an "every N-th" mode."""
        return self.arg is not None and ordinal % int(self.arg) == 0


def as_faults(specs: Iterable[str | Fault]) -> tuple[Fault, ...]:
    return tuple(spec if isinstance(spec, Fault) else Fault.parse(spec) for spec in specs)


@dataclass
class Decision:
    """What the faults do to one data request."""

    ordinal: int
    flags: FaultFlags = field(default_factory=FaultFlags)
    sleep: float = 0.0
    reset: bool = False
    status: int | None = None
    """An error status to answer instead of calling the handler."""
    html: bool = False
    truncate: bool = False

    def distort(self, response: Response) -> Response:
        """Apply the body-level faults (``html_200``, ``truncated_json``) to a response."""
        if self.html:
            return Response(200, HTML_BODY, "text/html; charset=utf-8", dict(response.headers))
        if self.truncate:
            cut = response.body[: max(1, len(response.body) // 2)]
            return Response(response.status, cut, response.content_type, dict(response.headers))
        return response


@dataclass
class _ApiCounters:
    ordinal: int = 0
    distinct: int = 0
    failures: int = 0
    attempts: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    """request key -> (distinct ordinal, attempts so far)."""


class FaultInjector:
    """Decides, thread-safely and deterministically, which faults hit each data request."""

    def __init__(self, faults: Iterable[str | Fault] = ()) -> None:
        self.faults = as_faults(faults)
        self._lock = threading.Lock()
        self._counters: dict[str, _ApiCounters] = {}

    def decide(self, api: str, key: Hashable) -> Decision:
        active = [fault for fault in self.faults if fault.applies_to(api)]
        with self._lock:
            counters = self._counters.setdefault(api, _ApiCounters())
            counters.ordinal += 1
            if key not in counters.attempts:
                counters.distinct += 1
                counters.attempts[key] = (counters.distinct, 0)
            distinct, attempts = counters.attempts[key]
            counters.attempts[key] = (distinct, attempts + 1)
            decision = Decision(counters.ordinal)
            vanish = repeat = False
            expire = 0
            for fault in active:
                if fault.mode == "slow" and counters.ordinal % SLOW_EVERY == 0:
                    decision.sleep = float(fault.arg or 0)
                elif fault.mode == "reset" and fault.every(counters.ordinal):
                    decision.reset = True
                elif fault.mode == "always_fail":
                    decision.status = decision.status or 503
                elif fault.mode == "rate_limit" and fault.every(counters.ordinal):
                    decision.status = decision.status or 429
                elif (
                    fault.mode == "server_errors"
                    and decision.status is None
                    and distinct % SERVER_ERROR_EVERY == 0
                    and attempts < int(fault.arg or 0)
                ):
                    decision.status = SERVER_ERROR_STATUSES[counters.failures % len(SERVER_ERROR_STATUSES)]
                    counters.failures += 1
                elif fault.mode == "html_200" and fault.every(counters.ordinal):
                    decision.html = True
                elif fault.mode == "truncated_json" and fault.every(counters.ordinal):
                    decision.truncate = True
                elif fault.mode == "vanish_parents":
                    vanish = True
                elif fault.mode == "repeat_cursor":
                    repeat = True
                elif fault.mode == "expire_tokens":
                    expire = int(fault.arg or 0)
            decision.flags = FaultFlags(vanish_parents=vanish, repeat_cursor=repeat, expire_tokens=expire)
            return decision
