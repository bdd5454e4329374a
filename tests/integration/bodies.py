"""A loopback server that streams bodies (chunked), for the decoder and report-job tests.

A route is a callable from the :class:`Received` request to a :class:`Reply` whose body is an iterable of
byte chunks written as they are produced (HTTP/1.1 chunked transfer), so a body of any size is generated
on the fly and never held whole by the server. Helpers make CSV, gzip and zip bodies.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import threading
import typing as t
import zipfile
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.safety.helpers import Received

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator


@dataclass
class Reply:
    """One answer: status, headers and the body's chunks."""

    status: int = 200
    chunks: Iterable[bytes] = ()
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, document: object, status: int = 200, **headers: str) -> Reply:
        """A JSON answer."""
        return cls(status, [json.dumps(document).encode()], {"Content-Type": "application/json", **headers})


Route = t.Callable[[Received], Reply]


class BodyServer:
    """Serves ``routes`` (path -> route; a key ending in ``*`` is a prefix) on an ephemeral loopback port
    while :func:`serving`; records every request."""

    def __init__(self) -> None:
        """Bind the port (start with ``with``)."""
        self.routes: dict[str, Route] = {}
        self.received: list[Received] = []
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                   self.rfile.read(length) if length else b"")
                with lock:
                    server.received.append(request)
                route = server.routes.get(request.path) or server.prefix_route(request.path)
                reply = route(request) if route else Reply.json({"error": "not_found"}, 404)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.chunks:
                        if chunk:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = _serve  # noqa: N815 - the names http.server dispatches to

            def log_message(self, format: str, *args: t.Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def prefix_route(self, path: str) -> Route | None:
        """The route whose key ends with ``*`` and prefixes ``path``."""
        for key, route in self.routes.items():
            if key.endswith("*") and path.startswith(key[:-1]):
                return route
        return None

    def paths(self) -> list[str]:
        """The request targets received, in order."""
        return [request.target for request in self.received]


@contextlib.contextmanager
def serving() -> Iterator[BodyServer]:
    """A :class:`BodyServer` serving while the block runs."""
    server = BodyServer()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)


# -- bodies ---------------------------------------------------------------------------------------------


def csv_lines(rows: int, start: int = 1) -> Iterator[bytes]:
    """A CSV of ``rows`` rows (``id,name,amount``), in batches of lines, generated on the fly."""
    yield b"id,name,amount\r\n"
    batch = 2000
    for first in range(start, start + rows, batch):
        last = min(first + batch, start + rows)
        yield "".join(f"{n},item {n},{n % 1000}.5\r\n" for n in range(first, last)).encode()


def gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` gzip-compressed as they come."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        if out := compressor.compress(chunk):
            yield out
    yield compressor.flush()


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed."""
    return gzip.compress(data)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip archive of ``files`` (name -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pieces(data: bytes, size: int = 7) -> list[bytes]:
    """``data`` cut in small pieces (so decoders see records split across reads)."""
    return [data[i:i + size] for i in range(0, len(data), size)]


def counted(chunks: Iterable[bytes], callback: Callable[[], None], after: int) -> Iterator[bytes]:
    """``chunks``, calling ``callback`` once ``after`` chunks were sent."""
    for index, chunk in zip(itertools.count(), chunks, strict=False):
        if index == after:
            callback()
        yield chunk
