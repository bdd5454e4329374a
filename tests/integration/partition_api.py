"""A loopback API for the ``partitions`` and ``group_parents`` tests: items per region (and kind), accounts and
their users, asked for one account at a time or several at once (joined, repeated or in a JSON body).

Every request is recorded (method, path, query, headers, body), and the most requests in flight at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

REGIONS = ("eu", "us", "ap")
KINDS = ("a", "b")
ACCOUNTS = (1, 2, 3, 4, 5)


def items(region: str, kind: str | None = None, since: str | None = None) -> list[dict[str, t.Any]]:
    """The items of a region (of one kind), updated at or after ``since``."""
    found = [{"id": f"{region}-{k}-{n}", "kind": k, "updated_at": f"2024-01-0{n}T00:00:00Z"}
             for k in KINDS for n in (1, 2, 3)]
    return [item for item in found if (kind is None or item["kind"] == kind)
            and (since is None or item["updated_at"] >= since)]


def users(account: int, region: str | None = None) -> list[dict[str, t.Any]]:
    """The users of an account (in a region)."""
    prefix = f"{region}-" if region else ""
    return [{"id": f"{prefix}u{account}-{k}", "account_id": account, "name": f"user {k}"} for k in (1, 2)]


class Seen(t.NamedTuple):
    """One request the server saw."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str


class PartitionAPI(ThreadingHTTPServer):
    """The server; ``delay`` seconds per answer (to see requests in flight together)."""

    daemon_threads = True

    def __init__(self, *, accounts: t.Sequence[object] = ACCOUNTS, delay: float = 0.0) -> None:
        """Listen on a free loopback port."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.accounts = list(accounts)
        self.delay = delay
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> PartitionAPI:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *args: object) -> None:
        self.shutdown()
        self.server_close()

    def paths(self) -> list[str]:
        """The paths requested, with their query, in order."""
        return [seen.path + ("?" + "&".join(f"{k}={v}" for k, vs in seen.query.items() for v in vs)
                             if seen.query else "") for seen in self.seen]


class _Handler(BaseHTTPRequestHandler):
    server: PartitionAPI

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        seen = Seen(self.command, url.path, parse_qs(url.query), dict(self.headers.items()), body)
        with self.server.lock:
            self.server.seen.append(seen)
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
        try:
            time.sleep(self.server.delay)
            status, payload = _route(self.server, seen)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _first(seen: Seen, name: str) -> str | None:
    values = seen.query.get(name)
    return values[0] if values else None


def _route(server: PartitionAPI, seen: Seen) -> tuple[int, t.Any]:
    path = seen.path
    if match := re.fullmatch(r"/regions/(\w+)/items", path):
        return 200, {"data": items(match.group(1), _first(seen, "kind"), _first(seen, "since"))}
    if path == "/accounts":
        return 200, {"data": [{"id": account, "name": f"account {account}"} for account in server.accounts]}
    if match := re.fullmatch(r"/regions/(\w+)/accounts/(\d+)/users", path):
        return 200, {"data": users(int(match.group(2)), match.group(1))}
    if match := re.fullmatch(r"/accounts/([^/]+)/users", path):  # one account, or several joined: /accounts/1;2/users
        return 200, {"data": [user for account in match.group(1).split(";") for user in users(int(account))]}
    if path == "/users":  # ?ids=1,2 or ?ids=1&ids=2
        ids = [part for value in seen.query.get("ids", []) for part in value.split(",")]
        return 200, {"data": [user for account in ids for user in users(int(account))]}
    if path == "/users/search":
        ids = json.loads(seen.body or "{}").get("account_ids", [])
        return 200, {"data": [user for account in ids for user in users(int(account))]}
    return 404, {"error": f"no route {path}"}
