"""Reading HTTP responses: parsed once, with clear errors for bodies that are not JSON."""

from __future__ import annotations

import sys
import typing as t

import simplejson

from tap_generic_rest.http.streamed import is_streamed

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
    if is_streamed(response):
        msg = "the body is read record by record by the endpoint's decoder, not as one JSON document"
        raise MalformedResponseError(msg)
    try:
        document = simplejson.loads(response.content, use_decimal=True)
    except RecursionError:
        msg = (f"the response nests arrays or objects deeper than the JSON parser allows (about "
               f"{sys.getrecursionlimit()} levels; {_shape(response)})")
        raise MalformedResponseError(msg) from None
    except ValueError as exc:
        if "digits" in str(exc) and "integer" in str(exc):
            msg = (f"the response has an integer with more than {sys.get_int_max_str_digits()} digits, more than "
                   f"Python reads ({_shape(response)})")
            raise MalformedResponseError(msg) from None
        msg = f"the response is not valid JSON ({_shape(response)})"
        raise MalformedResponseError(msg) from None
    except UnicodeDecodeError:
        msg = f"the response is not valid JSON ({_shape(response)})"
        raise MalformedResponseError(msg) from None
    setattr(response, _CACHE_ATTRIBUTE, document)
    return document


def _shape(response: requests.Response) -> str:
    """``<Content-Type>, <n> bytes, starts with <first 40 bytes>``."""
    content_type = response.headers.get("Content-Type", "no Content-Type")
    return f"{content_type}, {len(response.content)} bytes, starts with {response.content[:40]!r}"

