"""The paginator registry (dlt's ``type:`` names) and dlt's paginator auto-detection."""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_generic_rest.http.responses import response_json
from tap_generic_rest.pagination.base import Pagination
from tap_generic_rest.pagination.counters import PageNumber
from tap_generic_rest.pagination.types import Cursor, HeaderLink, JsonLink, SinglePage

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.streams.rest import HTTPRequest

LOGGER = logging.getLogger("tap-generic-rest")
_TOTAL_PAGES_KEYS = ("total_pages", "pages", "totalpages")


def detect(response: requests.Response) -> Pagination:
    """dlt's detector (first match wins): a ``Link: rel="next"`` header, a ``next…`` URL in the body,
    a page count, a ``next…`` cursor; else a single page."""
    if "next" in response.links:
        return HeaderLink({"type": "header_link"})
    try:
        document = response_json(response)
    except ValueError:
        return SinglePage({})
    found = _find_next(document, "")
    if found and found[1]:
        return JsonLink({"type": "json_link", "next_url_path": found[0]})
    pages = _find_key(document, "", _TOTAL_PAGES_KEYS)
    if pages:
        LOGGER.warning("No paginator given: detected page_number (total_path %s); declare it to be sure", pages)
        return PageNumber({"type": "page_number", "total_path": pages})
    if found:
        LOGGER.warning("No paginator given: detected cursor (cursor_path %s); declare it to be sure", found[0])
        return Cursor({"type": "cursor", "cursor_path": found[0]})
    return SinglePage({})


def _is_url(value: object) -> bool:
    return isinstance(value, str) and (value.startswith(("http://", "https://", "/")))


def _find_next(node: object, prefix: str) -> tuple[str, bool] | None:
    """The path of the first ``next…`` key (or its href/url member) and whether it holds a URL."""
    if not isinstance(node, dict):
        return None
    cursor: tuple[str, bool] | None = None
    for key, value in node.items():
        path = f"{prefix}{key}"
        if str(key).lower().startswith("next"):
            if _is_url(value):
                return path, True
            if isinstance(value, dict):
                for member in ("href", "url"):
                    if _is_url(value.get(member)):
                        return f"{path}.{member}", True
            elif value is not None and not isinstance(value, (bool, list)) and cursor is None:
                cursor = (path, False)
    for key, value in node.items():
        inner = _find_next(value, f"{prefix}{key}.") if isinstance(value, dict) else None
        if inner and inner[1]:
            return inner
        cursor = cursor or inner
    return cursor


def _find_key(node: object, prefix: str, keys: tuple[str, ...]) -> str | None:
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if str(key).lower() in keys and isinstance(value, int) and not isinstance(value, bool):
            return f"{prefix}{key}"
    for key, value in node.items():
        if found := _find_key(value, f"{prefix}{key}.", keys):
            return found
    return None


class Auto(Pagination):
    """dlt ``auto`` (and no paginator): detect the type from the first response.

    Tokens are (detected pagination, its token), so the pagination itself stays stateless.
    """

    type = "auto"
    resumable = False  # a token is (detected type, its token)

    def _split(self, response: requests.Response, token: object) -> tuple[Pagination, object]:
        if token is None:
            detected = getattr(response, "_tap_generic_rest_paginator", None) or detect(response)
            response._tap_generic_rest_paginator = detected  # type: ignore[attr-defined]
            return detected, detected.start_value()
        return t.cast("tuple[Pagination, object]", token)

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        if token is not None:
            delegate, inner = t.cast("tuple[Pagination, object]", token)
            delegate.apply(request, inner)

    @override
    def continues_if_empty(self, token: object) -> bool:
        if token is None:
            return False
        delegate, inner = t.cast("tuple[Pagination, object]", token)
        return delegate.continues_if_empty(inner)

    @override
    def has_more(self, response: requests.Response, token: object) -> bool:
        delegate, inner = self._split(response, token)
        return not isinstance(delegate, SinglePage) and delegate.has_more(response, inner)

    @override
    def token_key(self, response: requests.Response, token: object) -> str | None:
        delegate, inner = t.cast("tuple[Pagination, object]", token)
        return delegate.token_key(response, inner)

    @override
    def first_page_key(self, response: requests.Response, token: object) -> str | None:
        delegate, inner = self._split(response, token)
        return delegate.first_page_key(response, inner)

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        delegate, inner = self._split(response, token)
        following = delegate.next_token(response, inner)
        return None if following is None else (delegate, following)


def _registered(cls: type[Pagination]) -> t.Iterator[type[Pagination]]:
    """``cls``'s subclasses that name a ``type`` of their own, depth first."""
    for sub in cls.__subclasses__():
        if "type" in vars(sub):
            yield sub
        yield from _registered(sub)


#: dlt's ``type:`` names (and aliases) -> classes: every Pagination subclass that names a type
PAGINATION_TYPES: dict[str, type[Pagination]] = {
    name: cls for cls in _registered(Pagination)  # type: ignore[type-abstract]
    for name in (cls.type, *vars(cls).get("aliases", ()))
}


def build_pagination(spec: t.Mapping[str, t.Any] | None) -> Pagination:
    """The pagination of a normalized endpoint paginator (a dict with ``type``; None: auto)."""
    if not spec:
        return Auto({"type": "auto"})
    return PAGINATION_TYPES[spec["type"]](spec)
