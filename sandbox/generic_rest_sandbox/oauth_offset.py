"""Sandbox of the ``oauth_offset`` API (contract §6).

Mount: ``/oauth_offset`` (base URL ``http://HOST:PORT/oauth_offset``); token URL
``http://HOST:PORT/oauth_offset/oauth/token``. Client credentials ``sandbox-client-id`` /
``sandbox-client-secret`` as form fields or HTTP Basic; ``grant_type=client_credentials``.
Tokens live ``token_ttl`` seconds (then 401 ``invalid_token``).
Data: ``GET /v1/resource?offset=&limit=`` (offset >= 0, limit 1-100), ``{"data":[...],"total":N}``.

Data at scale 1: 250 records ``r1``..``r250`` in that order, with mixed field types (ints and
floats in one field, booleans, nulls, a key that is always null, nested objects, arrays of
strings and objects, an always-empty array, a key present on every 10th record only).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from .base import Api, ApiError, basic_credentials, bearer_token, parse_int, route
from .credentials import CLIENT_ID, CLIENT_SECRET
from .data import iso, make_rng, maybe, time_in_2024, title
from .messages import JsonObject, Request, Response

if TYPE_CHECKING:
    import random
    import re
    from collections.abc import Callable, Mapping, Sequence

    from .base import Route

TOKEN_PATH = "/oauth/token"
RECORDS_PER_SCALE = 250
MAX_LIMIT = 100
LABELS = ("x", "red", "green", "blue", "urgent", "archived")


@dataclass
class IssuedToken:
    issued_at: float
    calls: int = 0


class OAuthOffsetApi(Api):
    name = "oauth_offset"
    prefix = "/oauth_offset"
    error_codes: ClassVar[Mapping[int, tuple[str, str]]] = {
        400: ("invalid_request", "The request is invalid"),
        401: ("invalid_token", "The access token is missing, invalid or expired"),
        403: ("insufficient_scope", "The access token lacks the required scope"),
        404: ("not_found", "Not found"),
        429: ("rate_limited", "Too many requests"),
        500: ("server_error", "Internal server error"),
    }

    def __init__(
        self, scale: int, seed: int, token_ttl: int = 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(scale, seed)
        self.token_ttl = token_ttl
        self._clock = clock
        self._tokens: dict[str, IssuedToken] = {}
        self._issued = 0
        rng = make_rng(seed, self.name)
        self.records = [self._record(rng, number) for number in range(1, RECORDS_PER_SCALE * scale + 1)]

    def routes(self) -> Sequence[Route]:
        return [
            route("POST", TOKEN_PATH, self._token, public=True),
            route("GET", r"/v1/resource", self._resource),
        ]

    def exempt_from_faults(self, request: Request) -> bool:
        return request.subpath == TOKEN_PATH

    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        return {"error": code, "error_description": message}

    def authenticate(self, request: Request) -> None:
        access_token = bearer_token(request)
        issued = self._tokens.get(access_token or "")
        if issued is None:
            raise ApiError(401)
        limit = request.faults.expire_tokens
        if self._clock() - issued.issued_at >= self.token_ttl or (limit and issued.calls >= limit):
            del self._tokens[access_token or ""]
            raise ApiError(401, message="The access token expired")
        issued.calls += 1

    # -- data ------------------------------------------------------------------------------

    @staticmethod
    def _record(rng: random.Random, number: int) -> JsonObject:
        record: JsonObject = {
            "id": f"r{number}",
            "name": f"{title(rng)} {number}",
            "score": rng.choice((rng.randint(0, 100), round(rng.uniform(0, 100), 2))),
            "active": maybe(rng, rng.random() < 0.5),
            "owner": None,
            "amount": maybe(rng, round(rng.uniform(1, 10000), 2), 0.3),
            "count": rng.randint(0, 1000),
            "labels": sorted(rng.sample(LABELS, rng.randint(0, 3))),
            "meta": {
                "k": rng.choice(("v", "w", "z")),
                "level": rng.randint(1, 5),
                "nested": {"flag": rng.random() < 0.5, "ratio": maybe(rng, round(rng.random(), 3))},
            },
            "history": [{"at": iso(time_in_2024(rng)), "value": rng.randint(0, 9)} for _ in range(rng.randint(0, 2))],
            "empty_list": [],
            "created": iso(time_in_2024(rng)),
        }
        if number % 10 == 0:
            record["note"] = maybe(rng, f"Note for record {number}", 0.5)
        return record

    # -- routes ----------------------------------------------------------------------------

    def _token(self, request: Request, match: re.Match[str]) -> Response:
        form = request.form()
        client = basic_credentials(request) or (form.get("client_id"), form.get("client_secret"))
        if client != (CLIENT_ID, CLIENT_SECRET):
            raise ApiError(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported")
        self._issued += 1
        access_token = "sandbox-token-" + hashlib.sha256(f"{self.seed}:{self._issued}".encode()).hexdigest()[:24]
        self._tokens[access_token] = IssuedToken(self._clock())
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": self.token_ttl}
        return Response.json(200, body, headers={"Cache-Control": "no-store"})

    def _resource(self, request: Request, match: re.Match[str]) -> Response:
        numbers: dict[str, int] = {}
        for name, default, lowest, highest in (("offset", 0, 0, None), ("limit", MAX_LIMIT, 1, MAX_LIMIT)):
            raw = request.param(name)
            value = default if raw is None else parse_int(raw)
            if value is None or value < lowest or (highest is not None and value > highest):
                raise ApiError(400, message=f"Invalid {name}: {raw}")
            numbers[name] = value
        offset, limit = numbers["offset"], numbers["limit"]
        total = len(self.records)
        if request.faults.repeat_cursor and offset >= total:
            offset = max(0, total - limit)
        return Response.json(200, {"data": self.records[offset : offset + limit], "total": total})

    # -- test support ----------------------------------------------------------------------

    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        return {"resource_name": len(self.records)}

    def mutate(self) -> dict[str, set[str]]:
        """Rename and rescore 3 records, append 2 new ones."""
        number = self.next_mutation()
        rng = make_rng(self.seed, self.name, "mutate", number)
        changed: set[str] = set()
        for record in rng.sample(self.records, 3):
            record["name"] = f"{record['name']} (rev {number})"
            record["score"] = rng.randint(0, 100)
            changed.add(record["id"])
        for _ in range(2):
            record = self._record(rng, len(self.records) + 1)
            self.records.append(record)
            changed.add(record["id"])
        return {"resource_name": changed}
