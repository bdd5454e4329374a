"""Sandbox of the ``webhooks`` API (contract §3).

Mount: ``/webhooks`` (base URL ``http://HOST:PORT/webhooks``; ``/ingest/...`` paths live under it too).
Auth: ``Authorization: Bearer sandbox-api-key``.
Pagination: ``limit`` (1-250, default 50) + opaque ``iterator`` (base64url of the last record's
stream and id); ``done`` is true exactly when no records follow.

Data at scale 1: 120 applications (app at position 7 has 65 endpoints, every 5th app none),
70 event types (``uuid`` = uuid5 of the name), 10 tokens, 8 ingest sources (position 1 without
endpoints), 55 operational webhook endpoints. Timestamps in 2024, some with 3 or 6 fractional digits.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import uuid
from typing import TYPE_CHECKING, ClassVar

from .base import Api, ApiError, bearer_token, is_vanished, parse_int, route
from .credentials import API_KEY
from .data import (
    EPOCH_2024,
    UniqueIds,
    iso,
    make_rng,
    maybe,
    mutation_time,
    random_fraction,
    time_in_2024,
    title,
    token,
)
from .messages import JsonObject, Request, Response

if TYPE_CHECKING:
    import random
    import re
    from collections.abc import Callable, Mapping, Sequence

    from .base import Route

DEFAULT_LIMIT = 50
MAX_LIMIT = 250

TOP_LEVEL = ("applications", "event_types", "tokens", "ingest_source", "webhook_endpoint")
CHILD_PARENT = {"endpoints": "applications", "integrations": "applications", "ingest_source_endpoint": "ingest_source"}

RESOURCES = (
    "user",
    "invoice",
    "payment",
    "subscription",
    "order",
    "message",
    "customer",
    "account",
    "ticket",
    "report",
)
ACTIONS = ("created", "updated", "deleted", "failed", "completed", "archived", "signup")
OPS_EVENT_TYPES = (
    "message.attempt.failing",
    "message.attempt.exhausted",
    "endpoint.created",
    "endpoint.updated",
    "endpoint.deleted",
    "endpoint.disabled",
)
SOURCE_NAMES = ("nightly", "hourly-sync", "orders-feed", "billing-events", "crm-push", "audit", "inventory", "alerts")
DESCRIPTIONS = ("", "", "Primary receiver", "Staging receiver", "Audit trail", "Analytics sink")
METADATA: tuple[dict[str, str], ...] = ({}, {}, {"env": "prod"}, {"env": "staging", "owner": "ops"}, {"team": "core"})

APPS_PER_SCALE = 120
BIG_APP_POSITION = 7
BIG_APP_ENDPOINTS = 65


def validation_error(msg: str, error_type: str) -> JsonObject:
    return {"detail": [{"loc": ["query", "limit"], "msg": msg, "type": error_type}]}


def encode_iterator(stream: str, record_id: str) -> str:
    raw = json.dumps([stream, record_id], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_iterator(text: str) -> tuple[str, str]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise ApiError(400, message="Invalid iterator") from None
    if not (isinstance(decoded, list) and len(decoded) == 2 and all(isinstance(part, str) for part in decoded)):
        raise ApiError(400, message="Invalid iterator")
    return decoded[0], decoded[1]


class WebhooksApi(Api):
    name = "webhooks"
    prefix = "/webhooks"
    error_codes: ClassVar[Mapping[int, tuple[str, str]]] = {
        400: ("generic_error", "Bad request"),
        401: ("authentication_failed", "Incorrect authentication credentials."),
        403: ("insufficient_access", "Insufficient access"),
        404: ("not_found", "Entity not found"),
        429: ("rate_limited", "Too many requests"),
        500: ("server_error", "Internal server error"),
    }

    def __init__(self, scale: int, seed: int) -> None:
        super().__init__(scale, seed)
        self.records: dict[str, list[JsonObject]] = {stream: [] for stream in TOP_LEVEL}
        self.children: dict[str, dict[str, list[JsonObject]]] = {stream: {} for stream in CHILD_PARENT}
        self._ids = UniqueIds(make_rng(seed, self.name, "ids"))
        self._clock: int | None = None
        rng = make_rng(seed, self.name)
        for position in range(APPS_PER_SCALE * scale):
            if position % APPS_PER_SCALE == BIG_APP_POSITION:
                endpoints = BIG_APP_ENDPOINTS
            elif position % 5 == 0:
                endpoints = 0
            else:
                endpoints = rng.choice((0, 1, 1, 2, 3))
            self._add_application(rng, endpoints, rng.choice((0, 0, 0, 1, 1, 2)))
        for position in range(70 * scale):
            self._add_event_type(rng, self._event_name(position))
        for _ in range(10 * scale):
            self._add_token(rng)
        for position in range(8 * scale):
            self._add_source(rng, 0 if position % 8 == 1 else rng.randint(1, 5))
        for _ in range(55 * scale):
            self._add_ops_endpoint(rng)

    def routes(self) -> Sequence[Route]:
        return [
            route("GET", r"/v1/app", self._top("applications")),
            route("GET", r"/v1/app/(?P<parent>[^/]+)/endpoint", self._child("endpoints")),
            route("GET", r"/v1/app/(?P<parent>[^/]+)/integration", self._child("integrations")),
            route("GET", r"/v1/event-type", self._top("event_types")),
            route("GET", r"/v1/management/authentication/api-token", self._top("tokens")),
            route("GET", r"/ingest/api/v1/source", self._top("ingest_source")),
            route("GET", r"/ingest/api/v1/source/(?P<parent>[^/]+)/endpoint", self._child("ingest_source_endpoint")),
            route("GET", r"/v1/operational-webhook/endpoint", self._top("webhook_endpoint")),
        ]

    def authenticate(self, request: Request) -> None:
        if bearer_token(request) != API_KEY:
            raise ApiError(401)

    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        return {"code": code, "detail": message}

    # -- data ------------------------------------------------------------------------------

    def _stamps(self, rng: random.Random) -> tuple[str, str]:
        """(createdAt, updatedAt): random 2024 times, or the mutation clock while mutating."""
        if self._clock is not None:
            stamp = self._tick()
            return stamp, stamp
        created = time_in_2024(rng, latest=EPOCH_2024 + 320 * 86400)
        updated = created + rng.choice((0, 0, rng.randint(1, 45 * 86400)))
        created_fraction = random_fraction(rng)
        updated_fraction = created_fraction if updated == created else random_fraction(rng)
        return iso(created, created_fraction), iso(updated, updated_fraction)

    def _tick(self) -> str:
        assert self._clock is not None
        self._clock += 1
        return iso(self._clock, "250000" if self._clock % 2 else "")

    @staticmethod
    def _event_name(position: int) -> str:
        names = [f"{resource}.{action}" for resource, action in itertools.product(RESOURCES, ACTIONS)]
        name = names[position % len(names)]
        return name if position < len(names) else f"{name}.v{position // len(names) + 1}"

    def _add_application(self, rng: random.Random, endpoints: int, integrations: int) -> JsonObject:
        number = len(self.records["applications"]) + 1
        created, updated = self._stamps(rng)
        app: JsonObject = {
            "id": self._ids.next("app_"),
            "uid": maybe(rng, f"app-{number}", 0.3),
            "name": f"{title(rng)} App",
            "metadata": dict(rng.choice(METADATA)),
            "createdAt": created,
            "updatedAt": updated,
        }
        self.records["applications"].append(app)
        self.children["endpoints"][app["id"]] = [self._endpoint(rng) for _ in range(endpoints)]
        self.children["integrations"][app["id"]] = [self._integration(rng) for _ in range(integrations)]
        return app

    def _endpoint(self, rng: random.Random, *, versioned: bool = True, kind: str = "webhook") -> JsonObject:
        endpoint_id = self._ids.next("ep_")
        created, updated = self._stamps(rng)
        record: JsonObject = {"id": endpoint_id}
        if versioned:
            record["version"] = rng.randint(1, 3)
        record.update(
            {
                "description": rng.choice(DESCRIPTIONS),
                "metadata": dict(rng.choice(METADATA)),
                "createdAt": created,
                "updatedAt": updated,
                "disabled": rng.random() < 0.15,
                "url": f"https://example.com/{kind}/{endpoint_id.lower()}/",
            }
        )
        return record

    def _integration(self, rng: random.Random) -> JsonObject:
        created, updated = self._stamps(rng)
        return {
            "id": self._ids.next("integ_"),
            "name": f"{title(rng)} Integration",
            "featureFlags": list(rng.choice(((), (), ("beta",), ("beta", "audit-log")))),
            "createdAt": created,
            "updatedAt": updated,
        }

    def _add_event_type(self, rng: random.Random, name: str) -> JsonObject:
        created, updated = self._stamps(rng)
        resource, _, action = name.partition(".")
        record: JsonObject = {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.com/event-types/{name}")),
            "name": name,
            "description": f"{resource.capitalize()} {action.replace('.', ' ')}",
            "archived": rng.random() < 0.1,
            "deprecated": rng.random() < 0.1,
            "featureFlag": maybe(rng, "beta-events", 0.85),
            "createdAt": created,
            "updatedAt": updated,
        }
        self.records["event_types"].append(record)
        return record

    def _add_token(self, rng: random.Random) -> JsonObject:
        created, _ = self._stamps(rng)
        record: JsonObject = {
            "id": self._ids.next("key_"),
            "name": maybe(rng, rng.choice(("CI key", "Deploy key", "Local dev", "Backfill job", "Monitoring"))),
            "censoredToken": f"testsk_{token(rng, 3)}***",
            "createdAt": created,
        }
        self.records["tokens"].append(record)
        return record

    def _add_source(self, rng: random.Random, endpoints: int) -> JsonObject:
        number = len(self.records["ingest_source"])
        kind = rng.choice(("cron", "cron", "generic-webhook", "http-poll"))
        config: JsonObject | None = {
            "cron": {"payload": "{}", "schedule": rng.choice(("0 0 * * *", "*/15 * * * *"))},
            "http-poll": {"url": "https://example.com/feed.json", "interval": "5m"},
        }.get(kind)
        created, updated = self._stamps(rng)
        source: JsonObject = {
            "id": self._ids.next("src_"),
            "name": SOURCE_NAMES[number % len(SOURCE_NAMES)]
            + (f"-{number // len(SOURCE_NAMES) + 1}" if number >= len(SOURCE_NAMES) else ""),
            "type": kind,
            "config": config,
            "createdAt": created,
            "updatedAt": updated,
        }
        self.records["ingest_source"].append(source)
        self.children["ingest_source_endpoint"][source["id"]] = [
            self._endpoint(rng, versioned=False, kind="ingest") for _ in range(endpoints)
        ]
        return source

    def _add_ops_endpoint(self, rng: random.Random) -> JsonObject:
        number = len(self.records["webhook_endpoint"]) + 1
        base = self._endpoint(rng, versioned=False, kind="ops")
        record: JsonObject = {
            "id": base["id"],
            "uid": maybe(rng, f"ops-{number}", 0.6),
            "url": base["url"],
            "description": base["description"],
            "metadata": base["metadata"],
            "disabled": base["disabled"],
            "filterTypes": maybe(rng, sorted(rng.sample(OPS_EVENT_TYPES, rng.randint(1, 3))), 0.3),
            "rateLimit": maybe(rng, rng.choice((10, 50, 100, 500)), 0.5),
            "createdAt": base["createdAt"],
            "updatedAt": base["updatedAt"],
        }
        self.records["webhook_endpoint"].append(record)
        return record

    # -- routes ----------------------------------------------------------------------------

    def _top(self, stream: str) -> Callable[[Request, re.Match[str]], Response]:
        def handler(request: Request, match: re.Match[str]) -> Response:
            return self._paginate(request, stream, self.records[stream])

        return handler

    def _child(self, stream: str) -> Callable[[Request, re.Match[str]], Response]:
        parent_stream = CHILD_PARENT[stream]

        def handler(request: Request, match: re.Match[str]) -> Response:
            parent_id = match["parent"]
            position = next(
                (index for index, parent in enumerate(self.records[parent_stream]) if parent["id"] == parent_id), None
            )
            if position is None or (request.faults.vanish_parents and is_vanished(position)):
                raise ApiError(404)
            return self._paginate(request, stream, self.children[stream][parent_id])

        return handler

    @staticmethod
    def _limit(request: Request) -> int:
        raw = request.param("limit")
        if raw is None:
            return DEFAULT_LIMIT
        limit = parse_int(raw)
        if limit is None:
            raise ApiError(422, body=validation_error("value is not a valid integer", "type_error.integer"))
        if limit > MAX_LIMIT:
            raise ApiError(422, body=validation_error(f"Given limit must not exceed {MAX_LIMIT}", "value_error"))
        if limit < 1:
            raise ApiError(422, body=validation_error("Given limit must be at least 1", "value_error"))
        return limit

    def _paginate(self, request: Request, stream: str, records: list[JsonObject]) -> Response:
        limit = self._limit(request)
        sent = request.param("iterator") or None
        start = 0
        if sent is not None:
            iterator_stream, last_id = decode_iterator(sent)
            ids = [record[self._pk(stream)] for record in records]
            if iterator_stream != stream or last_id not in ids:
                raise ApiError(400, message="Invalid iterator")
            start = ids.index(last_id) + 1
        page = records[start : start + limit]
        repeat = sent is not None and request.faults.repeat_cursor
        if not page and not repeat:
            return Response.json(200, {"data": [], "iterator": None, "done": True})
        body: JsonObject = {
            "data": page,
            "iterator": sent if repeat else encode_iterator(stream, page[-1][self._pk(stream)]),
            "prevIterator": "-" + encode_iterator(stream, page[0][self._pk(stream)]) if page else None,
            "done": False if repeat else start + len(page) >= len(records),
        }
        return Response.json(200, body)

    @staticmethod
    def _pk(stream: str) -> str:
        return "uuid" if stream == "event_types" else "id"

    # -- test support ----------------------------------------------------------------------

    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        counts = {stream: len(records) for stream, records in self.records.items()}
        for stream, parent_stream in CHILD_PARENT.items():
            counts[stream] = sum(
                len(self.children[stream][parent["id"]])
                for position, parent in enumerate(self.records[parent_stream])
                if not (vanish_parents and is_vanished(position))
            )
        return counts

    def mutate(self) -> dict[str, set[str]]:
        """Bump ``updatedAt`` of a few records per stream and add new ones (tokens: new only).

        All changes are stamped after every existing timestamp (see :func:`.data.mutation_time`).
        """
        number = self.next_mutation()
        rng = make_rng(self.seed, self.name, "mutate", number)
        changed: dict[str, set[str]] = {stream: set() for stream in (*TOP_LEVEL, *CHILD_PARENT)}
        self._clock = mutation_time(number)
        try:
            for stream, bumps in (
                ("applications", 3),
                ("event_types", 2),
                ("ingest_source", 1),
                ("webhook_endpoint", 2),
            ):
                for record in rng.sample(self.records[stream], bumps):
                    record["updatedAt"] = self._tick()
                    changed[stream].add(record[self._pk(stream)])
            big_app = self.records["applications"][BIG_APP_POSITION]["id"]
            for stream, parent_id, bumps in (
                ("endpoints", big_app, 2),
                ("integrations", self._first_parent_with("integrations"), 1),
                ("ingest_source_endpoint", self._first_parent_with("ingest_source_endpoint"), 1),
            ):
                for record in rng.sample(self.children[stream][parent_id], bumps):
                    record["updatedAt"] = self._tick()
                    changed[stream].add(record["id"])

            for endpoints, integrations in ((2, 1), (0, 0)):
                app = self._add_application(rng, endpoints, integrations)
                changed["applications"].add(app["id"])
                changed["endpoints"].update(record["id"] for record in self.children["endpoints"][app["id"]])
                changed["integrations"].update(record["id"] for record in self.children["integrations"][app["id"]])
            changed["event_types"].add(self._add_event_type(rng, f"sandbox.mutation{number}")["uuid"])
            changed["tokens"].add(self._add_token(rng)["id"])
            source = self._add_source(rng, 1)
            changed["ingest_source"].add(source["id"])
            changed["ingest_source_endpoint"].update(
                record["id"] for record in self.children["ingest_source_endpoint"][source["id"]]
            )
            changed["webhook_endpoint"].add(self._add_ops_endpoint(rng)["id"])
        finally:
            self._clock = None
        return changed

    def _first_parent_with(self, stream: str) -> str:
        return next(parent_id for parent_id, children in self.children[stream].items() if children)
