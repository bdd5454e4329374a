"""Tests of the sandbox server itself, over real HTTP on an ephemeral loopback port."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from generic_rest_sandbox import Fault, Sandbox, composite_key
from generic_rest_sandbox.cli import main as cli_main
from generic_rest_sandbox.credentials import ACCESS_TOKEN, API_KEY, CLIENT_ID, CLIENT_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]
BEARER = {"Authorization": f"Bearer {API_KEY}"}
SUPPORT = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
MARKETING_AUTH = (API_KEY, "")
TIMEOUT = 10

WEBHOOK_TOP = {
    "applications": "/v1/app",
    "event_types": "/v1/event-type",
    "tokens": "/v1/management/authentication/api-token",
    "ingest_source": "/ingest/api/v1/source",
    "webhook_endpoint": "/v1/operational-webhook/endpoint",
}
WEBHOOK_CHILDREN = {
    "endpoints": ("applications", "/v1/app/{}/endpoint"),
    "integrations": ("applications", "/v1/app/{}/integration"),
    "ingest_source_endpoint": ("ingest_source", "/ingest/api/v1/source/{}/endpoint"),
}
MARKETING_PAGED = {"broadcasts": "broadcasts", "campaigns": "campaigns", "workflows": "workflows",
                   "subscribers": "subscribers", "events": "event_actions"}  # fmt: skip
MARKETING_PLAIN = {"custom_fields": "custom_field_identifiers", "conversions": "goals", "tags": "tags",
                   "webhooks": "webhooks"}  # fmt: skip
SEARCH_KEYS = {"contacts": "data", "conversations": "conversations", "tickets": "tickets"}


@pytest.fixture(scope="module")
def sandbox():
    """A shared, never-mutated, fault-free sandbox."""
    with Sandbox() as running:
        yield running


@pytest.fixture
def fresh():
    """A private sandbox for tests that mutate data, set faults or hold state (scrolls, tokens)."""
    with Sandbox() as running:
        yield running


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


# -- walkers: plain clients of each pagination style -----------------------------------------


def walk_webhooks(http: requests.Session, url: str) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    iterator: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 50}
        if iterator is not None:
            params["iterator"] = iterator
        body = http.get(url, headers=BEARER, params=params, timeout=TIMEOUT).json()
        pages += 1
        records.extend(body["data"])
        if body["done"]:
            assert body["data"] == [] or body["iterator"] is not None
            return records, pages
        assert body["iterator"] not in (None, iterator)
        iterator = body["iterator"]


def walk_marketing(http: requests.Session, url: str, key: str, **params: Any) -> tuple[list[Any], int]:
    records: list[Any] = []
    page = 1
    while True:
        body = http.get(url, auth=MARKETING_AUTH, params={**params, "page": page, "per_page": 100}, timeout=TIMEOUT)
        body = body.json()
        records.extend(body[key])
        if page >= body["meta"]["total_pages"] or not body[key]:
            return records, page
        page += 1


def search_body(start: int, per_page: int = 150, order: str = "ascending", end: int | None = None) -> dict[str, Any]:
    query: dict[str, Any] = {"operator": "OR", "value": [
        {"field": "updated_at", "operator": ">", "value": start},
        {"field": "updated_at", "operator": "=", "value": start},
    ]}  # fmt: skip
    if end is not None:
        query = {"operator": "AND", "value": [query, {"field": "updated_at", "operator": "<", "value": end}]}
    return {"query": query, "sort": {"field": "updated_at", "order": order}, "pagination": {"per_page": per_page}}


def walk_search(http: requests.Session, base: str, stream: str, body: dict[str, Any]) -> tuple[list[dict], int]:
    records: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = http.post(f"{base}/v1/{stream}/search", headers=SUPPORT, json=body, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        records.extend(page[SEARCH_KEYS[stream]])
        following = page["pages"].get("next")
        if not following or not following.get("starting_after") or not page[SEARCH_KEYS[stream]]:
            return records, pages
        body = {**body, "pagination": {**body["pagination"], "starting_after": following["starting_after"]}}


def walk_activity_logs(http: requests.Session, base: str, start: int) -> tuple[list[dict], list[str]]:
    records: list[dict[str, Any]] = []
    urls = [f"{base}/v1/admins/activity_logs?created_at_after={start}"]
    while True:
        page = http.get(urls[-1], headers=SUPPORT, timeout=TIMEOUT).json()
        records.extend(page["activity_logs"])
        if not page["pages"]["next"]:
            return records, urls
        urls.append(page["pages"]["next"])


def walk_scroll(http: requests.Session, base: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        page = http.get(f"{base}/v1/companies/scroll", headers=SUPPORT, params=params, timeout=TIMEOUT).json()
        if not page["data"]:
            return records
        records.extend(page["data"])
        params = {"scroll_param": page["scroll_param"]}


def conversation_parts(http: requests.Session, base: str, conversation_id: str) -> list[dict[str, Any]]:
    response = http.get(f"{base}/v1/conversations/{conversation_id}", headers=SUPPORT, timeout=TIMEOUT)
    return list(response.json()["conversation_parts"]["conversation_parts"])


def oauth_token(http: requests.Session, sandbox: Sandbox) -> str:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = http.post(sandbox.token_url, data=form, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- general ------------------------------------------------------------------------------------


def test_same_seed_same_data_and_other_seed_differs():
    with Sandbox(seed=7) as one, Sandbox(seed=7) as two, Sandbox(seed=8) as other:
        pages = [
            requests.get(box.base_url("webhooks") + "/v1/app", headers=BEARER, timeout=TIMEOUT).json()["data"]
            for box in (one, two, other)
        ]
        assert pages[0] == pages[1] != pages[2]
        assert one.all_expected_counts() == two.all_expected_counts()


def test_scale_is_linear_for_top_level_streams():
    small, large = Sandbox(scale=1).all_expected_counts(), Sandbox(scale=2).all_expected_counts()
    for api, stream in [("avatars", "avatars"), ("webhooks", "applications"), ("marketing", "subscribers"),
                        ("support", "contacts"), ("oauth_offset", "resource_name")]:  # fmt: skip
        assert large[api][stream] == 2 * small[api][stream]


@pytest.mark.parametrize(
    ("api", "path", "auth", "status_body"),
    [
        ("avatars", "/v1/avatars/list", {"headers": {"Authorization": "Bearer nope"}},
         {"error": "unauthorized", "message": "Invalid or missing API key"}),
        ("webhooks", "/v1/app", {},
         {"code": "authentication_failed", "detail": "Incorrect authentication credentials."}),
        ("marketing", "/accounts", {"auth": ("wrong-key", "")},
         {"errors": [{"code": "unauthorized", "message": "Invalid API key"}]}),
        ("oauth_offset", "/v1/resource", {"headers": {"Authorization": "Bearer expired"}},
         {"error": "invalid_token", "error_description": "The access token is missing, invalid or expired"}),
    ],
)  # fmt: skip
def test_auth_failures(sandbox, http, api, path, auth, status_body):
    response = http.get(sandbox.base_url(api) + path, timeout=TIMEOUT, **auth)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == status_body


def test_support_auth_failure_and_unknown_routes(sandbox, http):
    response = http.get(sandbox.base_url("support") + "/v1/admins", headers=BEARER, timeout=TIMEOUT)
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list" and body["request_id"]
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    assert http.get(sandbox.url + "/nowhere", timeout=TIMEOUT).status_code == 404
    assert (
        http.get(sandbox.base_url("avatars") + "/v2/x", headers=BEARER, timeout=TIMEOUT).json()["error"] == "not_found"
    )
    marketing = http.get(sandbox.base_url("marketing") + "/a/b/c", auth=MARKETING_AUTH, timeout=TIMEOUT)
    assert marketing.status_code == 404 and marketing.json()["errors"][0]["code"] == "not_found_error"


def test_request_log_records_headers_bodies_and_counts(fresh, http):
    http.get(fresh.base_url("avatars") + "/v1/avatars/list", headers={**BEARER, "User-Agent": "tap-generic-rest/9"})
    http.post(fresh.base_url("support") + "/v1/contacts/search", headers=SUPPORT, json=search_body(0, per_page=1))
    assert fresh.request_count() == 2 and fresh.request_count("avatars") == 1
    logged = fresh.requests("support")[0]
    assert logged.method == "POST" and logged.path == "/support/v1/contacts/search" and logged.status == 200
    assert logged.json()["pagination"] == {"per_page": 1}
    assert fresh.requests("avatars")[0].headers["user-agent"] == "tap-generic-rest/9"
    fresh.reset_log()
    assert fresh.request_count() == 0 and fresh.requests() == []


# -- avatars ----------------------------------------------------------------------------------


def test_avatars_full_sync_and_child_errors(sandbox, http):
    base = sandbox.base_url("avatars")
    avatars = http.get(base + "/v1/avatars/list", headers=BEARER, timeout=TIMEOUT).json()["data"]
    counts = {"avatars": len(avatars), "tags": 0, "custom_fields": 0, "sequences": 0}
    childless = []
    tag_ids: list[str] = []
    for avatar in avatars:
        assert all(value is None or isinstance(value, str) for value in avatar.values())
        total = 0
        for stream, segment in (("tags", "tags"), ("custom_fields", "customfields"), ("sequences", "sequences")):
            response = http.get(f"{base}/v1/{segment}/list", headers=BEARER, params={"avatar_id": avatar["avatar_id"]})
            children = response.json()["data"]
            counts[stream] += len(children)
            total += len(children)
            if stream == "tags":
                tag_ids.extend(child["tag_id"] for child in children)
        if total == 0:
            childless.append(avatar["avatar_id"])
    assert counts == sandbox.expected_counts("avatars")
    assert childless and len(tag_ids) > len(set(tag_ids))
    missing = http.get(base + "/v1/tags/list", headers=BEARER, timeout=TIMEOUT)
    assert missing.status_code == 400 and missing.json()["error"] == "bad_request"
    unknown = http.get(base + "/v1/tags/list", headers=BEARER, params={"avatar_id": "999"}, timeout=TIMEOUT)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


# -- webhooks ---------------------------------------------------------------------------------


def test_webhooks_pagination_walks_every_stream(sandbox, http):
    base = sandbox.base_url("webhooks")
    counts: dict[str, int] = {}
    parents: dict[str, list[dict[str, Any]]] = {}
    for stream, path in WEBHOOK_TOP.items():
        records, pages = walk_webhooks(http, base + path)
        counts[stream], parents[stream] = len(records), records
        if stream == "applications":
            assert pages == 3
    for stream, (parent_stream, template) in WEBHOOK_CHILDREN.items():
        per_parent = [
            len(walk_webhooks(http, base + template.format(parent["id"]))[0]) for parent in parents[parent_stream]
        ]
        counts[stream] = sum(per_parent)
        if stream == "endpoints":
            assert max(per_parent) >= 60 and min(per_parent) == 0
    assert counts == sandbox.expected_counts("webhooks")
    ids = [record["id"] for stream in ("applications", "tokens", "ingest_source") for record in parents[stream]]
    assert len(ids) == len(set(ids))
    assert any("." in record["updatedAt"] for record in parents["applications"])


def test_webhooks_validation_empty_and_stable_uuids(sandbox, http):
    base = sandbox.base_url("webhooks")
    for limit, msg in (("251", "Given limit must not exceed 250"), ("0", None), ("ten", None)):
        response = http.get(base + "/v1/app", headers=BEARER, params={"limit": limit}, timeout=TIMEOUT)
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["query", "limit"] and (msg is None or detail["msg"] == msg)
    unknown = http.get(base + "/v1/app/app_missing/endpoint", headers=BEARER, timeout=TIMEOUT)
    assert unknown.status_code == 404 and unknown.json() == {"code": "not_found", "detail": "Entity not found"}
    apps, _ = walk_webhooks(http, base + "/v1/app")
    empty = next(app for app in apps if not walk_webhooks(http, f"{base}/v1/app/{app['id']}/endpoint")[0])
    body = http.get(f"{base}/v1/app/{empty['id']}/endpoint", headers=BEARER, params={"limit": 50}).json()
    assert body == {"data": [], "iterator": None, "done": True}
    last = http.get(base + "/v1/app", headers=BEARER, params={"limit": 250}, timeout=TIMEOUT).json()
    assert last["done"] is True and last["iterator"] is not None and len(last["data"]) == 120
    first, second = (walk_webhooks(http, base + "/v1/event-type")[0] for _ in range(2))
    assert [e["uuid"] for e in first] == [e["uuid"] for e in second]
    assert len({e["uuid"] for e in first}) == len(first)


# -- marketing --------------------------------------------------------------------------------


def test_marketing_pagination_walks_every_stream(sandbox, http):
    base = sandbox.base_url("marketing")
    response = http.get(base + "/accounts", auth=MARKETING_AUTH, timeout=TIMEOUT)
    assert int(response.headers["X-RateLimit-Limit"]) > 0 and "X-RateLimit-Remaining" in response.headers
    accounts = response.json()["accounts"]
    counts = {"accounts": len(accounts), "users": len(http.get(base + "/user", auth=MARKETING_AUTH).json()["users"])}
    pages_seen: dict[str, int] = {}
    for account in accounts:
        for stream, segment in MARKETING_PAGED.items():
            params = {"status": "all"} if stream == "subscribers" else {}
            records, pages = walk_marketing(http, f"{base}/{account['id']}/{segment}", segment, **params)
            counts[stream] = counts.get(stream, 0) + len(records)
            pages_seen[stream] = max(pages_seen.get(stream, 0), pages)
        for stream, segment in MARKETING_PLAIN.items():
            body = http.get(f"{base}/{account['id']}/{segment}", auth=MARKETING_AUTH, timeout=TIMEOUT).json()
            assert "meta" not in body
            counts[stream] = counts.get(stream, 0) + len(body[segment])
    assert counts == sandbox.expected_counts("marketing")
    assert pages_seen["events"] == 3 and pages_seen["subscribers"] == 3


def test_marketing_page_semantics(sandbox, http):
    base = sandbox.base_url("marketing")
    first, second, _ = (
        account["id"] for account in http.get(base + "/accounts", auth=MARKETING_AUTH).json()["accounts"]
    )

    def get(path: str, **params: Any) -> dict[str, Any]:
        return http.get(f"{base}/{path}", auth=MARKETING_AUTH, params=params, timeout=TIMEOUT).json()

    capped = get(f"{first}/broadcasts", per_page=500)
    assert capped["meta"] == {"page": 1, "count": 100, "total_pages": 2, "total_count": 130}
    uncapped = get(f"{first}/subscribers", status="all", per_page=500)
    assert uncapped["meta"]["count"] == 250 and uncapped["meta"]["total_pages"] == 1
    past = get(f"{first}/campaigns", page=9)
    assert past["campaigns"] == [] and past["meta"]["total_count"] == 12 and past["meta"]["page"] == 9
    assert get(f"{second}/broadcasts") == {
        "broadcasts": [],
        "meta": {"page": 1, "count": 0, "total_pages": 0, "total_count": 0},
    }
    assert get(f"{first}/tags", page=3, per_page=1) == get(f"{first}/tags")
    active = get(f"{first}/subscribers", per_page=1000)["subscribers"]
    everyone = get(f"{first}/subscribers", per_page=1000, status="all")["subscribers"]
    assert {s["status"] for s in active} == {"active"} and len(everyone) > len(active)
    assert {s["status"] for s in everyone} >= {"active", "unsubscribed", "bounced"}
    assert get(f"{second}/tags") == {"tags": []}
    unknown = http.get(f"{base}/42/broadcasts", auth=MARKETING_AUTH, timeout=TIMEOUT)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "not_found_error"


# -- support ----------------------------------------------------------------------------------


def test_support_full_sync_counts(fresh, http):
    base = fresh.base_url("support")
    counts: dict[str, int] = {}
    logs, urls = walk_activity_logs(http, base, 0)
    counts["activity_logs"] = len(logs)
    assert len(urls) == 4 and urls[1].startswith(base + "/v1/admins/activity_logs?created_at_after=0&page=2")
    assert [log["created_at"] for log in logs] == sorted((log["created_at"] for log in logs), reverse=True)
    for stream, path, key in (("admins", "/v1/admins", "admins"), ("tags", "/v1/tags", "data"),
                              ("teams", "/v1/teams", "teams"), ("segments", "/v1/segments", "segments")):  # fmt: skip
        counts[stream] = len(http.get(base + path, headers=SUPPORT, timeout=TIMEOUT).json()[key])
    for model in ("company", "contact"):
        attributes = http.get(base + "/v1/data_attributes", headers=SUPPORT, params={"model": model}).json()["data"]
        assert any("id" not in a for a in attributes) and any("id" in a for a in attributes)
        counts[f"{model}_attributes"] = len(attributes)
    companies = walk_scroll(http, base)
    counts["companies"] = len(companies)
    counts["company_segments"] = sum(
        len(http.get(f"{base}/v1/companies/{c['id']}/segments", headers=SUPPORT).json()["data"]) for c in companies
    )
    for stream in SEARCH_KEYS:
        records, _ = walk_search(
            http, base, stream, search_body(0, end=int(time.time()) if stream == "tickets" else None)
        )
        counts[stream] = len(records)
        if stream == "conversations":
            counts["conversation_parts"] = sum(len(conversation_parts(http, base, r["id"])) for r in records)
    assert counts == fresh.expected_counts("support")


@pytest.mark.parametrize("per_page", [20, 50, 150])
@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_support_search_cursor_handles_ties_across_pages(sandbox, http, per_page, order):
    base = sandbox.base_url("support")
    records, pages = walk_search(http, base, "contacts", search_body(0, per_page=per_page, order=order))
    assert len(records) == 400 == len({r["id"] for r in records})
    assert pages == -(-400 // per_page)
    keys = [(r["updated_at"] if order == "ascending" else -r["updated_at"], r["id"]) for r in records]
    assert keys == sorted(keys)
    boundary_ties = [
        i for i in range(per_page, 400, per_page) if records[i - 1]["updated_at"] == records[i]["updated_at"]
    ]
    assert boundary_ties, "the data must put ties across page boundaries"


def test_support_search_query_evaluation(sandbox, http):
    base = sandbox.base_url("support")
    everything, _ = walk_search(http, base, "tickets", search_body(0))
    times = sorted({t["updated_at"] for t in everything})
    pivot, upper = times[len(times) // 2], times[-3]

    def ids(query: Any) -> set[str]:
        body = {"query": query, "sort": {"field": "updated_at", "order": "ascending"}, "pagination": {"per_page": 150}}
        return {r["id"] for r in walk_search(http, base, "tickets", body)[0]}

    def expect(check: Any) -> set[str]:
        return {t["id"] for t in everything if check(t["updated_at"])}

    assert ids(search_body(pivot)["query"]) == expect(lambda v: v >= pivot)
    assert ids(search_body(pivot, end=upper)["query"]) == expect(lambda v: pivot <= v < upper)
    assert ids({"field": "updated_at", "operator": "=", "value": str(pivot)}) == expect(lambda v: v == pivot)
    assert ids({"field": "updated_at", "operator": ">", "value": pivot + 1}) == expect(lambda v: v > pivot + 1)
    assert ids({"operator": "AND", "value": [
        {"field": "updated_at", "operator": ">", "value": pivot},
        {"operator": "OR", "value": [{"field": "updated_at", "operator": "<", "value": upper},
                                     {"field": "updated_at", "operator": "=", "value": times[-1]}]},
    ]}) == expect(lambda v: v > pivot and (v < upper or v == times[-1]))  # fmt: skip

    def error(body: Any) -> tuple[int, str]:
        response = http.post(f"{base}/v1/tickets/search", headers=SUPPORT, json=body, timeout=TIMEOUT)
        return response.status_code, response.json()["errors"][0]["code"]

    leaf = {"field": "updated_at", "operator": ">", "value": 0}
    too_deep = {"operator": "AND", "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [leaf]}]}]}
    for bad in (
        {"query": too_deep},
        {"query": {**leaf, "value": "12a"}},
        {"query": {**leaf, "value": 1.5}},
        {"query": {**leaf, "value": True}},
        {"query": {**leaf, "operator": "~"}},
        {"query": {**leaf, "field": "name"}},
        {"query": {"operator": "XOR", "value": [leaf]}},
        {"query": {"operator": "AND", "value": []}},
        {"sort": {"order": "ascending"}},
        {"query": leaf, "pagination": {"per_page": 151}},
        {"query": leaf, "pagination": {"per_page": 0}},
        {"query": leaf, "pagination": {"starting_after": "not a cursor"}},
    ):
        assert error(bad) == (400, "parameter_invalid"), bad
    assert error({"query": leaf, "sort": {"field": "updated_at", "order": "up"}}) == (400, "invalid_sort_order")
    bad_json = http.post(
        f"{base}/v1/tickets/search", headers={**SUPPORT, "Content-Type": "application/json"}, data=b"{"
    )
    assert bad_json.status_code == 400
    empty = http.post(f"{base}/v1/conversations/search", headers=SUPPORT, json=search_body(2**40)).json()
    assert empty == {"type": "conversation.list", "conversations": [], "total_count": 0,
                     "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 0}}  # fmt: skip
    default = http.post(f"{base}/v1/contacts/search", headers=SUPPORT, json={"query": leaf}).json()
    assert default["pages"]["per_page"] == 50 and len(default["data"]) == 50
    assert [r["updated_at"] for r in default["data"]] == sorted(
        (r["updated_at"] for r in default["data"]), reverse=True
    )
    cursor = json.loads(base64.b64decode(default["pages"]["next"]["starting_after"]))
    assert cursor == [default["data"][-1]["updated_at"], default["data"][-1]["id"]]


def test_support_activity_logs_validation_and_window(sandbox, http):
    base = sandbox.base_url("support")
    for params in ({}, {"created_at_after": "yesterday"}):
        response = http.get(base + "/v1/admins/activity_logs", headers=SUPPORT, params=params, timeout=TIMEOUT)
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == "parameter_invalid"
    logs, _ = walk_activity_logs(http, base, 0)
    middle = sorted(log["created_at"] for log in logs)[30]
    later_logs, _ = walk_activity_logs(http, base, middle)
    assert {log["id"] for log in later_logs} == {log["id"] for log in logs if log["created_at"] >= middle}
    window = http.get(base + "/v1/admins/activity_logs", headers=SUPPORT,
                      params={"created_at_after": 0, "created_at_before": middle}).json()  # fmt: skip
    assert window["pages"]["total_pages"] == 2 and all(log["created_at"] < middle for log in window["activity_logs"])
    assert "created_at_before=" in window["pages"]["next"]
    empty = http.get(base + "/v1/admins/activity_logs", headers=SUPPORT, params={"created_at_after": 2**40}).json()
    assert empty["activity_logs"] == [] and empty["pages"] == {"type": "pages", "next": None, "page": 1,
                                                               "per_page": 20, "total_pages": 0}  # fmt: skip


def test_support_scroll_one_at_a_time_and_expiry(fresh, http):
    base = fresh.base_url("support")
    first = http.get(base + "/v1/companies/scroll", headers=SUPPORT, timeout=TIMEOUT).json()
    assert len(first["data"]) == 25 and first["pages"] is None and first["total_count"] is None
    clash = http.get(base + "/v1/companies/scroll", headers=SUPPORT, timeout=TIMEOUT)
    assert clash.status_code == 400 and clash.json()["errors"][0]["code"] == "scroll_exists"
    segments = http.get(f"{base}/v1/companies/{first['data'][1]['id']}/segments", headers=SUPPORT, timeout=TIMEOUT)
    assert segments.status_code == 200  # company_segments calls may interleave with a scroll
    params = {"scroll_param": first["scroll_param"]}
    while True:
        page = http.get(base + "/v1/companies/scroll", headers=SUPPORT, params=params, timeout=TIMEOUT).json()
        if not page["data"]:
            assert page["scroll_param"]  # still present on the final, empty page
            break
        params = {"scroll_param": page["scroll_param"]}
    gone = http.get(base + "/v1/companies/scroll", headers=SUPPORT, params=params, timeout=TIMEOUT)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "not_found"
    fresh.api("support").scroll.idle_seconds = 0.2
    abandoned = http.get(base + "/v1/companies/scroll", headers=SUPPORT, timeout=TIMEOUT).json()
    time.sleep(0.3)
    expired = http.get(
        base + "/v1/companies/scroll", headers=SUPPORT, params={"scroll_param": abandoned["scroll_param"]}
    )
    assert expired.status_code == 404
    assert len(walk_scroll(http, base)) == 60
    unknown = http.get(base + "/v1/companies/c_nothere/segments", headers=SUPPORT, timeout=TIMEOUT)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "company_not_found"
    conversation = http.get(base + "/v1/conversations/1", headers=SUPPORT, timeout=TIMEOUT)
    assert conversation.status_code == 404 and conversation.json()["errors"][0]["code"] == "not_found"


# -- oauth_offset -----------------------------------------------------------------------------


def test_oauth_token_endpoint(sandbox, http):
    url = sandbox.token_url
    assert url.endswith("/oauth_offset/oauth/token")
    basic = http.post(url, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=TIMEOUT)
    assert basic.status_code == 200 and basic.json()["token_type"] == "Bearer" and basic.json()["expires_in"] == 3600
    bad_client = http.post(url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"})
    assert bad_client.status_code == 401
    assert bad_client.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}
    bad_grant = http.post(url, data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=TIMEOUT)
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "unsupported_grant_type"


def test_oauth_offset_pagination_and_validation(sandbox, http):
    headers = {"Authorization": f"Bearer {oauth_token(http, sandbox)}"}
    url = sandbox.base_url("oauth_offset") + "/v1/resource"
    records: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = http.get(url, headers=headers, params={"offset": offset, "limit": 100}, timeout=TIMEOUT).json()
        records.extend(body["data"])
        offset += 100
        if offset >= body["total"] or not body["data"]:
            break
    assert [r["id"] for r in records] == [f"r{n}" for n in range(1, 251)]
    assert len(records) == sandbox.expected_counts("oauth_offset")["resource_name"]
    kinds = {type(r["score"]) for r in records} | {type(r["active"]) for r in records}
    assert {int, float, bool, type(None)} <= kinds and any(r["labels"] == [] for r in records)
    past = http.get(url, headers=headers, params={"offset": 300}, timeout=TIMEOUT).json()
    assert past == {"data": [], "total": 250}
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": "x"}):
        response = http.get(url, headers=headers, params=params, timeout=TIMEOUT)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_oauth_tokens_expire_after_ttl(http):
    with Sandbox(token_ttl=1) as short:
        headers = {"Authorization": f"Bearer {oauth_token(http, short)}"}
        url = short.base_url("oauth_offset") + "/v1/resource"
        assert http.get(url, headers=headers, timeout=TIMEOUT).status_code == 200
        time.sleep(1.1)
        expired = http.get(url, headers=headers, timeout=TIMEOUT)
        assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
        renewed = {"Authorization": f"Bearer {oauth_token(http, short)}"}
        assert http.get(url, headers=renewed, timeout=TIMEOUT).status_code == 200


# -- faults -----------------------------------------------------------------------------------


def test_fault_parsing():
    assert Fault.parse("webhooks:server_errors:3") == Fault("server_errors", 3, "webhooks")
    assert Fault.parse("rate_limit") == Fault("rate_limit", 5, None)
    assert str(Fault.parse("support:slow:0.5")) == "support:slow:0.5"
    for bad in ("nope", "server_errors:4", "rate_limit:1", "always_fail:2", "slow:x", "avatars:"):
        with pytest.raises(ValueError, match="fault"):
            Fault.parse(bad)


def test_fault_rate_limit_is_scoped_and_retry_succeeds(fresh, http):
    fresh.set_faults(["avatars:rate_limit:3"])
    url = fresh.base_url("avatars") + "/v1/avatars/list"
    statuses = [http.get(url, headers=BEARER, timeout=TIMEOUT) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 200, 200, 429]
    assert statuses[2].headers["Retry-After"] == "1"
    assert statuses[2].json() == {"error": "rate_limited", "message": "Too many requests"}
    other = http.get(fresh.base_url("webhooks") + "/v1/app", headers=BEARER, timeout=TIMEOUT)
    assert other.status_code == 200
    fresh.set_faults(["marketing:rate_limit:2"])
    base = fresh.base_url("marketing")
    limited = [http.get(base + "/accounts", auth=MARKETING_AUTH, timeout=TIMEOUT) for _ in range(2)][1]
    assert limited.status_code == 429 and limited.json()["message"].startswith("API rate limit exceeded")
    assert "X-RateLimit-Limit" in limited.headers


def test_fault_server_errors_bursts_on_every_fourth_distinct_request(fresh, http):
    fresh.set_faults(["webhooks:server_errors:2"])
    base = fresh.base_url("webhooks")
    for path in WEBHOOK_TOP.values():
        if path == "/ingest/api/v1/source":
            break
        assert http.get(base + path, headers=BEARER, timeout=TIMEOUT).status_code == 200
    attempts = [http.get(base + "/ingest/api/v1/source", headers=BEARER, timeout=TIMEOUT) for _ in range(3)]
    assert [r.status_code for r in attempts] == [500, 502, 200]
    assert attempts[0].json() == {"code": "server_error", "detail": "Internal server error"}


def test_fault_always_fail_and_reset(fresh, http):
    fresh.set_faults(["support:always_fail"])
    for _ in range(4):
        response = http.get(fresh.base_url("support") + "/v1/admins", headers=SUPPORT, timeout=TIMEOUT)
        assert response.status_code == 503 and response.json()["errors"][0]["code"] == "server_error"
    fresh.set_faults(["oauth_offset:reset:2"])
    token = oauth_token(http, fresh)  # the token endpoint is never faulted
    url = fresh.base_url("oauth_offset") + "/v1/resource"
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(url, headers=headers, timeout=TIMEOUT).status_code == 200
    with pytest.raises(requests.ConnectionError):
        http.get(url, headers=headers, timeout=TIMEOUT)
    assert http.get(url, headers=headers, timeout=TIMEOUT).status_code == 200
    assert [r.status for r in fresh.requests("oauth_offset")][-2:] == [None, 200]


def test_fault_slow_only_delays_every_fifth_request(fresh, http):
    fresh.set_faults(["avatars:slow:0.4"])
    url = fresh.base_url("avatars") + "/v1/avatars/list"
    durations = []
    for _ in range(6):
        started = time.monotonic()
        assert http.get(url, headers=BEARER, timeout=TIMEOUT).status_code == 200
        durations.append(time.monotonic() - started)
    assert durations[4] >= 0.4 and max(durations[:4] + durations[5:]) < 0.4


def test_fault_expire_tokens(fresh, http):
    fresh.set_faults(["expire_tokens:2"])
    url = fresh.base_url("oauth_offset") + "/v1/resource"
    headers = {"Authorization": f"Bearer {oauth_token(http, fresh)}"}
    statuses = [http.get(url, headers=headers, params={"limit": 1}, timeout=TIMEOUT).status_code for _ in range(3)]
    assert statuses == [200, 200, 401]
    headers = {"Authorization": f"Bearer {oauth_token(http, fresh)}"}
    assert http.get(url, headers=headers, timeout=TIMEOUT).status_code == 200


def test_fault_vanish_parents_matches_expected_counts(fresh, http):
    fresh.set_faults(["vanish_parents"])
    base = fresh.base_url("avatars")
    avatars = http.get(base + "/v1/avatars/list", headers=BEARER, timeout=TIMEOUT).json()["data"]
    tags, missing = 0, []
    for avatar in avatars:
        response = http.get(base + "/v1/tags/list", headers=BEARER, params={"avatar_id": avatar["avatar_id"]})
        if response.status_code == 404:
            missing.append(avatar["avatar_id"])
        else:
            tags += len(response.json()["data"])
    assert missing == ["3", "6"]
    assert (
        tags == fresh.expected_counts("avatars", vanish_parents=True)["tags"] < fresh.expected_counts("avatars")["tags"]
    )
    support = fresh.base_url("support")
    companies = walk_scroll(http, support)
    gone = http.get(f"{support}/v1/companies/{companies[2]['id']}/segments", headers=SUPPORT, timeout=TIMEOUT)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "company_not_found"


def test_fault_repeat_cursor(fresh, http):
    fresh.set_faults(["repeat_cursor"])
    url = fresh.base_url("webhooks") + "/v1/app"
    first = http.get(url, headers=BEARER, params={"limit": 50}, timeout=TIMEOUT).json()
    second = http.get(url, headers=BEARER, params={"limit": 50, "iterator": first["iterator"]}).json()
    assert second["iterator"] == first["iterator"] and second["done"] is False
    support = fresh.base_url("support")
    page1 = http.post(f"{support}/v1/contacts/search", headers=SUPPORT, json=search_body(0)).json()
    body = search_body(0)
    body["pagination"]["starting_after"] = page1["pages"]["next"]["starting_after"]
    page2 = http.post(f"{support}/v1/contacts/search", headers=SUPPORT, json=body).json()
    assert page2["pages"]["next"]["starting_after"] == body["pagination"]["starting_after"]
    logs = http.get(f"{support}/v1/admins/activity_logs?created_at_after=0&page=2", headers=SUPPORT).json()
    assert logs["pages"]["next"].endswith("page=2")
    scroll = http.get(f"{support}/v1/companies/scroll", headers=SUPPORT, timeout=TIMEOUT).json()
    again = http.get(f"{support}/v1/companies/scroll", headers=SUPPORT, params={"scroll_param": scroll["scroll_param"]})
    assert again.json()["scroll_param"] == scroll["scroll_param"]
    marketing = fresh.base_url("marketing")
    account = http.get(marketing + "/accounts", auth=MARKETING_AUTH).json()["accounts"][0]["id"]
    beyond = http.get(f"{marketing}/{account}/campaigns", auth=MARKETING_AUTH, params={"page": 5}).json()
    assert beyond["campaigns"] and beyond["meta"]["total_pages"] == 1


def test_fault_html_200_and_truncated_json(fresh, http):
    fresh.set_faults(["avatars:html_200", "webhooks:truncated_json"])
    html = http.get(fresh.base_url("avatars") + "/v1/avatars/list", headers=BEARER, timeout=TIMEOUT)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>")
    cut = http.get(fresh.base_url("webhooks") + "/v1/app", headers=BEARER, timeout=TIMEOUT)
    assert cut.status_code == 200 and cut.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(cut.content)


# -- mutate -----------------------------------------------------------------------------------


def test_mutate_webhooks_client_side_incremental(fresh, http):
    base = fresh.base_url("webhooks")

    def snapshot() -> dict[str, dict[str, list[dict[str, Any]]]]:
        """stream -> partition -> records (top-level streams have one partition "")."""
        data = {stream: {"": walk_webhooks(http, base + path)[0]} for stream, path in WEBHOOK_TOP.items()}
        for stream, (parent_stream, template) in WEBHOOK_CHILDREN.items():
            data[stream] = {p["id"]: walk_webhooks(http, base + template.format(p["id"]))[0]
                            for p in data[parent_stream][""]}  # fmt: skip
        return data

    def key_of(stream: str, record: dict[str, Any]) -> str:
        return record["uuid"] if stream == "event_types" else record["id"]

    def rk(stream: str, record: dict[str, Any]) -> datetime:
        return instant(record["createdAt" if stream == "tokens" else "updatedAt"])

    before = snapshot()
    changed = fresh.mutate("webhooks")
    after = snapshot()
    for stream, partitions in after.items():
        emitted, boundary = set(), set()
        for partition, records in partitions.items():
            old = before[stream].get(partition)
            bookmark = max((rk(stream, r) for r in old), default=None) if old else None
            emitted |= {key_of(stream, r) for r in records if bookmark is None or rk(stream, r) >= bookmark}
            boundary |= {key_of(stream, r) for r in old or [] if rk(stream, r) == bookmark}
        assert changed[stream], stream
        assert emitted - boundary == changed[stream] - boundary, stream
        assert changed[stream] <= emitted, stream
    assert fresh.expected_counts("webhooks")["applications"] == 122


def test_mutate_support_server_side_incremental(fresh, http):
    base = fresh.base_url("support")
    support = fresh.api("support")
    bookmarks = {s: max(r["updated_at"] for r in support.data.collection(s)) for s in SEARCH_KEYS}
    boundary = {
        s: {r["id"] for r in support.data.collection(s) if r["updated_at"] == bookmarks[s]} for s in SEARCH_KEYS
    }
    log_bookmark = max(log["created_at"] for log in walk_activity_logs(http, base, 0)[0])
    changed = fresh.mutate("support")
    for stream in SEARCH_KEYS:
        records, _ = walk_search(http, base, stream, search_body(bookmarks[stream], end=int(time.time())))
        assert {r["id"] for r in records} == changed[stream] | boundary[stream], stream
        if stream == "conversations":
            parts = {
                composite_key(r["id"], part["id"])
                for r in records
                if r["id"] in changed["conversations"]
                for part in conversation_parts(http, base, r["id"])
            }
            assert parts == changed["conversation_parts"]
    new_logs, _ = walk_activity_logs(http, base, log_bookmark + 1)
    assert {log["id"] for log in new_logs} == changed["activity_logs"]
    assert fresh.expected_counts("support")["contacts"] == 403
    companies = walk_scroll(http, base)
    assert changed["companies"] <= {c["id"] for c in companies}


@pytest.mark.parametrize("api", ["avatars", "marketing", "oauth_offset"])
def test_mutate_full_refresh_apis_changes_records_deterministically(api):
    with Sandbox() as one, Sandbox() as two:
        before = one.expected_counts(api)
        changed = one.mutate(api)
        assert changed == two.mutate(api)
        assert one.expected_counts(api) == two.expected_counts(api) != before
        assert any(changed.values())
        assert one.mutate(api) != changed  # a second mutation touches new records


# -- cli --------------------------------------------------------------------------------------


def test_cli_print_counts_matches_sandbox():
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert cli_main(["--print-counts", "--scale", "1", "--seed", "42"]) == 0
    assert json.loads(output.getvalue()) == Sandbox().all_expected_counts()


def test_cli_serves_until_sigterm():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "generic_rest_sandbox", "--port", "0", "--fault", "avatars:rate_limit:9"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().split(" ", 1) for _ in range(5))
        assert set(lines) == {"avatars", "webhooks", "marketing", "support", "oauth_offset"}
        assert lines["marketing"].split()[0].endswith("/marketing/v2")
        avatars_url = lines["avatars"].strip()
        response = requests.get(avatars_url + "/v1/avatars/list", headers=BEARER, timeout=TIMEOUT)
        assert response.status_code == 200 and len(response.json()["data"]) == 6
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in stderr
