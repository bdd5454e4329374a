"""The paginator types, with dlt's names, fields and defaults (plus our ``scroll`` extension); the
numeric ones (``offset``, ``page_number``) are in :mod:`counters`."""

from __future__ import annotations

import logging
import typing as t
from urllib.parse import urljoin, urlsplit

from singer_sdk.pagination import BaseAPIPaginator, SinglePagePaginator
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR
from tap_generic_rest.expressions.selectors import lookup
from tap_generic_rest.expressions.templating import Condition
from tap_generic_rest.http.responses import response_json
from tap_generic_rest.pagination.base import Pagination, PaginationError, set_value

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.streams.rest import HTTPRequest

LOGGER = logging.getLogger("tap-generic-rest")


class SinglePage(Pagination):
    """One request returns everything."""

    type = "single_page"

    @override
    def new_paginator(self, start: tuple[object] | None = None) -> BaseAPIPaginator[t.Any]:
        return SinglePagePaginator()

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        return None


class _StopCondition(Pagination):
    """Our extension ``stop_condition``: a field name (stop when true) or an expression over ``response``."""

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Compile the stop condition."""
        super().__init__(spec)
        source = spec.get("stop_condition")
        self.stop: t.Callable[[t.Any], bool] | None = None
        if source and all(part.isidentifier() for part in source.split(".")):
            self.stop = lambda document: bool(lookup(document, source))
        elif source:
            condition = Condition(source)
            self.stop = lambda document: condition(response=document)

    @override
    def has_more(self, response: requests.Response, token: object) -> bool:
        if self.stop and self.stop(response_json(response)):
            return False
        return super().has_more(response, token)


class JsonLink(_StopCondition):
    """dlt ``json_link``: the response holds the next page's URL; followed as is, on the same host."""

    type = "json_link"
    aliases = ("json_response",)
    token_name = "next URL"
    stops_on_empty_page = False

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
    def next_token(self, response: requests.Response, token: object) -> object:
        return lookup(response_json(response), self.spec.get("next_url_path", "next")) or None

    @override
    def token_source(self) -> str:
        return f"next_url_path {self.spec.get('next_url_path', 'next')!r}"

    @override
    def token_key(self, response: requests.Response, token: object) -> str | None:
        return urljoin(response.url, str(token))

    @override
    def first_page_key(self, response: requests.Response, token: object) -> str | None:
        return response.request.url or None


class HeaderLink(JsonLink):
    """dlt ``header_link``: the URL of ``Link: <url>; rel="next"``."""

    type = "header_link"

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        return response.links.get(self.spec.get("links_next_key", "next"), {}).get("url") or None

    @override
    def token_source(self) -> str:
        return f"links_next_key {self.spec.get('links_next_key', 'next')!r} (a Link header rel)"

    @override
    def response_keys(self, response: requests.Response) -> list[str]:
        return [f"Link rel={rel}" for rel in response.links] or ["no Link header"]


class HeaderCursor(Pagination):
    """dlt ``header_cursor``: a cursor in a response header, sent as a query parameter."""

    type = "header_cursor"
    token_name = "cursor"
    stops_on_empty_page = False

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        if token is not None:
            request.params[self.spec.get("cursor_param", "cursor")] = token

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        return response.headers.get(self.spec.get("cursor_key", "next")) or None

    @override
    def token_source(self) -> str:
        return f"cursor_key {self.spec.get('cursor_key', 'next')!r} (a response header)"

    @override
    def response_keys(self, response: requests.Response) -> list[str]:
        return [f"header {name}" for name in response.headers]


class Cursor(_StopCondition):
    """dlt ``cursor``: a cursor read from the response, sent as a query parameter or in the JSON body."""

    type = "cursor"
    token_name = "cursor"
    stops_on_empty_page = False

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """dlt's defaults: ``cursor_path: cursors.next``, ``cursor_param: cursor``."""
        super().__init__(spec)
        self.cursor_path: str = spec.get("cursor_path") or "cursors.next"
        self.body_path: str | None = spec.get("cursor_body_path")
        self.cursor_param: str | None = spec.get("cursor_param") or (None if self.body_path else "cursor")

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        if token is not None:
            set_value(request, self.cursor_param, self.body_path, token)

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        cursor = lookup(response_json(response), self.cursor_path)
        if cursor in (None, "", []) and self.stop is not None:
            LOGGER.warning(
                "Pagination stopped: the stop condition %r says more pages follow, but the "
                "response has no %r to continue from", self.spec["stop_condition"], self.cursor_path,
            )
        return None if cursor in ("", []) else cursor

    @override
    def token_source(self) -> str:
        return f"cursor_path {self.cursor_path!r}"


class Scroll(Cursor):
    """Our extension ``scroll``: the cursor is always present (it may stay the same for the whole
    scroll); only an empty page ends it."""

    type = "scroll"
    repeats_token = True
    stops_on_empty_page = True
    resumable = False  # a scroll token expires

    @override
    def continues_if_empty(self, token: object) -> bool:
        return False
