"""The base class of the five sandbox APIs: routing, authentication and error bodies.

Each API subclass declares its mount prefix, its routes, how it authenticates and how its
error body looks; :meth:`Api.handle` ties those together under the API's own lock, so a
handler never sees two requests at once.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from .messages import JsonObject, Request, Response

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

KEY_SEPARATOR = "|"
"""Joins the values of a composite primary key in :meth:`Api.mutate` results."""

VANISH_EVERY = 3
"""Under the ``vanish_parents`` fault, every 3rd parent (0-based position 2, 5, 8, ...) is gone."""


def composite_key(*parts: str) -> str:
    """The string form of a composite primary key, e.g. ``composite_key("3", "12") == "3|12"``."""
    return KEY_SEPARATOR.join(parts)


def is_vanished(position: int) -> bool:
    """Whether the parent at this 0-based position of its list vanishes under ``vanish_parents``."""
    return position % VANISH_EVERY == VANISH_EVERY - 1


class ApiError(Exception):
    """Raised by a route to answer with the API's error body (or with ``body`` verbatim)."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        body: JsonObject | None = None,
    ) -> None:
        super().__init__(f"{status} {code or ''} {message or ''}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.body = body


@dataclass(frozen=True)
class Route:
    """A route: method + full-match regex on the subpath; ``public`` routes skip authentication."""

    method: str
    pattern: re.Pattern[str]
    func: Callable[[Request, re.Match[str]], Response]
    public: bool = False


def route(
    method: str, pattern: str, func: Callable[[Request, re.Match[str]], Response], *, public: bool = False
) -> Route:
    return Route(method, re.compile(pattern), func, public)


def parse_int(text: str | None) -> int | None:
    """A strict decimal integer (optional leading minus), else None."""
    if text is None:
        return None
    digits = text[1:] if text.startswith("-") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return int(text)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    value = request.header("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (username, password) of an ``Authorization: Basic`` header, else None."""
    value = request.header("authorization") or ""
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


class Api(ABC):
    """One sandbox API: a deterministic dataset plus the HTTP semantics of its contract."""

    name: ClassVar[str]
    """The API's name, as in the contract (``avatars``)."""
    prefix: ClassVar[str]
    """Mount prefix on the sandbox server (``/avatars``); the API's base URL is host + prefix."""
    error_codes: ClassVar[Mapping[int, tuple[str, str]]]
    """Default (code, message) of the error body per HTTP status."""

    def __init__(self, scale: int, seed: int) -> None:
        if scale < 1:
            raise ValueError("scale must be >= 1")
        self.scale = scale
        self.seed = seed
        self.lock = threading.RLock()
        self.mutations = 0
        self._routes: Sequence[Route] = self.routes()

    # -- to implement -------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> Sequence[Route]:
        """The API's routes, matched in order against the subpath."""

    @abstractmethod
    def authenticate(self, request: Request) -> None:
        """Raise :class:`ApiError` (401) unless the request carries valid credentials."""

    @abstractmethod
    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        """The API's error body."""

    @abstractmethod
    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        """Records per stream that a full sync emits (children of vanished parents left out if asked)."""

    @abstractmethod
    def mutate(self) -> dict[str, set[str]]:
        """Change and add records deterministically; return per stream the changed/added keys."""

    # -- overridable hooks ------------------------------------------------------------------

    def common_headers(self) -> dict[str, str]:
        """Headers added to every response of this API (e.g. rate-limit headers)."""
        return {}

    def exempt_from_faults(self, request: Request) -> bool:
        """Whether a request is not a data request (fault modes do not apply)."""
        return False

    # -- shared behaviour -------------------------------------------------------------------

    def error(self, status: int, code: str | None = None, message: str | None = None) -> Response:
        """The API's error response for ``status`` (default code/message from :attr:`error_codes`)."""
        default_code, default_message = self.error_codes.get(status, self.error_codes[500])
        body = self.error_body(status, code or default_code, message or default_message)
        return Response.json(status, body)

    def handle(self, request: Request) -> Response:
        """Authenticate, route and answer one request (never raises :class:`ApiError`)."""
        with self.lock:
            matched = self._resolve(request)
            try:
                if matched is None or not matched[0].public:
                    self.authenticate(request)
                if matched is None:
                    raise ApiError(404)
                return matched[0].func(request, matched[1])
            except ApiError as exc:
                if exc.body is not None:
                    return Response.json(exc.status, exc.body)
                return self.error(exc.status, exc.code, exc.message)

    def _resolve(self, request: Request) -> tuple[Route, re.Match[str]] | None:
        for candidate in self._routes:
            if candidate.method != request.method:
                continue
            match = candidate.pattern.fullmatch(request.subpath)
            if match is not None:
                return candidate, match
        return None

    def next_mutation(self) -> int:
        """Count one more :meth:`mutate` call and return its 1-based number."""
        self.mutations += 1
        return self.mutations
