"""A loopback API whose records change after the discovery sample: ``GET /things?page=N``.

``COUNT`` records, ``PAGE`` a page, ``{"data": [...], "total_pages": N}``. Record ``n`` (from 0):
``id`` ``"t<n>"``; ``score`` an integer, a number from ``NUMBER_FROM`` on; ``meta`` ``{"k": "v"}``,
with ``extra`` from ``NESTED_FROM`` on; ``late_field`` from ``LATE_FROM`` on; ``flag`` a boolean,
the string ``"yes"`` at ``STRING_AT``. Everything before record 1,000 (the sample) is uniform.
"""

from __future__ import annotations

import json
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COUNT = 3000
PAGE = 500
LATE_FROM = 1500
NUMBER_FROM = 2000
NESTED_FROM = 2500
STRING_AT = 2900


def thing(n: int, *, retype_flag: bool = True) -> dict[str, t.Any]:
    """Record ``n`` (``retype_flag`` false: ``flag`` stays a boolean)."""
    record: dict[str, t.Any] = {"id": f"t{n}", "score": n + 0.5 if n >= NUMBER_FROM else n,
                                "meta": {"k": "v", **({"extra": n} if n >= NESTED_FROM else {})},
                                "flag": "yes" if n == STRING_AT and retype_flag else n % 2 == 0}
    if n >= LATE_FROM:
        record["late_field"] = f"late {n}"
    return record


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        page = int(parse_qs(url.query).get("page", ["0"])[0])
        first = page * PAGE
        records = [thing(n, retype_flag=self.server.retype_flag) for n in range(first, min(first + PAGE, COUNT))]
        body = {"data": records, "total_pages": -(-COUNT // PAGE)}
        data = json.dumps(body).encode()
        self.send_response(200 if url.path == "/things" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    retype_flag = True


class EvolvingServer:
    """The server on an ephemeral loopback port, as a context manager."""

    def __init__(self, *, retype_flag: bool = True) -> None:
        """Bind the port; ``retype_flag`` false: no boolean becomes a string (a type some targets cannot alter)."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.retype_flag = retype_flag
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EvolvingServer:
        """Serve in a daemon thread."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def description(url: str, **resource: t.Any) -> dict[str, t.Any]:
    """A description of the API with one resource ``things`` (``resource`` adds or replaces keys)."""
    return {"client": {"base_url": url}, "resources": [{
        "name": "things", "primary_key": "id",
        "endpoint": {"path": "/things", "data_selector": "data",
                     "paginator": {"type": "page_number", "base_page": 0, "total_path": "total_pages"}},
        **resource}]}


if __name__ == "__main__":  # a manual run: python -m tests.integration.evolving_server
    with EvolvingServer() as server:
        print(server.url, flush=True)
        threading.Event().wait()
