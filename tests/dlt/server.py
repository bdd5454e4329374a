"""A tiny loopback server for the dlt-format suite: generic JSON APIs, one per paginator style.

Data: ``POSTS`` (23 posts, ids 1..23) and two comments per post. Pages hold ``PAGE`` records.
Every route answers GET (``/search`` also POST) and records what it was asked in ``requests``.
"""

from __future__ import annotations

import json
import re
import threading
import typing as t
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = 5
POSTS: list[dict[str, t.Any]] = [
    {"id": n, "title": f"post {n}", "updated_at": f"2024-01-{n:02d}T00:00:00Z", "author": {"id": n % 3, "tags": ["a"]}}
    for n in range(1, 24)
]
TOKEN = "issued-token-1"
GONE_POST = 7  # /flaky/posts/7/comments answers 404


def comments(post_id: int) -> list[dict[str, t.Any]]:
    """The comments of one post."""
    return [{"id": f"{post_id}-{k}", "post_id": post_id, "body": f"comment {k}"} for k in (1, 2)]


class Request(t.NamedTuple):
    """One request the server saw."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str


def _page(query: dict[str, list[str]], key: str, default: int) -> int:
    return int(query.get(key, [str(default)])[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        request = Request(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                          dict(self.headers.items()), body)
        self.server.requests.append(request)
        status, payload, headers = _route(request, f"http://{self.headers['Host']}")
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


Answer = tuple[int, t.Any, dict[str, str]]


def _route(request: Request, host: str) -> Answer:
    path, query = request.path, request.query
    ok = HTTPStatus.OK
    if path in ("/plain/posts", "/api/v1/posts"):
        return ok, POSTS, {}
    if path == "/posts":  # dlt's own mock API: pages from 1, "page"/"total_pages" and an absolute "next_page"
        page = _page(query, "page", 1)
        pages = -(-len(POSTS) // PAGE)
        following = {"next_page": f"{host}{path}?page={page + 1}"} if page < pages else {}
        return ok, {"data": _slice(page - 1), "page": page, "total_pages": pages, **following}, {}
    if path == "/wrapped/posts":
        return ok, {"meta": {"count": len(POSTS)}, "data": POSTS}, {}
    if match := re.fullmatch(r"/(?:flaky/)?posts/(\d+)/comments", path):
        post_id = int(match.group(1))
        if path.startswith("/flaky/") and post_id == GONE_POST:
            return HTTPStatus.NOT_FOUND, {"error": "post not found"}, {}
        return ok, {"data": comments(post_id)}, {}
    if match := re.fullmatch(r"/comments/(\d+)-(\d)", path):
        post_id, number = int(match.group(1)), int(match.group(2))
        return ok, {**comments(post_id)[number - 1], "likes": post_id * number}, {}
    if match := re.fullmatch(r"/posts/(\d+)", path):
        return ok, next(post for post in POSTS if post["id"] == int(match.group(1))), {}
    if path == "/json_link/posts":  # {"data", "next": absolute URL}
        page = _page(query, "page", 1)
        more = page * PAGE < len(POSTS)
        return ok, {"data": _slice(page - 1), "next": f"{host}{path}?page={page + 1}" if more else None}, {}
    if path == "/json_link_nested/posts":  # {"items", "links": {"next": relative URL}}
        page = _page(query, "p", 1)
        more = page * PAGE < len(POSTS)
        return ok, {"items": _slice(page - 1), "links": {"next": f"{path}?p={page + 1}" if more else None}}, {}
    if path == "/header_link/posts":
        page = _page(query, "page", 1)
        more = page * PAGE < len(POSTS)
        link = {"Link": f'<{host}{path}?page={page + 1}>; rel="next"'} if more else {}
        return ok, _slice(page - 1), link
    if path == "/header_cursor/posts":
        page = _page(query, "cursor", 0)
        more = (page + 1) * PAGE < len(POSTS)
        return ok, {"data": _slice(page)}, {"X-Next-Cursor": str(page + 1)} if more else {}
    if path == "/cursor/posts":  # {"results", "cursors": {"next"}}
        page = _page(query, "cursor", 0)
        more = (page + 1) * PAGE < len(POSTS)
        return ok, {"results": _slice(page), "cursors": {"next": str(page + 1) if more else None}}, {}
    if path == "/cursor_has_more/posts":  # the cursor never ends; has_more does
        page = _page(query, "after", 0)
        return ok, {"data": _slice(page), "has_more": (page + 1) * PAGE < len(POSTS), "next_cursor": str(page + 1)}, {}
    if path == "/cursor_empty/posts":  # the cursor never ends; an empty page does
        page = _page(query, "cursor", 0)
        return ok, {"data": _slice(page), "next_cursor": str(page + 1)}, {}
    if path in ("/offset/posts", "/offset_no_total/posts"):
        offset, limit = _page(query, "offset", 0), _page(query, "limit", PAGE)
        records = POSTS[offset:offset + limit]
        return ok, ({"data": records} if "no_total" in path else {"data": records, "total": len(POSTS)}), {}
    if path == "/page_number/posts":  # pages from 0, "total_pages"
        page = _page(query, "page", 0)
        return ok, {"data": _slice(page), "total_pages": -(-len(POSTS) // PAGE)}, {}
    if path == "/page_number_no_total/posts":  # pages from 0; has_more, and empty pages after the end
        page = _page(query, "page", 0)
        return ok, {"data": _slice(page), "has_more": (page + 1) * PAGE < len(POSTS)}, {}
    if path == "/incremental/posts":
        since, until = query.get("since", [""])[0], query.get("until", ["9999"])[0]
        return ok, {"data": [post for post in POSTS if since <= post["updated_at"] < until]}, {}
    if path == "/search":
        if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return ok, {"data": [{"id": 1, "form": parse_qs(request.body)}]}, {}
        sent = json.loads(request.body) if request.body else None
        return ok, {"data": [{"id": 1, "body": sent}]}, {}
    if path == "/oauth/token" and request.method == "POST":
        form = parse_qs(request.body)
        if form.get("grant_type") == ["client_credentials"] and form.get("client_secret") == ["s3cret"]:
            return ok, {"access_token": TOKEN, "expires_in": 3600}, {}
        return HTTPStatus.UNAUTHORIZED, {"error": "invalid_client"}, {}
    if path.startswith("/echo"):  # one record describing the request
        seen = {"Authorization", "X-Api-Key", "X-Version", "X-Post", "X-Literal", "Cookie"}
        return ok, [{"id": 1, "path": path, "query": {k: v[0] for k, v in sorted(query.items())},
                     "headers": {k: v for k, v in sorted(request.headers.items()) if k in seen}}], {}
    return HTTPStatus.NOT_FOUND, {"error": f"no route {path}"}, {}


def _slice(page: int) -> list[dict[str, t.Any]]:
    return POSTS[page * PAGE:(page + 1) * PAGE]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[Request]


class TestServer:
    """The server on an ephemeral loopback port, as a context manager."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        """Bind the port (nothing is served before ``__enter__``)."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Request]:
        """Every request seen so far."""
        return self._server.requests

    def __enter__(self) -> TestServer:
        """Serve in a daemon thread."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
