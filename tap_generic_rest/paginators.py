"""Paginators, by the description's ``paginator.type``.

Each type is a stateless *pagination* (shared by every partition, safe for concurrent child
requests) that makes a fresh SDK paginator per request sequence and applies a page token to a
request. ``PAGINATION_TYPES`` maps ``type:`` to its class; the description schema lists each
type's fields.
"""

from __future__ import annotations

import logging
import typing as t
from abc import ABC, abstractmethod
from urllib.parse import urljoin, urlsplit

from singer_sdk.pagination import BaseAPIPaginator, SinglePagePaginator
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, UserError
from tap_generic_rest.responses import response_json
from tap_generic_rest.selectors import dig
from tap_generic_rest.templating import Condition

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.streams.rest import HTTPRequest

LOGGER = logging.getLogger("tap-generic-rest")


class PaginationError(UserError):
    """Pagination cannot go on safely (a loop, a foreign next URL)."""


class _Paginator(BaseAPIPaginator[t.Any]):
    """An SDK paginator driven by a :class:`Pagination`, failing clearly on a loop."""

    def __init__(self, pagination: Pagination, start_value: object) -> None:
        super().__init__(start_value)
        self._pagination = pagination
        self._last_body: bytes | None = None

    @override
    def has_more(self, response: requests.Response) -> bool:
        return self._pagination.has_more(response_json(response), self.current_value)

    @override
    def advance(self, response: requests.Response) -> None:
        if not self._pagination.repeats_token:
            super().advance(response)
            return
        self._page_count += 1  # the SDK's advance treats a repeated token as a loop
        if not self.has_more(response) or (token := self.get_next(response)) is None:
            self._finished = True
        else:
            self._value = token

    @override
    def get_next(self, response: requests.Response) -> object:
        token = self._pagination.next_token(response_json(response), self.current_value)
        repeated = token is not None and token == self.current_value
        if repeated and self._pagination.repeats_token:
            # a constant scroll token is fine; the same token with the same page again is a loop
            repeated, self._last_body = response.content == self._last_body, response.content
        if repeated:
            msg = (
                f"pagination loop: the response from {REDACTOR.url(response.url)} gives the "
                f"same {self._pagination.token_name} as the request ({str(token)[:80]!r}); "
                "stopping instead of reading the same page forever"
            )
            raise PaginationError(msg)
        return token


class Pagination(ABC):
    """How one endpoint pages: its request parameters, its stop rule, its next token."""

    type: t.ClassVar[str]
    token_name: t.ClassVar[str] = "page token"
    #: whether the same token on consecutive pages is normal (not a loop)
    repeats_token: t.ClassVar[bool] = False

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Keep the paginator's description fields."""
        self.spec = dict(spec)

    def new_paginator(self) -> BaseAPIPaginator[t.Any]:
        """A fresh paginator for one sequence of pages."""
        return _Paginator(self, self.start_value())

    def start_value(self) -> object:
        """The token of the first page (None: the first request carries no token)."""
        return None

    def apply(self, request: HTTPRequest, token: object) -> None:  # noqa: B027
        """Put ``token`` (None on the first page) and fixed page parameters into ``request``."""

    def has_more(self, document: t.Any, token: object) -> bool:
        """Whether another page follows the one in ``document``."""
        return True

    @abstractmethod
    def next_token(self, document: t.Any, token: object) -> object:
        """The next page's token from ``document`` (None: no more pages)."""


class SinglePage(Pagination):
    """One request returns everything."""

    type = "single_page"

    @override
    def new_paginator(self) -> BaseAPIPaginator[t.Any]:
        return SinglePagePaginator()

    @override
    def next_token(self, document: t.Any, token: object) -> object:
        return None


def _stop_condition(spec: t.Mapping[str, t.Any]) -> t.Callable[[t.Any], bool] | None:
    """A ``stop_condition``: a field name (stop when true) or an expression over ``response``."""
    source = spec.get("stop_condition")
    if not source:
        return None
    if source.isidentifier() or all(part.isidentifier() for part in source.split(".")):
        return lambda document: bool(dig(document, source))
    condition = Condition(source)
    return lambda document: condition(response=document)


def _set_path(body: dict[str, t.Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    node = body
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


class Cursor(Pagination):
    """A cursor read from the response, sent back as a query parameter or in the JSON body."""

    type = "cursor"
    token_name = "cursor"

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Compile the stop condition."""
        super().__init__(spec)
        self.cursor_param: str | None = spec.get("cursor_param")
        self.cursor_path: str = spec.get("cursor_path") or self.cursor_param or "cursor"
        self.body_path: str | None = spec.get("cursor_body_path")
        self.stop = _stop_condition(spec)

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        if self.spec.get("page_size_param"):
            request.params[self.spec["page_size_param"]] = self.spec.get("page_size")
        if token is None:
            return
        if self.body_path:
            body = request.data if isinstance(request.data, dict) else {}
            _set_path(body, self.body_path, token)
            request.data = body
        elif self.cursor_param:
            request.params[self.cursor_param] = token

    @override
    def has_more(self, document: t.Any, token: object) -> bool:
        return not (self.stop and self.stop(document))

    @override
    def next_token(self, document: t.Any, token: object) -> object:
        cursor = dig(document, self.cursor_path)
        if cursor is None and self.stop is not None:
            LOGGER.warning(
                "Pagination stopped: the stop condition %r says more pages follow, but the "
                "response has no %r to continue from",
                self.spec["stop_condition"],
                self.cursor_path,
            )
        return cursor


class Scroll(Cursor):
    """A server-side scroll: the cursor is always present (it may stay the same for the whole scroll);
    only an empty page ends it."""

    type = "scroll"
    repeats_token = True

    @override
    def has_more(self, document: t.Any, token: object) -> bool:
        return True  # the empty final page ends the scroll (handled by the request loop)


class NextUrl(Pagination):
    """The response holds the next page's URL, followed verbatim on the same host."""

    type = "next_url"
    token_name = "next URL"

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Compile the optional stop condition."""
        super().__init__(spec)
        self.stop = _stop_condition(spec)

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        if token is None:
            return
        next_url = urljoin(request.url, str(token))
        if urlsplit(next_url)[:2] != urlsplit(request.url)[:2]:  # same scheme and host
            msg = (
                f"the next-page URL {REDACTOR.url(next_url)} points at another scheme or host than "
                f"{REDACTOR.url(request.url)}; refusing to send credentials there"
            )
            raise PaginationError(msg)
        request.url = next_url
        request.params = {}

    @override
    def has_more(self, document: t.Any, token: object) -> bool:
        return not (self.stop and self.stop(document))

    @override
    def next_token(self, document: t.Any, token: object) -> object:
        return dig(document, self.spec.get("next_url_path", "next")) or None


class PageNumber(Pagination):
    """``page=1,2,...``; stops at the total page count, a missing total or an empty page."""

    type = "page_number"
    token_name = "page number"

    @override
    def start_value(self) -> object:
        return int(self.spec.get("base_page", 1))

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        request.params[self.spec.get("page_param", "page")] = token
        if self.spec.get("page_size_param"):
            request.params[self.spec["page_size_param"]] = self.spec.get("page_size")

    @override
    def has_more(self, document: t.Any, token: object) -> bool:
        path = self.spec.get("total_pages_path")
        if not path:
            return True
        total = dig(document, path)
        if not isinstance(total, (int, float)) or isinstance(total, bool):
            return False
        pages_read = t.cast("int", token) - int(self.spec.get("base_page", 1)) + 1
        return pages_read < total

    @override
    def next_token(self, document: t.Any, token: object) -> object:
        return t.cast("int", token) + 1


class Offset(Pagination):
    """``offset=0,limit,2*limit,...``; stops at the total or an empty page."""

    type = "offset"
    token_name = "offset"

    @override
    def start_value(self) -> object:
        return 0

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        request.params[self.spec.get("offset_param", "offset")] = token
        request.params[self.spec.get("limit_param", "limit")] = self.spec.get("limit", 100)

    @override
    def has_more(self, document: t.Any, token: object) -> bool:
        path = self.spec.get("total_path")
        total = dig(document, path) if path else None
        if not isinstance(total, (int, float)) or isinstance(total, bool):
            return True  # no usable total: the empty page past the end stops
        return t.cast("int", token) + int(self.spec.get("limit", 100)) < total

    @override
    def next_token(self, document: t.Any, token: object) -> object:
        return t.cast("int", token) + int(self.spec.get("limit", 100))


PAGINATION_TYPES: dict[str, type[Pagination]] = {
    cls.type: cls for cls in (SinglePage, Cursor, Scroll, NextUrl, PageNumber, Offset)
}


def build_pagination(spec: t.Mapping[str, t.Any] | None) -> Pagination:
    """The pagination of an endpoint (single page when none is described)."""
    if not spec:
        return SinglePage({})
    return PAGINATION_TYPES[spec["type"]](spec)
