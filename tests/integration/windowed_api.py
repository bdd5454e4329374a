"""A loopback API that serves records by date range: ``since`` and ``until`` (both included, RFC 3339
seconds) are required, and a range longer than 31 days is refused with 400, so a missing window split is
visible. Pages of ``PAGE`` records follow ``next`` (a ``page`` param).

Routes: ``/items`` (one record every 12 hours from ``FIRST``), ``/accounts`` (``ACCOUNTS``, one page, no
range) and ``/accounts/<id>/events`` (one event a day per account). Every request is logged; a test may
hold requests matching ``hold`` until it kills the client (``held`` is set when one arrives).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import typing as t
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FIRST = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
#: items until (excluded) this moment
LAST = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
PAGE = 10
ACCOUNTS = ("a1", "a2")
DAY = dt.timedelta(days=1)
LONGEST = dt.timedelta(days=31)
FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def stamp(moment: dt.datetime) -> str:
    """A moment as the API writes it."""
    return moment.strftime(FORMAT)


def _every(step: dt.timedelta) -> list[dt.datetime]:
    moments, moment = [], FIRST
    while moment < LAST:
        moments.append(moment)
        moment += step
    return moments


ITEMS = [{"id": i, "updated_at": stamp(moment)} for i, moment in enumerate(_every(dt.timedelta(hours=12)))]
EVENTS = {account: [{"id": f"{account}-{i}", "updated_at": stamp(moment)}
                    for i, moment in enumerate(_every(dt.timedelta(days=1)))] for account in ACCOUNTS}


class Request(t.NamedTuple):
    """One request the server saw (a POST's JSON body object is read as its query)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str] = {}


def _parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, FORMAT).replace(tzinfo=dt.UTC)


def _in_range(records: list[dict[str, t.Any]], query: dict[str, str], longest: dt.timedelta = LONGEST) -> tuple[
        int, t.Any]:
    if "since" not in query or "until" not in query:
        return HTTPStatus.BAD_REQUEST, {"error": "since and until are required"}
    since, until = _parse(query["since"]), _parse(query["until"])
    if until - since > longest:
        return HTTPStatus.BAD_REQUEST, {"error": "at most 31 days per request"}
    if until < since:
        return HTTPStatus.BAD_REQUEST, {"error": "until before since"}
    chosen = [record for record in records if since <= _parse(record["updated_at"]) <= until]
    page = int(query.get("page", "1"))
    rows = chosen[(page - 1) * PAGE: page * PAGE]
    return HTTPStatus.OK, {"data": rows, "next": str(page + 1) if page * PAGE < len(chosen) else None}


def route(request: Request) -> tuple[int, t.Any]:
    """The answer to ``request``."""
    parts = request.path.strip("/").split("/")
    if parts == ["items"]:
        return _in_range(ITEMS, request.query)
    if parts == ["gappy"]:  # nothing in February: 404
        february = request.query.get("since", "").startswith("2024-02")
        return (HTTPStatus.NOT_FOUND, {"error": "no data"}) if february else _in_range(ITEMS, request.query)
    if parts == ["loose"]:  # the range widened by a day on each side (an API that rounds to days)
        since, until = _parse(request.query["since"]) - DAY, _parse(request.query["until"]) + DAY
        widened = {"since": stamp(since), "until": stamp(until), "page": request.query.get("page", "1")}
        return _in_range(ITEMS, widened, LONGEST + 2 * DAY)
    if len(parts) == 3 and parts[0] == "ranges":  # the range in the path
        return _in_range(ITEMS, {**request.query, "since": parts[1], "until": parts[2]})
    if parts == ["accounts"]:
        return HTTPStatus.OK, {"data": [{"id": account} for account in ACCOUNTS], "next": None}
    if len(parts) == 3 and parts[0] == "accounts" and parts[2] == "events" and parts[1] in EVENTS:
        return _in_range(EVENTS[parts[1]], request.query)
    return HTTPStatus.NOT_FOUND, {"error": "no such path"}


class WindowedApi:
    """The server, on a free loopback port while in a ``with`` block."""

    def __init__(self, hold: t.Callable[[Request], bool] | None = None, rendezvous: int = 0) -> None:
        """Not listening yet; requests matching ``hold`` wait (until the server stops); the first
        ``rendezvous`` requests wait for each other (up to 10 s: ``met`` tells whether they were in flight
        together)."""
        self.requests: list[Request] = []
        self.hold = hold
        self.held = threading.Event()
        self.met = False
        self.in_flight = self.most_in_flight = 0
        self._barrier = threading.Barrier(rendezvous, timeout=10) if rendezvous > 1 else None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(json.loads(self.rfile.read(length) or b"{}"))

            def do_GET(self) -> None:
                self._serve({})

            def _serve(self, body: dict[str, str]) -> None:
                url = urlsplit(self.path)
                query = {**{k: v[0] for k, v in parse_qs(url.query).items()}, **body}
                request = Request(url.path, query, dict(self.headers.items()))
                with api._lock:
                    api.requests.append(request)
                    api.in_flight += 1
                    api.most_in_flight = max(api.most_in_flight, api.in_flight)
                    first = len(api.requests) <= (api._barrier.parties if api._barrier else 0)
                answer = self._answer(request, first=first)
                with api._lock:  # before the answer is written: the client cannot have it yet
                    api.in_flight -= 1
                if answer is None:
                    return
                data = json.dumps(answer[1]).encode()
                self.send_response(answer[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, request: Request, *, first: bool) -> tuple[int, t.Any] | None:
                if api.hold is not None and api.hold(request):
                    api.held.set()
                    api._stopping.wait(60)
                    return None
                if first and api._barrier is not None:
                    try:
                        api._barrier.wait()
                        api.met = True
                    except threading.BrokenBarrierError:
                        pass
                return route(request)

            def log_message(self, format: str, *args: t.Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def ranges(self, path: str = "/items") -> list[tuple[str, str]]:
        """The (since, until) of every first-page request to ``path``, in order."""
        return [(r.query.get("since", ""), r.query.get("until", "")) for r in self.requests
                if r.path == path and "page" not in r.query]

    def __enter__(self) -> WindowedApi:
        """Listen."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop listening (held requests end)."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
