"""``group_parents`` over real HTTP: up to ``size`` parent values per request, joined, as a repeated query
parameter or as a JSON array; duplicates dropped or kept; records attributed to their parent."""

from __future__ import annotations

import json
import typing as t

import pytest

from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.streams.stream import GenericStream
from tap_generic_rest.tap import TapGenericRest
from tests.integration.partition_api import ACCOUNTS, PartitionAPI, users
from tests.integration.test_partitions import describe

if t.TYPE_CHECKING:
    from pathlib import Path

Run = t.Callable[..., tuple[dict[str, list[dict[str, t.Any]]], list[dict[str, t.Any]]]]
ACCOUNTS_RESOURCE = {"name": "accounts", "primary_key": "id",
                     "endpoint": {"path": "/accounts", "data_selector": "data", "paginator": "single_page"}}


def grouped(endpoint: dict[str, t.Any], **group: t.Any) -> dict[str, t.Any]:
    """The users resource, a child of accounts taking their names, with ``group_parents``."""
    return {"name": "users", "primary_key": "id", "include_from_parent": ["name"],
            "group_parents": {"size": 2, "record_parent_field": "account_id", **group},
            "endpoint": {"data_selector": "data", "paginator": "single_page", **endpoint}}


def expected_users(accounts: t.Iterable[int]) -> list[tuple[str, int, str]]:
    return sorted((user["id"], account, f"account {account}") for account in accounts for user in users(account))


def attributed(records: list[dict[str, t.Any]]) -> list[tuple[str, int, str]]:
    return sorted((record["id"], record["account_id"], record["_accounts_name"]) for record in records)


@pytest.mark.parametrize(("style", "endpoint", "asked"), [
    ("join", {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}, lambda s: s.query["ids"]),
    ("repeat", {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}, lambda s: s.query["ids"]),
    ("json", {"path": "/users/search", "method": "POST", "json": {"account_ids": "{resources.accounts.id}"}},
     lambda s: json.loads(s.body)["account_ids"]),
])
def test_parent_values_go_in_groups_and_records_keep_their_parent(
        tmp_path: Path, run_tap: Run, style: str, endpoint: dict[str, t.Any], asked: t.Callable[..., t.Any]) -> None:
    with PartitionAPI() as api:
        config = describe(tmp_path, api, ACCOUNTS_RESOURCE, grouped(endpoint, style=style))
        records, _ = run_tap(config)
    requests = [seen for seen in api.seen if seen.path == endpoint["path"]]
    sync = requests[-3:]  # discovery first samples up to 5 accounts, one request each
    assert [asked(seen) for seen in sync] == {
        "join": [["1,2"], ["3,4"], ["5"]],
        "repeat": [["1", "2"], ["3", "4"], ["5"]],
        "json": [[1, 2], [3, 4], [5]],
    }[style]
    assert len(requests) == 5 + 3
    assert attributed(records["users"]) == expected_users(ACCOUNTS)


def test_joined_values_in_the_path_with_a_separator(tmp_path: Path, run_tap: Run) -> None:
    endpoint = {"path": "/accounts/{resources.accounts.id}/users"}
    with PartitionAPI() as api:
        records, _ = run_tap(describe(tmp_path, api, ACCOUNTS_RESOURCE, grouped(endpoint, size=3, separator=";")))
    sync = [seen.path for seen in api.seen if seen.path.endswith("/users")][-2:]
    assert sync == ["/accounts/1;2;3/users", "/accounts/4;5/users"]
    assert attributed(records["users"]) == expected_users(ACCOUNTS)


@pytest.mark.parametrize(("deduplicate", "expected"), [(True, [["1,2"], ["3"]]), (False, [["1,2"], ["2,3"], ["3"]])])
def test_duplicate_parent_values(tmp_path: Path, run_tap: Run, deduplicate: bool, expected: list[list[str]]) -> None:
    endpoint = {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}
    child = grouped(endpoint, deduplicate=deduplicate)
    del child["include_from_parent"]
    with PartitionAPI(accounts=(1, 2, 2, 3, 3)) as api:
        records, _ = run_tap(describe(tmp_path, api, ACCOUNTS_RESOURCE, child))
    sync = [seen.query["ids"] for seen in api.seen if seen.path == "/users"][-len(expected):]
    assert sync == expected
    written = sorted(record["id"] for record in records["users"])
    accounts = [1, 2, 3] if deduplicate else [1, 2, 2, 3, 3]
    assert written == sorted(user["id"] for account in accounts for user in users(account))


def test_a_grouped_child_without_attribution_still_gets_every_record(tmp_path: Path, run_tap: Run) -> None:
    endpoint = {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}
    child = grouped(endpoint, size=10)
    del child["include_from_parent"], child["group_parents"]["record_parent_field"]
    with PartitionAPI() as api:
        records, _ = run_tap(describe(tmp_path, api, ACCOUNTS_RESOURCE, child))
    assert [seen.query["ids"] for seen in api.seen if seen.path == "/users"][-1] == ["1,2,3,4,5"]
    assert sorted(r["id"] for r in records["users"]) == sorted(u["id"] for a in ACCOUNTS for u in users(a))


def test_a_record_naming_another_parent_is_written_with_a_warning(tmp_path: Path, run_tap: Run,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    endpoint = {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}
    child = grouped(endpoint, record_parent_field="name")  # the user's name is not an account id
    with PartitionAPI(accounts=(1, 2)) as api:
        records, _ = run_tap(describe(tmp_path, api, ACCOUNTS_RESOURCE, child))
    assert sorted(r["id"] for r in records["users"]) == sorted(u["id"] for a in (1, 2) for u in users(a))
    assert "a record's name is 'user 1', which is none of the parent values it was requested for" in caplog.text


def test_no_state_covers_a_parent_whose_group_was_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GenericStream, "STATE_MSG_FREQUENCY", 2)  # a STATE after every second account
    monkeypatch.setattr(CountingWriter, "STATE_MIN_BYTES", 0)  # ... let through by the writer's budget
    monkeypatch.setattr(CountingWriter, "STATE_BUDGET", 0)
    endpoint = {"path": "/users", "params": {"ids": "{resources.accounts.id}"}}
    incremental = {"cursor_path": "id", "initial_value": 0, "row_order": "asc"}
    parent = {**ACCOUNTS_RESOURCE, "endpoint": {"path": "/accounts", "data_selector": "data",
                                                "paginator": "single_page", "incremental": incremental}}
    with PartitionAPI() as api:
        config = describe(tmp_path, api, parent, grouped(endpoint, size=3))
        tap = TapGenericRest(config={**config, "max_concurrency": 1}, parse_env_config=False)
        capsys.readouterr()
        tap.sync_all()
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    accounts: set[int] = set()
    attributed_to: set[int] = set()
    states = 0
    for message in messages:
        if message["type"] == "RECORD" and message["stream"] == "accounts":
            accounts.add(message["record"]["id"])
        elif message["type"] == "RECORD":
            attributed_to.add(message["record"]["account_id"])
        elif message["type"] == "STATE":
            states += 1
            assert accounts <= attributed_to, f"a STATE after accounts {accounts}, users only of {attributed_to}"
            bookmark = message["value"]["bookmarks"].get("accounts", {}).get("replication_key_value", 0)
            assert set(range(1, bookmark + 1)) <= attributed_to, f"bookmark {bookmark}, users of {attributed_to}"
    assert states >= 3  # after accounts 2 and 4, and at the end
    last_accounts = max(i for i, seen in enumerate(api.seen) if seen.path == "/accounts")  # the sync's (after sampling)
    groups = [seen.query["ids"][0].split(",") for seen in api.seen[last_accounts:] if seen.path == "/users"]
    assert sorted(int(id_) for group in groups for id_ in group) == [1, 2, 3, 4, 5]  # each parent once
    assert all(len(group) <= 3 for group in groups)  # a group cut short by a STATE, never longer
