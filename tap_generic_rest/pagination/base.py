"""Paginators: the base of every paginator type and the SDK paginator that drives it.

A *pagination* is stateless (shared by every partition, safe for concurrent child requests): it
makes a fresh SDK paginator per request sequence and applies a page token to a request. The
types (dlt's, plus our ``scroll``) are in :mod:`paginator_types`; the ``type:`` registry and
auto-detection in :mod:`paginator_registry`.
"""

from __future__ import annotations

import hashlib
import typing as t
from abc import ABC, abstractmethod

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, UserError
from tap_generic_rest.expressions.selectors import lookup
from tap_generic_rest.http.responses import response_json

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.streams.rest import HTTPRequest


class PaginationError(UserError):
    """Pagination cannot go on safely (a loop, a foreign next URL, a bad has_more value)."""


class _Paginator(BaseAPIPaginator[t.Any]):
    """An SDK paginator driven by a :class:`Pagination`: fails clearly on a loop (a token, link or
    scroll page seen before in this partition: digests only) and when "more" has nothing to follow."""

    def __init__(self, pagination: Pagination, start_value: object) -> None:
        super().__init__(start_value)
        self._pagination = pagination
        self._seen: set[bytes] = set()

    @override
    def has_more(self, response: requests.Response) -> bool:
        return self._pagination.has_more(response, self.current_value)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        return self._pagination.continues_if_empty(self.current_value)

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
        if self._page_count <= 1:
            self._remember(self._pagination.first_page_key(response, self.current_value))
        token = self._pagination.next_token(response, self.current_value)
        if token is None or token == "":
            if self._pagination.says_more(response, self.current_value):
                raise PaginationError(self._pagination.missing_token_message(response))
            return token
        if not self._remember(self._pagination.token_key(response, token)):
            raise PaginationError(self._loop_message(response, token))
        return token

    def _remember(self, key: str | None) -> bool:
        """Remember ``key``'s digest; False when it was seen before in this partition."""
        if key is None:
            return True
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True

    def _loop_message(self, response: requests.Response, token: object) -> str:
        name = self._pagination.token_name
        if token == self.current_value and not self._pagination.repeats_token:
            what = f"the same {name} as the request ({str(token)[:80]!r})"
        elif self._pagination.repeats_token:
            what = f"the same page with the same {name} as an earlier page ({str(token)[:80]!r})"
        else:
            what = f"the {name} {REDACTOR.url(str(token))[:80]!r}, already followed in this partition (a cycle)"
        return (
            f"pagination loop: the response from {REDACTOR.url(response.url)} gives {what}; "
            "stopping instead of reading the same page forever"
        )


class Pagination(ABC):
    """How one endpoint pages: its request parameters, its stop rules, its next token."""

    #: dlt's ``type:`` name; a class that sets it is a registered type (``registry.PAGINATION_TYPES``)
    type: t.ClassVar[str]
    #: other ``type:`` names of this class alone (not inherited): dlt's deprecated ones
    aliases: t.ClassVar[tuple[str, ...]] = ()
    token_name: t.ClassVar[str] = "page token"
    #: whether the same token on consecutive pages is normal (not a loop)
    repeats_token: t.ClassVar[bool] = False
    #: whether an empty page ends pagination unless the type says otherwise
    stops_on_empty_page: t.ClassVar[bool] = True
    #: whether a sync can start at a page token saved by an interrupted run (``streams/resume.py``);
    #: not a scroll (its token expires) nor auto-detection (its token is the detected type's)
    resumable: t.ClassVar[bool] = True

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Keep the paginator's description fields."""
        self.spec = dict(spec)

    def new_paginator(self, start: tuple[object] | None = None) -> BaseAPIPaginator[t.Any]:
        """A fresh paginator for one sequence of pages (from the page of token ``start[0]`` if given)."""
        return _Paginator(self, start[0] if start is not None else self.start_value())

    def start_value(self) -> object:
        """The token of the first page (None: the first request carries no token)."""
        return None

    def apply(self, request: HTTPRequest, token: object) -> None:  # noqa: B027
        """Put ``token`` (None on the first page) and fixed page parameters into ``request``."""

    def continues_if_empty(self, token: object) -> bool:
        """Whether an empty page may be followed by another (``stop_after_empty_page: false``)."""
        return not bool(self.spec.get("stop_after_empty_page", self.stops_on_empty_page))

    def has_more(self, response: requests.Response, token: object) -> bool:
        """Whether another page follows (``has_more_path`` where given)."""
        path = self.spec.get("has_more_path")
        if not path:
            return True
        value = lookup(response_json(response), path)
        if not isinstance(value, bool):
            msg = (
                f"has_more_path {path!r} in the response from {REDACTOR.url(response.url)} is "
                f"{value!r}, not true or false; fix the paginator's has_more_path"
            )
            raise PaginationError(msg)
        return value

    def says_more(self, response: requests.Response, token: object) -> bool:
        """Whether the response itself says another page follows (``has_more_path`` true)."""
        path = self.spec.get("has_more_path")
        return isinstance(path, str) and bool(path) and lookup(response_json(response), path) is True

    def token_source(self) -> str:
        """Where the next token is read from, for messages (e.g. ``cursor_path 'next'``)."""
        return f"the {self.token_name}"

    def response_keys(self, response: requests.Response) -> list[str]:
        """The keys the response offers where the token is looked for (the body's top-level keys)."""
        document = response_json(response)
        return [str(key) for key in document] if isinstance(document, dict) else [type(document).__name__]

    def missing_token_message(self, response: requests.Response) -> str:
        """The one line when the response says "more" but gives nothing to continue from."""
        keys = ", ".join(self.response_keys(response)[:30]) or "nothing"
        return (
            f"the response from {REDACTOR.url(response.url)} says more pages follow (has_more_path "
            f"{self.spec.get('has_more_path')!r} is true), but {self.token_source()} gives no "
            f"{self.token_name} (the response has: {keys}); fix the paginator's {self.token_source()}"
        )

    def token_key(self, response: requests.Response, token: object) -> str | None:
        """What identifies the page ``token`` leads to, for loop detection (None: nothing)."""
        if self.repeats_token:  # a scroll token may repeat: the page it came with must not
            return f"{token!r}\n{hashlib.blake2b(response.content).hexdigest()}"
        return repr(token)

    def first_page_key(self, response: requests.Response, token: object) -> str | None:
        """The first page's :meth:`token_key` (its start token; None: the first request had none)."""
        return None if token is None or self.repeats_token else repr(token)

    @abstractmethod
    def next_token(self, response: requests.Response, token: object) -> object:
        """The next page's token (None: no more pages)."""


def set_path(body: dict[str, t.Any], dotted: str, value: object) -> None:
    """Set a dotted path in a JSON body, creating objects on the way."""
    *parents, last = dotted.split(".")
    node = body
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def set_value(request: HTTPRequest, param: str | None, body_path: str | None, value: object) -> None:
    """Send ``value`` as a query parameter, or at a path in the JSON body."""
    if body_path:
        body = request.data if isinstance(request.data, dict) else {}
        set_path(body, body_path, value)
        request.data = body
    elif param:
        request.params[param] = value
