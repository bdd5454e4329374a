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
from urllib.parse import parse_qs, urlsplit

from tests.safety.helpers import Answer, CannedApi, Received

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
    headers: dict[str, str]  # names in lower case
    body: str


class PartitionAPI(CannedApi):
    """The server; ``delay`` seconds per answer (to see requests in flight together)."""

    def __init__(self, *, accounts: t.Sequence[object] = ACCOUNTS, delay: float = 0.0) -> None:
        """Listen on a free loopback port."""
        super().__init__()
        self.accounts = list(accounts)
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.routes = _Routes(self)

    @property
    def seen(self) -> list[Seen]:
        """The requests received, in order."""
        return [_seen(request) for request in self.received]

    def paths(self) -> list[str]:
        """The paths requested, with their query, in order."""
        return [urlsplit(request.target).path + (f"?{urlsplit(request.target).query}" if "?" in request.target else "")
                for request in self.received]

    def answer(self, request: Received) -> Answer:
        """The answer to one request, counting the requests in flight."""
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            status, payload = _route(self, _seen(request))
            return Answer(status, payload)
        finally:
            with self.lock:
                self.in_flight -= 1


class _Routes(dict[str, t.Any]):
    """Every path is routed by :func:`_route`."""

    def __init__(self, api: PartitionAPI) -> None:
        super().__init__()
        self._api = api

    def get(self, path: str, default: object = None) -> t.Any:  # every path is answered
        return self._api.answer


def _seen(request: Received) -> Seen:
    url = urlsplit(request.target)
    return Seen(request.method, url.path, parse_qs(url.query), request.headers, request.body.decode())


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
