"""A response body read as a stream: no total deadline, no size cap, decompressed on the fly.

The bounds of a streamed body (``endpoint.decoder`` other than plain JSON) differ from
:mod:`~tap_generic_rest.http.body`'s: memory stays flat whatever the body's size, so there is no size
cap; and a big export may take longer than any per-attempt deadline, so there is none either.
What is bounded instead: every socket read must bring bytes within ``request_timeout`` seconds (the
progress deadline; a stalled body fails in one line), and one record (a line, a CSV row, an XML
record element) must fit in :data:`~tap_generic_rest.http.body.MAX_BODY_BYTES`.

``compression: gzip`` inflates the body while it is read (several gzip members are one stream);
``zip`` spools the body to a temporary file on disk (a zip archive keeps its index at its end) and
then reads its file members one after another, in archive order, each decoded on its own.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import typing as t
import zipfile
import zlib

from tap_generic_rest.errors import UserError
from tap_generic_rest.http.body import read_piece

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import requests

_PIECE = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
#: An attribute on a prepared request: its 2xx body is left unread by the session, for a decoder to stream
STREAM_BODY = "_tap_generic_rest_stream_body"
#: An attribute on a response whose body the session left unread
STREAMED = "_tap_generic_rest_streamed"


def wants_stream(request: object) -> bool:
    """Whether ``request`` asks for its 2xx body to be left unread (streamed by a decoder)."""
    return bool(getattr(request, STREAM_BODY, False))


def is_streamed(response: requests.Response) -> bool:
    """Whether the session left ``response``'s body unread, for a decoder to stream."""
    return bool(getattr(response, STREAMED, False))


class BodyError(UserError):
    """A streamed body that cannot be read as its decoder says (one line, names the place)."""


class ResponseBody(io.RawIOBase):
    """The (transport-decoded) body of a streamed response as a binary stream; network errors become
    ``requests`` exceptions, as a non-streamed read raises them."""

    def __init__(self, response: requests.Response) -> None:
        """The body of ``response`` (left unread by the session)."""
        super().__init__()
        self._response = response

    def readable(self) -> bool:
        """Always."""
        return True

    def readinto(self, buffer: t.Any) -> int:
        """Read at most ``len(buffer)`` bytes; 0 at the end."""
        piece = read_piece(self._response, min(len(buffer), _PIECE))
        size = len(piece)
        buffer[:size] = piece
        return size


def body_stream(response: requests.Response) -> io.BufferedReader:
    """The body of ``response``: streamed when the session left it unread, else its content."""
    if getattr(response, "_content_consumed", False) or not hasattr(response.raw, "read"):
        return io.BufferedReader(t.cast("io.RawIOBase", io.BytesIO(response.content)))
    return io.BufferedReader(ResponseBody(response), buffer_size=_PIECE)


def members(response: requests.Response, compression: str) -> Iterator[tuple[str, t.IO[bytes]]]:
    """The decompressed body as (name, binary stream) pairs: one for none/gzip, one per file for zip."""
    body = body_stream(response)
    if compression == "none":
        yield "", body
    elif compression == "gzip":
        yield "", _gunzipped(body, response)
    else:
        yield from _zip_members(body)


def _gunzipped(body: io.BufferedReader, response: requests.Response) -> t.IO[bytes]:
    if body.peek(2)[:2] == _GZIP_MAGIC:
        return _guarded(t.cast("t.IO[bytes]", gzip.GzipFile(fileobj=body, mode="rb")), "the gzip-compressed body")
    if "gzip" in response.headers.get("Content-Encoding", "").lower():
        return body  # the HTTP layer already inflated it (Content-Encoding: gzip on a .gz file)
    start = body.peek(16)[:16]
    msg = f"the body is not gzip-compressed (it starts with {start!r}); fix decoder.compression"
    raise BodyError(msg)


def _zip_members(body: io.BufferedReader) -> Iterator[tuple[str, t.IO[bytes]]]:
    with tempfile.TemporaryFile(prefix="tap-generic-rest-") as spool:
        while piece := body.read(_PIECE):
            spool.write(piece)
        spool.seek(0)
        try:
            archive = zipfile.ZipFile(spool)
        except zipfile.BadZipFile as exc:
            raise BodyError(f"the body is not a zip archive ({exc}); fix decoder.compression") from None
        with archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            if not files:
                raise BodyError("the zip archive holds no file")
            for info in files:
                with archive.open(info) as member:
                    yield info.filename, _guarded(member, f"zip member {info.filename!r}")


def _guarded(stream: t.IO[bytes], what: str) -> t.IO[bytes]:
    """``stream`` (buffered) whose corruption or truncation is one :class:`BodyError` line."""
    return t.cast("t.IO[bytes]", io.BufferedReader(_Guarded(stream, what), buffer_size=_PIECE))


class _Guarded(io.RawIOBase):
    """A decompressing stream whose errors are one :class:`BodyError` line naming ``what``."""

    def __init__(self, stream: t.IO[bytes], what: str) -> None:
        super().__init__()
        self._stream = stream
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        try:
            data = self._stream.read(len(buffer))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise BodyError(f"{self._what} is corrupt or cut short ({exc})") from None
        buffer[: len(data)] = data
        return len(data)
