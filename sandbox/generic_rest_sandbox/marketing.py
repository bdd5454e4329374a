"""Sandbox of the ``marketing`` API (contract §4).

Mount: ``/marketing/v2`` (base URL ``http://HOST:PORT/marketing/v2``, ``/v2`` included as in the contract).
Auth: HTTP Basic, username ``sandbox-api-key``, any password. Rate-limit headers on every response.
Pagination (broadcasts, campaigns, workflows, subscribers, event_actions): ``page``/``per_page``
(default 100, max 1000, broadcasts max 100, larger values capped) with ``meta``; the other
endpoints ignore ``page``/``per_page`` and return the whole list without ``meta``.

Data at scale 1: 3 accounts; per account (1st, 2nd, 3rd) broadcasts 130/0/12, campaigns 12/5/3,
workflows 8/4/3, subscribers 250/240/260 of mixed statuses (``status`` absent = only ``active``),
custom field identifiers 12/8/0, goals 6/2/3, event actions 230/15/4, tags 25/0/6, webhooks 4/1/0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from .base import Api, ApiError, basic_credentials, composite_key, is_vanished, parse_int, route
from .credentials import API_KEY
from .data import (
    LOWER_ALNUM,
    TIME_ZONES,
    UniqueIds,
    iso,
    make_rng,
    maybe,
    numbered,
    person_name,
    time_in_2024,
    title,
)
from .messages import JsonObject, Request, Response

if TYPE_CHECKING:
    import random
    import re
    from collections.abc import Callable, Mapping, Sequence

    from .base import Route

RATE_LIMIT = 3600
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
SUBSCRIBER_STATUSES = ("active", "unsubscribed", "bounced", "complained", "undeliverable")
STATUS_WEIGHTS = (60, 15, 10, 5, 10)


class Resource:
    """One account-scoped endpoint: path segment, stream name, records key, page-size cap (None = not paginated)."""

    def __init__(self, segment: str, stream: str, max_per_page: int | None, sizes: tuple[int, int, int]) -> None:
        self.segment = segment
        self.stream = stream
        self.max_per_page = max_per_page
        self.sizes = sizes
        """Records per account, by account position modulo 3."""

    @property
    def strings(self) -> bool:
        return self.stream in STRING_STREAMS


STRING_STREAMS = ("custom_fields", "events", "tags")
RESOURCES = {
    resource.segment: resource
    for resource in (
        Resource("broadcasts", "broadcasts", 100, (130, 0, 12)),
        Resource("campaigns", "campaigns", MAX_PER_PAGE, (12, 5, 3)),
        Resource("workflows", "workflows", MAX_PER_PAGE, (8, 4, 3)),
        Resource("subscribers", "subscribers", MAX_PER_PAGE, (250, 240, 260)),
        Resource("custom_field_identifiers", "custom_fields", None, (12, 8, 0)),
        Resource("goals", "conversions", None, (6, 2, 3)),
        Resource("event_actions", "events", MAX_PER_PAGE, (230, 15, 4)),
        Resource("tags", "tags", None, (25, 0, 6)),
        Resource("webhooks", "webhooks", None, (4, 1, 0)),
    )
}
BY_STREAM = {resource.stream: resource for resource in RESOURCES.values()}

FIELD_IDENTIFIERS = ("first_name", "last_name", "company", "city", "shirt_size", "phone", "birthday", "plan", "source")
TAG_NAMES = ("Customer", "SEO", "Lead", "Webinar", "Trial", "VIP", "Newsletter", "Partner", "Churn risk", "Beta")
VERBS = ("Started", "Finished", "Viewed", "Clicked", "Downloaded", "Booked", "Cancelled", "Upgraded",
         "Opened", "Shared", "Rated", "Joined", "Left", "Paid", "Ate")  # fmt: skip
OBJECTS = ("a trial", "a sandwich", "the pricing page", "a webinar", "an invoice", "a demo", "the onboarding",
           "a coupon", "the newsletter", "a survey", "a course", "the app", "a ticket", "a plan", "an ebook",
           "a podcast")  # fmt: skip
EVENT_ACTIONS = tuple(f"{verb} {obj}" for obj in OBJECTS for verb in VERBS)
WEBHOOK_EVENTS = (
    "subscriber.created",
    "subscriber.updated",
    "subscriber.unsubscribed",
    "goal.conversion",
    "broadcast.sent",
)


class MarketingApi(Api):
    name = "marketing"
    prefix = "/marketing/v2"
    error_codes: ClassVar[Mapping[int, tuple[str, str]]] = {
        400: ("invalid_request", "The request is invalid"),
        401: ("unauthorized", "Invalid API key"),
        403: ("authorization_error", "You are not authorized to access this resource"),
        404: ("not_found_error", "The requested resource was not found"),
        500: ("server_error", "Internal server error"),
    }

    def __init__(self, scale: int, seed: int) -> None:
        super().__init__(scale, seed)
        self.accounts: list[JsonObject] = []
        self.user: JsonObject = {"email": "owner@example.com", "name": "Sandbox Owner", "time_zone": "UTC"}
        self.data: dict[str, dict[str, list[Any]]] = {stream: {} for stream in BY_STREAM}
        self._ids = UniqueIds(make_rng(seed, self.name, "ids"), 20, LOWER_ALNUM)
        self._serial = 100000
        self._served = 0
        self._builders: dict[str, Callable[[random.Random], JsonObject]] = {
            "broadcasts": self._broadcasts,
            "campaigns": self._campaigns,
            "workflows": self._workflows,
            "subscribers": self._subscribers,
            "conversions": self._conversions,
            "webhooks": self._webhooks,
        }
        rng = make_rng(seed, self.name)
        for position in range(3 * scale):
            account = self._account(rng, position)
            self.accounts.append(account)
            for resource in RESOURCES.values():
                self.data[resource.stream][account["id"]] = []
                for _ in range(resource.sizes[position % 3]):
                    self._add(rng, resource.stream, account["id"])

    def routes(self) -> Sequence[Route]:
        return [
            route("GET", r"/accounts", self._list_accounts),
            route("GET", r"/user", self._list_users),
            route("GET", r"/(?P<account>[^/]+)/(?P<segment>[a-z_]+)", self._list_account_resource),
        ]

    def authenticate(self, request: Request) -> None:
        credentials = basic_credentials(request)
        if credentials is None or credentials[0] != API_KEY:
            raise ApiError(401)

    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        if status == 429:
            return {
                "message": "API rate limit exceeded. Please try again in an hour.",
                "documentation": "https://api.example.com/docs/rate-limits",
            }
        return {"errors": [{"code": code, "message": message}]}

    def common_headers(self) -> dict[str, str]:
        with self.lock:
            self._served += 1
            remaining = RATE_LIMIT - 1 - (self._served - 1) % RATE_LIMIT
        return {"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": str(remaining)}

    # -- data ------------------------------------------------------------------------------

    def _next_id(self, rng: random.Random) -> str:
        self._serial += rng.randint(1, 97)
        return str(self._serial)

    def _account(self, rng: random.Random, position: int) -> JsonObject:
        first, _ = person_name(rng)
        email = f"{first.lower()}@example.com"
        return {
            "id": str(1000000 + position * 7919 + rng.randint(0, 7000)),
            "name": f"{title(rng, 1)} {rng.choice(('Labs', 'Studio', 'Co.', 'Inc.'))}",
            "url": maybe(rng, f"www.example.com/{position + 1}"),
            "default_from_name": maybe(rng, first),
            "default_from_email": maybe(rng, email),
            "default_postal_address": maybe(rng, f"{rng.randint(1, 999)} Main St"),
            "primary_email": maybe(rng, email, 0.1),
            "enable_third_party_cookies": rng.random() < 0.3,
            "phone_number": maybe(rng, f"555-01{rng.randint(0, 99):02d}"),
            "created_at": iso(time_in_2024(rng)),
        }

    def _add(self, rng: random.Random, stream: str, account_id: str, **overrides: Any) -> str:
        """Append one generated record (or string) to an account's stream; return its key."""
        existing = self.data[stream][account_id]
        item: Any
        if stream == "custom_fields":
            item = numbered(FIELD_IDENTIFIERS, len(existing)).replace(" ", "_")
        elif stream == "events":
            item = numbered(EVENT_ACTIONS, len(existing))
        elif stream == "tags":
            item = numbered(TAG_NAMES, len(existing))
        else:
            item = {**self._builders[stream](rng), **overrides}
        existing.append(item)
        return composite_key(account_id, item) if isinstance(item, str) else str(item["id"])

    def _sender(self, rng: random.Random) -> tuple[str | None, str | None]:
        first, _ = person_name(rng)
        return maybe(rng, first), maybe(rng, f"{first.lower()}@example.com")

    def _broadcasts(self, rng: random.Random) -> JsonObject:
        status = rng.choice(("draft", "scheduled", "sent", "sent", "sent"))
        created = time_in_2024(rng, latest=1733011200)
        from_name, from_email = self._sender(rng)
        return {
            "id": self._next_id(rng),
            "status": status,
            "name": maybe(rng, f"{title(rng)} news", 0.1),
            "subject": maybe(rng, f"News about {title(rng, 1)}", 0.1),
            "from_name": from_name,
            "from_email": from_email,
            "send_at": None if status == "draft" else iso(created + rng.randint(3600, 30 * 86400)),
            "created_at": iso(created),
        }

    def _campaigns(self, rng: random.Random) -> JsonObject:
        from_name, from_email = self._sender(rng)
        return {
            "id": self._next_id(rng),
            "status": rng.choice(("active", "active", "paused", "draft")),
            "name": f"{title(rng)} Course",
            "from_name": from_name,
            "from_email": from_email,
            "email_count": rng.randint(1, 20),
            "active_subscriber_count": rng.randint(0, 500),
            "unsubscribed_subscriber_count": rng.randint(0, 40),
            "created_at": iso(time_in_2024(rng)),
        }

    def _workflows(self, rng: random.Random) -> JsonObject:
        return {
            "id": self._next_id(rng),
            "name": f"{title(rng)} Funnel",
            "status": rng.choice(("active", "active", "paused", "draft")),
            "created_at": iso(time_in_2024(rng)),
        }

    def _subscribers(self, rng: random.Random) -> JsonObject:
        first, last = person_name(rng)
        subscriber_id = self._ids.next()
        lead_score = maybe(rng, rng.randint(0, 100), 0.3)
        return {
            "id": subscriber_id,
            "status": rng.choices(SUBSCRIBER_STATUSES, STATUS_WEIGHTS)[0],
            "email": f"{first.lower()}.{last.lower()}.{subscriber_id[:6]}@example.com",
            "first_name": maybe(rng, first, 0.1),
            "last_name": maybe(rng, last, 0.2),
            "time_zone": maybe(rng, rng.choice(TIME_ZONES), 0.3),
            "custom_fields": rng.choice(({}, {"shirt_size": rng.choice(("Small", "Medium", "Large"))})),
            "tags": sorted(rng.sample(TAG_NAMES, rng.randint(0, 3))),
            "prospect": maybe(rng, rng.random() < 0.5, 0.3),
            "lead_score": lead_score,
            "base_lead_score": None if lead_score is None else min(lead_score, rng.randint(0, 50)),
            "lifetime_value": maybe(rng, rng.randint(0, 50000), 0.4),
            "user_id": maybe(rng, str(rng.randint(10000, 99999)), 0.5),
            "created_at": iso(time_in_2024(rng)),
        }

    def _conversions(self, rng: random.Random) -> JsonObject:
        return {
            "id": self._next_id(rng),
            "status": rng.choice(("active", "active", "paused")),
            "name": f"{title(rng, 1)} Signup",
            "url": maybe(rng, rng.choice(("/receipt", "/thanks", "/welcome"))),
            "default_value": maybe(rng, rng.randint(1, 50) * 100),
            "counting_method": rng.choice(("one_per_visitor", "all")),
            "created_at": iso(time_in_2024(rng)),
        }

    def _webhooks(self, rng: random.Random) -> JsonObject:
        webhook_id = self._next_id(rng)
        return {
            "id": webhook_id,
            "post_url": f"https://example.com/hooks/{webhook_id}",
            "version": rng.choice(("1", "2")),
            "include_received_email": rng.random() < 0.3,
            "events": sorted(rng.sample(WEBHOOK_EVENTS, rng.randint(1, 3))),
            "created_at": iso(time_in_2024(rng)),
        }

    # -- routes ----------------------------------------------------------------------------

    def _list_accounts(self, request: Request, match: re.Match[str]) -> Response:
        return Response.json(200, {"accounts": self.accounts})

    def _list_users(self, request: Request, match: re.Match[str]) -> Response:
        return Response.json(200, {"users": [self.user]})

    def _list_account_resource(self, request: Request, match: re.Match[str]) -> Response:
        resource = RESOURCES.get(match["segment"])
        position = next((index for index, acc in enumerate(self.accounts) if acc["id"] == match["account"]), None)
        if resource is None:
            raise ApiError(404)
        if position is None or (request.faults.vanish_parents and is_vanished(position)):
            raise ApiError(404, message=f"Account {match['account']} not found")
        records = self.data[resource.stream][match["account"]]
        extra_meta: JsonObject = {}
        if resource.stream == "subscribers":
            status = request.param("status") or "active"
            if status not in (*SUBSCRIBER_STATUSES, "all"):
                raise ApiError(400, message=f"Invalid status: {status}")
            records = [record for record in records if status in ("all", record["status"])]
            extra_meta["status"] = status
        if resource.max_per_page is None:
            return Response.json(200, {resource.segment: records})
        return Response.json(200, self._page(request, resource, records, extra_meta))

    @staticmethod
    def _page(request: Request, resource: Resource, records: list[Any], extra_meta: JsonObject) -> JsonObject:
        assert resource.max_per_page is not None
        numbers: dict[str, int] = {}
        for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
            raw = request.param(name)
            value = default if raw is None else parse_int(raw)
            if value is None or value < 1:
                raise ApiError(400, message=f"Invalid {name}: {raw}")
            numbers[name] = value
        page = numbers["page"]
        per_page = min(numbers["per_page"], resource.max_per_page)
        total_pages = math.ceil(len(records) / per_page)
        served = min(page, total_pages) if request.faults.repeat_cursor else page
        chunk = records[(served - 1) * per_page : served * per_page]
        meta = {"page": page, "count": len(chunk), "total_pages": total_pages, "total_count": len(records)}
        return {resource.segment: chunk, "meta": {**meta, **extra_meta}}

    # -- test support ----------------------------------------------------------------------

    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        kept = [
            account["id"]
            for position, account in enumerate(self.accounts)
            if not (vanish_parents and is_vanished(position))
        ]
        counts = {"accounts": len(self.accounts), "users": 1}
        for stream in BY_STREAM:
            counts[stream] = sum(len(self.data[stream][account_id]) for account_id in kept)
        return counts

    def mutate(self) -> dict[str, set[str]]:
        """Rename the first account, unsubscribe 2 subscribers, add subscribers, a broadcast, an
        event action, a custom field (1st account) and a tag (2nd account, whose list was empty)."""
        number = self.next_mutation()
        rng = make_rng(self.seed, self.name, "mutate", number)
        changed: dict[str, set[str]] = {"accounts": set(), "users": set(), **{stream: set() for stream in BY_STREAM}}
        first, second = self.accounts[0]["id"], self.accounts[1 % len(self.accounts)]["id"]

        self.accounts[0]["name"] = f"{title(rng, 1)} Labs v{number + 1}"
        changed["accounts"].add(first)
        active = [record for record in self.data["subscribers"][first] if record["status"] == "active"]
        for record in rng.sample(active, 2):
            record["status"] = "unsubscribed"
            changed["subscribers"].add(record["id"])
        for _ in range(3):
            changed["subscribers"].add(self._add(rng, "subscribers", first, status="active"))
        changed["broadcasts"].add(self._add(rng, "broadcasts", first, status="draft", send_at=None))
        for stream, account_id in (("events", first), ("custom_fields", first), ("tags", second)):
            changed[stream].add(self._add(rng, stream, account_id))
        return changed
