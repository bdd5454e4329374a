"""Reading HTTP responses: parsed once, with clear errors for bodies that are not JSON."""

from __future__ import annotations

import typing as t

import simplejson

if t.TYPE_CHECKING:
    import requests

_CACHE_ATTRIBUTE = "_tap_generic_rest_json"


class MalformedResponseError(ValueError):
    """A 2xx response whose body is not the JSON the description expects."""


def response_json(response: requests.Response) -> t.Any:
    """The parsed JSON body (parsed once per response and cached on it)."""
    cached = getattr(response, _CACHE_ATTRIBUTE, _CACHE_ATTRIBUTE)
    if cached is not _CACHE_ATTRIBUTE:
        return cached
    try:
        document = simplejson.loads(response.content, use_decimal=True)
    except (ValueError, UnicodeDecodeError, RecursionError):
        content_type = response.headers.get("Content-Type", "no Content-Type")
        size = len(response.content)
        msg = (
            f"the response is not valid JSON ({content_type}, {size} bytes, "
            f"starts with {response.content[:40]!r})"
        )
        raise MalformedResponseError(msg) from None
    setattr(response, _CACHE_ATTRIBUTE, document)
    return document
