"""Reading a response body within bounds: its decompressed size and the attempt's total time.

requests' ``timeout`` bounds each socket read, not the whole response, and a compressed body is
inflated without limit. :func:`read_bounded` reads the (decoded) body in small pieces, failing when it
grows past :data:`MAX_BODY_BYTES` (:class:`ResponseTooLargeError`, one line, not retried) or when the
attempt's deadline passes (a ``requests`` ``ReadTimeout``, retried like any timeout).
"""

from __future__ import annotations

import time
import typing as t

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from tap_generic_rest.errors import REDACTOR, UserError

#: The largest response body the tap reads, once decompressed (bytes): 128 MiB.
MAX_BODY_BYTES = 128 * 1024**2
_PIECE = 64 * 1024


class ResponseTooLargeError(UserError):
    """A response body larger than :data:`MAX_BODY_BYTES` once decompressed."""


def deadline_of(timeout: object) -> float | None:
    """The monotonic time by which an attempt with requests' ``timeout`` (seconds, or (connect, read)) ends."""
    seconds = timeout[-1] if isinstance(timeout, tuple) else timeout
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return time.monotonic() + float(seconds)
    return None


def read_bounded(response: requests.Response, deadline: float | None, limit: int = MAX_BODY_BYTES) -> None:
    """Read the whole body of a streamed ``response`` into ``response.content``, within the bounds."""
    pieces: list[bytes] = []
    size = 0
    try:
        for piece in _pieces(response):
            size += len(piece)
            if size > limit:
                raise ResponseTooLargeError(_too_large(response, limit))
            if deadline is not None and time.monotonic() > deadline:
                msg = "the response was still arriving when the attempt's deadline (request_timeout) passed"
                raise requests.exceptions.ReadTimeout(msg, request=response.request)
            pieces.append(piece)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(pieces)  # requests reads .content from here
    response.raw.release_conn()


def _pieces(response: requests.Response) -> t.Iterator[bytes]:
    """The decoded body in pieces of at most 64 KiB, whatever arrives (no waiting for a full piece)."""
    while piece := read_piece(response, _PIECE):
        yield piece


def read_piece(response: requests.Response, size: int) -> bytes:
    """At most ``size`` bytes of the (transport-decoded) body, whatever has arrived; b"" at its end. Network
    errors are the ``requests`` exceptions a non-streamed read raises."""
    raw = response.raw
    read = raw.read1 if hasattr(raw, "read1") else raw.read
    try:
        return t.cast("bytes", read(size, decode_content=True))
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from None
    except SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None


def _too_large(response: requests.Response, limit: int) -> str:
    encoding = response.headers.get("Content-Encoding")
    how = f" ({encoding}-compressed)" if encoding else ""
    return (f"the response from {REDACTOR.url(response.url)}{how} is larger than {limit // 1024**2} MiB once "
            "decompressed; the tap refuses bodies above that (ask the API for smaller pages)")
