"""support and oauth_offset specifics over real HTTP: windows, scrolls, checkpoints, tokens."""

from __future__ import annotations

import json
import typing as t

import pytest
from generic_rest_sandbox import Sandbox

from tests.conftest import sandbox_config

START = 1_704_067_200  # 2024-01-01T00:00:00Z


def _bodies(sandbox: Sandbox, path: str) -> list[dict[str, t.Any]]:
    return [json.loads(r.body) for r in sandbox.requests("support") if r.path.endswith(path)]


def test_search_sends_one_window_per_sync(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    config = sandbox_config(own_sandbox, "support", start_date="2024-01-01T00:00:00Z")
    records, _ = run_tap(config)
    contacts = _bodies(own_sandbox, "/v1/contacts/search")
    assert len(contacts) > 1  # several pages, every one with the same window
    assert {body["query"]["value"][0]["value"] for body in contacts} == {START}
    assert all(body["pagination"]["per_page"] == 150 for body in contacts)
    assert "starting_after" not in contacts[0]["pagination"]
    assert all(body["pagination"]["starting_after"] for body in contacts[1:])
    tickets = _bodies(own_sandbox, "/v1/tickets/search")
    ends = {body["query"]["value"][1]["value"] for body in tickets}
    starts = {body["query"]["value"][0]["value"][0]["value"] for body in tickets}
    assert starts == {START} and len(ends) == 1 and isinstance(ends.pop(), int)
    assert all(record["updated_at"] >= START for stream in ("contacts", "tickets") for record in records[stream])


def test_activity_logs_follow_next_urls(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    records, _ = run_tap(sandbox_config(own_sandbox, "support"))
    logs = [r for r in own_sandbox.requests("support") if r.path.endswith("/v1/admins/activity_logs")]
    assert len(logs) > 1
    assert all(r.query["created_at_after"] == ["0"] for r in logs)
    assert len(records["activity_logs"]) == own_sandbox.expected_counts("support")["activity_logs"]


def test_companies_open_a_single_scroll(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    run_tap(sandbox_config(own_sandbox, "support"))
    scrolls = [r for r in own_sandbox.requests("support") if r.path.endswith("/v1/companies/scroll")]
    assert sum("scroll_param" not in r.query for r in scrolls) == 1
    assert all(r.status == 200 for r in scrolls)


def test_sorted_search_streams_checkpoint_between_pages(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    _, states = run_tap(sandbox_config(own_sandbox, "support"))
    contact_bookmarks = [
        state["bookmarks"]["contacts"].get("replication_key_value")
        for state in states
        if "contacts" in state.get("bookmarks", {})
    ]
    assert len({value for value in contact_bookmarks if value is not None}) >= 1
    assert contact_bookmarks[-1] == max(v for v in contact_bookmarks if v is not None)


def test_one_token_serves_a_whole_sync(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    records, _ = run_tap(sandbox_config(own_sandbox, "oauth_offset"))
    assert len(records["resource_name"]) == 250
    tokens = [r for r in own_sandbox.requests("oauth_offset") if r.path.endswith("/oauth/token")]
    assert len(tokens) == 1
    assert b"client_secret=sandbox-client-secret" in tokens[0].body


def test_a_long_sync_outlives_its_tokens(run_tap: t.Callable[..., t.Any]) -> None:
    with Sandbox(port=0, faults=["oauth_offset:expire_tokens:2"]) as sandbox:
        records, _ = run_tap(sandbox_config(sandbox, "oauth_offset"))
        tokens = [r for r in sandbox.requests("oauth_offset") if r.path.endswith("/oauth/token")]
    assert sorted(record["id"] for record in records["resource_name"]) == sorted(f"r{i}" for i in range(1, 251))
    assert len(tokens) >= 2


def test_bad_client_credentials_fail_clearly(own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    from tap_generic_rest.http.auth import AuthError

    with pytest.raises(AuthError, match=r"HTTP 401 invalid_client; check the client_id and client_secret"):
        run_tap(sandbox_config(own_sandbox, "oauth_offset", client_secret="wrong-secret"))
