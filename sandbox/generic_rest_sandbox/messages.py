"""Value types shared by the sandbox HTTP server and the API handlers.

A :class:`Request` is what a handler sees (already parsed), a :class:`Response` is what it
returns, a :class:`RecordedRequest` is one entry of the server's request log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class FaultFlags:
    """Fault modes that change what an API handler itself answers (see :mod:`.faults`)."""

    vanish_parents: bool = False
    repeat_cursor: bool = False
    expire_tokens: int = 0
    """0 = off; N = an oauth_offset token is invalidated after it has served N data calls."""


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request, as routed to an API handler."""

    method: str
    path: str
    """Full request path, mount prefix included (``/avatars/v1/avatars/list``)."""
    subpath: str
    """Path below the API's mount prefix (``/v1/avatars/list``)."""
    raw_query: str
    headers: dict[str, str]
    """Header names are lower-case."""
    body: bytes
    base_url: str
    """The API's own base URL as reached by this request (``http://127.0.0.1:8765/support``)."""
    faults: FaultFlags = FaultFlags()

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, every value of a repeated name kept in order."""
        return parse_query(self.raw_query)

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None when absent."""
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first value per name)."""
        pairs = parse_qsl(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        result: dict[str, str] = {}
        for key, value in pairs:
            result.setdefault(key, value)
        return result


@dataclass
class Response:
    """An HTTP response to send; ``body`` is already encoded."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: JsonObject, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status=status, body=body, headers=dict(headers or {}))


@dataclass(frozen=True)
class RecordedRequest:
    """One entry of the request log.

    ``status`` is None when the connection was reset by a fault instead of answered.
    """

    api: str | None
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names are lower-case."""
    body: bytes
    status: int | None
    received_at: float = 0.0
    """``time.monotonic()`` when the request arrived."""

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """Parse a query string, keeping blank values and every value of a repeated name."""
    result: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        result.setdefault(key, []).append(value)
    return result
