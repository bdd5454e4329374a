"""Sandbox of the ``support`` API (contract §5).

Mount: ``/support`` (base URL ``http://HOST:PORT/support``). Auth: ``Authorization: Bearer sandbox-access-token``.
Rate-limit headers on every response. All times are integer UNIX seconds.

- activity_logs: ``created_at_after`` required, newest first, 20 per page, ``pages.next`` an absolute
  URL on the server's own base URL repeating the original query plus ``page``.
- companies: scroll of 25 per page (:mod:`.support_scroll`).
- contacts, conversations, tickets: ``POST .../search`` (:mod:`.support_search`).
- conversation_parts via ``GET /v1/conversations/{id}``; company_segments via
  ``GET /v1/companies/{id}/segments`` (404 ``company_not_found``).

Dataset: :mod:`.support_data`.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, urlencode

from .base import Api, ApiError, bearer_token, composite_key, is_vanished, parse_int, route
from .credentials import ACCESS_TOKEN
from .data import make_rng, mutation_time, uuid_from_text
from .messages import JsonObject, Request, Response
from .support_data import MAX_PARTS, SupportData
from .support_scroll import ScrollKeeper
from .support_search import parse_search, run_search

if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Mapping, Sequence

    from .base import Route

ACTIVITY_PAGE_SIZE = 20
RATE_LIMIT = 10000

# stream: (response type, records key, default per_page)
SEARCHES: dict[str, tuple[str, str, int]] = {
    "contacts": ("list", "data", 50),
    "conversations": ("conversation.list", "conversations", 20),
    "tickets": ("ticket.list", "tickets", 20),
}
LISTS: dict[str, tuple[str, str]] = {
    # path segment: (response type, records key)
    "admins": ("admin.list", "admins"),
    "tags": ("list", "data"),
    "teams": ("team.list", "teams"),
    "segments": ("segment.list", "segments"),
}


class SupportApi(Api):
    name = "support"
    prefix = "/support"
    error_codes: ClassVar[Mapping[int, tuple[str, str]]] = {
        400: ("parameter_invalid", "Invalid parameter"),
        401: ("unauthorized", "Access Token Invalid"),
        403: ("api_plan_restricted", "Active subscription needed."),
        404: ("not_found", "Resource Not Found"),
        429: ("rate_limit_exceeded", "Exceeded rate limit"),
        500: ("server_error", "Server Error"),
    }

    def __init__(self, scale: int, seed: int) -> None:
        super().__init__(scale, seed)
        self.data = SupportData(scale, seed)
        self.scroll = ScrollKeeper(seed)
        self._errors = 0
        self._served = 0

    def routes(self) -> Sequence[Route]:
        return [
            route("GET", r"/v1/admins/activity_logs", self._activity_logs),
            route("GET", r"/v1/(?P<segment>admins|tags|teams|segments)", self._plain_list),
            route("GET", r"/v1/companies/scroll", self._companies_scroll),
            route("GET", r"/v1/companies/(?P<id>[^/]+)/segments", self._company_segments),
            route("GET", r"/v1/data_attributes", self._data_attributes),
            route("POST", r"/v1/(?P<stream>contacts|conversations|tickets)/search", self._search),
            route("GET", r"/v1/conversations/(?P<id>[^/]+)", self._conversation),
        ]

    def authenticate(self, request: Request) -> None:
        if bearer_token(request) != ACCESS_TOKEN:
            raise ApiError(401)

    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        with self.lock:
            self._errors += 1
            request_id = uuid_from_text(f"{self.seed}:support-error:{self._errors}")
        return {"type": "error.list", "request_id": request_id, "errors": [{"code": code, "message": message}]}

    def common_headers(self) -> dict[str, str]:
        with self.lock:
            self._served += 1
            remaining = RATE_LIMIT - 1 - (self._served - 1) % RATE_LIMIT
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 10),
        }

    # -- routes ----------------------------------------------------------------------------

    def _activity_logs(self, request: Request, match: re.Match[str]) -> Response:
        after = parse_int(request.param("created_at_after"))
        if after is None:
            raise ApiError(400, message="created_at_after is required and must be an integer")
        before_raw = request.param("created_at_before")
        before = None if before_raw is None else parse_int(before_raw)
        if before_raw is not None and before is None:
            raise ApiError(400, message="created_at_before must be an integer")
        page_raw = request.param("page")
        page = 1 if page_raw is None else parse_int(page_raw)
        if page is None or page < 1:
            raise ApiError(400, message="page must be a positive integer")
        logs = sorted(
            (
                log
                for log in self.data.activity_logs
                if after <= log["created_at"] and (before is None or log["created_at"] < before)
            ),
            key=lambda log: (-log["created_at"], log["id"]),
        )
        total_pages = math.ceil(len(logs) / ACTIVITY_PAGE_SIZE)
        next_page: int | None = page + 1 if page < total_pages else None
        if request.faults.repeat_cursor and page >= 2:
            next_page = page
        pages = {
            "type": "pages",
            "next": None if next_page is None else self._page_url(request, next_page),
            "page": page,
            "per_page": ACTIVITY_PAGE_SIZE,
            "total_pages": total_pages,
        }
        chunk = logs[(page - 1) * ACTIVITY_PAGE_SIZE : page * ACTIVITY_PAGE_SIZE]
        return Response.json(200, {"type": "activity_log.list", "activity_logs": chunk, "pages": pages})

    @staticmethod
    def _page_url(request: Request, page: int) -> str:
        pairs = [(key, value) for key, value in parse_qsl(request.raw_query, keep_blank_values=True) if key != "page"]
        return f"{request.base_url}{request.subpath}?{urlencode([*pairs, ('page', str(page))])}"

    def _plain_list(self, request: Request, match: re.Match[str]) -> Response:
        segment = match["segment"]
        response_type, key = LISTS[segment]
        return Response.json(200, {"type": response_type, key: self.data.collection(segment)})

    def _companies_scroll(self, request: Request, match: re.Match[str]) -> Response:
        scroll_param = request.param("scroll_param")
        repeat = request.faults.repeat_cursor
        chunk, next_param = self.scroll.page(self.data.companies, scroll_param, repeat=repeat)
        body = {"type": "list", "data": chunk, "pages": None, "total_count": None, "scroll_param": next_param}
        return Response.json(200, body)

    def _company_segments(self, request: Request, match: re.Match[str]) -> Response:
        self._find(request, self.data.companies, match["id"], "company_not_found", "Company Not Found")
        return Response.json(200, {"type": "list", "data": self.data.company_segments[match["id"]]})

    def _data_attributes(self, request: Request, match: re.Match[str]) -> Response:
        model = request.param("model")
        if model not in self.data.attributes:
            raise ApiError(400, message="model must be one of: company, contact")
        return Response.json(200, {"type": "list", "data": self.data.attributes[model]})

    def _search(self, request: Request, match: re.Match[str]) -> Response:
        stream = match["stream"]
        response_type, key, default_per_page = SEARCHES[stream]
        try:
            body = request.json()
        except ValueError:
            raise ApiError(400, message="The request body is not valid JSON") from None
        result = run_search(
            self.data.collection(stream),
            parse_search(body, default_per_page),
            repeat_cursor=request.faults.repeat_cursor,
        )
        pages: JsonObject = {
            "type": "pages",
            "page": result.page,
            "per_page": result.per_page,
            "total_pages": result.total_pages,
        }
        if result.next_cursor is not None:
            pages["next"] = {"page": result.page + 1, "starting_after": result.next_cursor}
        return Response.json(
            200, {"type": response_type, key: result.records, "total_count": result.total_count, "pages": pages}
        )

    def _conversation(self, request: Request, match: re.Match[str]) -> Response:
        conversation = self._find(request, self.data.conversations, match["id"], "not_found", "Resource Not Found")
        parts = self.data.parts[conversation["id"]]
        listing = {
            "type": "conversation_part.list",
            "conversation_parts": parts[-MAX_PARTS:],
            "total_count": len(parts),
        }
        return Response.json(200, {**conversation, "conversation_parts": listing})

    @staticmethod
    def _find(request: Request, records: list[JsonObject], record_id: str, code: str, message: str) -> JsonObject:
        """A parent record by id; 404 when unknown or vanished (``vanish_parents`` fault)."""
        for position, record in enumerate(records):
            if record["id"] == record_id:
                if request.faults.vanish_parents and is_vanished(position):
                    break
                return record
        raise ApiError(404, code, message)

    # -- test support ----------------------------------------------------------------------

    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        data = self.data

        def kept_children(parents: list[JsonObject], children: Callable[[str], int]) -> int:
            return sum(
                children(parent["id"])
                for position, parent in enumerate(parents)
                if not (vanish_parents and is_vanished(position))
            )

        return {
            "activity_logs": len(data.activity_logs),
            "admins": len(data.admins),
            "tags": len(data.tags),
            "teams": len(data.teams),
            "segments": len(data.segments),
            "companies": len(data.companies),
            "company_attributes": len(data.attributes["company"]),
            "contact_attributes": len(data.attributes["contact"]),
            "contacts": len(data.contacts),
            "conversations": len(data.conversations),
            "tickets": len(data.tickets),
            "conversation_parts": kept_children(data.conversations, lambda cid: min(len(data.parts[cid]), MAX_PARTS)),
            "company_segments": kept_children(data.companies, lambda cid: len(data.company_segments[cid])),
        }

    def mutate(self) -> dict[str, set[str]]:
        """New activity logs; bumped and new contacts, conversations (with a new part) and tickets
        sharing one new ``updated_at`` per stream; a bumped and a new company; a new tag; a segment
        added to a company.

        conversation_parts lists every part of a changed or new conversation (an incremental sync
        re-reads the parts of each conversation its search returns).
        """
        number = self.next_mutation()
        rng = make_rng(self.seed, self.name, "mutate", number)
        data = self.data
        changed: dict[str, set[str]] = {stream: set() for stream in self.expected_counts()}

        for offset in range(3):
            changed["activity_logs"].add(data.add_activity_log(rng, mutation_time(number, offset))["id"])
        for stream, add, bumps, added, offset in (
            ("contacts", data.add_contact, 5, 3, 100),
            ("conversations", data.add_conversation, 3, 2, 200),
            ("tickets", data.add_ticket, 3, 2, 300),
        ):
            stamp = mutation_time(number, offset)
            for record in rng.sample(data.collection(stream), bumps):
                record["updated_at"] = stamp
                changed[stream].add(record["id"])
                if stream == "conversations":
                    data.add_part(rng, record["id"], stamp)
            for _ in range(added):
                changed[stream].add(add(rng, stamp, stamp)["id"])
        for conversation_id in changed["conversations"]:
            changed["conversation_parts"].update(
                composite_key(conversation_id, p["id"]) for p in data.parts[conversation_id]
            )

        company = rng.choice(data.companies)
        company["updated_at"] = mutation_time(number, 400)
        changed["companies"].add(company["id"])
        extra = next(seg for seg in data.segments if seg not in data.company_segments[company["id"]])
        data.company_segments[company["id"]].append(dict(extra))
        company["segments"]["segments"].append({"type": "segment", "id": extra["id"]})
        changed["company_segments"].add(composite_key(company["id"], extra["id"]))
        new_company = data.add_company(rng, mutation_time(number, 401))
        changed["companies"].add(new_company["id"])
        changed["company_segments"].update(
            composite_key(new_company["id"], segment["id"]) for segment in data.company_segments[new_company["id"]]
        )
        tag = {"type": "tag", "id": str(9000 + number), "name": f"Sandbox mutation {number}"}
        data.tags.append(tag)
        changed["tags"].add(tag["id"])
        return changed
