"""``partitions`` over real HTTP: a resource fanned out over lists (literal or from a setting), their product,
the product with a parent's records, values in records and schema, STATE per partition and a resume, and the
partitions fetched in the pool."""

from __future__ import annotations

import json
import typing as t

import pytest
import yaml

from tap_generic_rest.errors import SettingsError
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import FAST_RETRIES
from tests.integration.partition_api import REGIONS, PartitionAPI, items, users
from tests.safety.helpers import run_tap as run_cli

if t.TYPE_CHECKING:
    from pathlib import Path

Run = t.Callable[..., tuple[dict[str, list[dict[str, t.Any]]], list[dict[str, t.Any]]]]


def describe(tmp_path: Path, api: PartitionAPI, *resources: dict[str, t.Any]) -> dict[str, t.Any]:
    """A config whose description (written to ``tmp_path``) holds ``resources``."""
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump({"client": {"base_url": api.url}, "resources": list(resources)}), encoding="utf-8")
    return {"api_description": str(path), **FAST_RETRIES}


def regional(values: object = ("eu", "us"), **fields: t.Any) -> dict[str, t.Any]:
    """The items resource fanned out over regions."""
    partition = {"name": "region", "values": list(values) if isinstance(values, tuple) else values,
                 **fields.pop("partition", {})}
    endpoint = {"path": "/regions/{region}/items", "data_selector": "data", "paginator": "single_page",
                **fields.pop("endpoint", {})}
    return {"name": "items", "primary_key": "id", "endpoint": endpoint, "partitions": [partition], **fields}


def ids(records: list[dict[str, t.Any]]) -> set[str]:
    return {record["id"] for record in records}


def test_a_literal_list_gives_one_request_per_value_and_no_field_unless_asked(tmp_path: Path, run_tap: Run) -> None:
    with PartitionAPI() as api:
        records, _ = run_tap(describe(tmp_path, api, regional()))
    assert sorted(api.paths()) == ["/regions/eu/items"] * 2 + ["/regions/us/items"] * 2  # discovery, then sync
    assert ids(records["items"]) == ids(items("eu") + items("us"))
    assert all("region" not in record for record in records["items"])


@pytest.mark.parametrize("setting", [json.dumps(REGIONS), list(REGIONS)], ids=["json-text", "list"])
def test_a_list_from_a_setting(tmp_path: Path, run_tap: Run, setting: object) -> None:
    with PartitionAPI() as api:
        config = describe(tmp_path, api, regional("{{ config.regions }}", partition={"include_in_record": True}))
        records, _ = run_tap({**config, "regions": setting})
    assert ids(records["items"]) == ids([item for region in REGIONS for item in items(region)])
    assert {(record["id"].split("-")[0], record["region"]) for record in records["items"]} == {
        (region, region) for region in REGIONS}


@pytest.mark.parametrize(("setting", "problem"), [
    ("eu,us", "is not a JSON array"),
    ('{"eu": 1}', "is dict"),
    ('["eu", "eu"]', "lists 'eu' twice"),
    ('[["eu"]]', "holds list"),
])
def test_a_bad_list_setting_fails_in_one_line_before_any_request(tmp_path: Path, setting: str, problem: str) -> None:
    with PartitionAPI() as api:
        config = describe(tmp_path, api, regional("{{ config.regions }}", schema="items.json"))
        (tmp_path / "items.json").write_text(json.dumps({"type": "object", "properties": {
            "id": {"type": "string"}, "kind": {"type": "string"}, "updated_at": {"type": "string"}}}))
        with pytest.raises(SettingsError) as raised:
            TapGenericRest(config={**config, "regions": setting}, parse_env_config=False).sync_all()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("setting regions, the values of partition 'region', ")
    assert problem in message
    assert api.seen == []


def test_an_empty_list_setting_warns_and_requests_nothing(tmp_path: Path, run_tap: Run,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    with PartitionAPI() as api:
        config = describe(tmp_path, api, regional("{{ config.regions }}", schema="items.json"))
        (tmp_path / "items.json").write_text(json.dumps({"type": "object", "properties": {"id": {"type": "string"}}}))
        records, _ = run_tap({**config, "regions": "[]"})
    assert api.seen == []
    assert "items" not in records
    assert "the list of partition 'region' is empty, so the stream makes no requests" in caplog.text


def test_two_lists_give_their_product_in_path_params_and_headers(tmp_path: Path, run_tap: Run) -> None:
    headers = {"X-Region": "{region}", "X-Both": "{{ stream_partition.region }}/{kind}"}
    resource = regional(endpoint={"params": {"kind": "{{ stream_partition.kind }}"}, "headers": headers},
                        partition={"include_in_record": True})
    resource["partitions"].append({"name": "kind", "values": ["a", "b"]})
    with PartitionAPI() as api:
        records, _ = run_tap(describe(tmp_path, api, resource))
    synced = api.seen[len(api.seen) // 2:]  # after discovery's sample of the same four
    assert sorted((s.path, s.query["kind"][0], s.headers["x-region"], s.headers["x-both"]) for s in synced) == [
        ("/regions/eu/items", "a", "eu", "eu/a"), ("/regions/eu/items", "b", "eu", "eu/b"),
        ("/regions/us/items", "a", "us", "us/a"), ("/regions/us/items", "b", "us", "us/b")]
    expected = items("eu") + items("us")
    assert ids(records["items"]) == ids(expected)
    assert len(records["items"]) == len(expected)
    assert all(record["region"] == record["id"].split("-")[0] and "kind" in record for record in records["items"])


def test_a_list_on_a_child_gives_the_product_with_the_parents_records(tmp_path: Path, run_tap: Run) -> None:
    accounts = {"name": "accounts", "primary_key": "id",
                "endpoint": {"path": "/accounts", "data_selector": "data", "paginator": "single_page"}}
    child = {"name": "users", "primary_key": "id", "include_from_parent": ["name"],
             "partitions": [{"name": "region", "values": ["eu", "us"], "include_in_record": True}],
             "endpoint": {"path": "/regions/{region}/accounts/{resources.accounts.id}/users", "data_selector": "data",
                          "paginator": "single_page"}}
    with PartitionAPI(accounts=(1, 2, 3)) as api:
        records, _ = run_tap(describe(tmp_path, api, accounts, child))
    expected = [(user["id"], region, account) for account in (1, 2, 3) for region in ("eu", "us")
                for user in users(account, region)]
    assert sorted((r["id"], r["region"], r["account_id"]) for r in records["users"]) == sorted(expected)
    assert {r["_accounts_name"] for r in records["users"] if r["account_id"] == 2} == {"account 2"}
    synced = [path for path in api.paths() if "/users" in path]
    assert len(synced) - 5 == 6  # discovery samples 5 contexts; the sync asks 3 accounts x 2 regions once each
    assert sorted(set(synced)) == sorted(f"/regions/{r}/accounts/{a}/users" for a in (1, 2, 3) for r in ("eu", "us"))


def test_included_values_are_in_the_discovered_schema(tmp_path: Path) -> None:
    with PartitionAPI() as api:
        config = describe(tmp_path, api, regional(partition={"include_in_record": True}))
        catalog = TapGenericRest(config=config, parse_env_config=False).catalog_dict
    properties = catalog["streams"][0]["schema"]["properties"]
    assert properties["region"]["type"] == ["string", "null"]


def _incremental() -> dict[str, t.Any]:
    return regional(schema="items.json", partition={"include_in_record": True}, endpoint={
        "incremental": {"cursor_path": "updated_at", "start_param": "since", "initial_value": "2024-01-01T00:00:00Z"}})


def _write_schema(tmp_path: Path) -> None:
    (tmp_path / "items.json").write_text(json.dumps({"type": "object", "properties": {
        "id": {"type": "string"}, "kind": {"type": ["string", "null"]}, "region": {"type": ["string", "null"]},
        "updated_at": {"type": "string", "format": "date-time"}}}))


def test_state_is_kept_per_partition_and_a_resume_starts_each_from_its_own(tmp_path: Path, run_tap: Run) -> None:
    _write_schema(tmp_path)
    with PartitionAPI() as api:
        config = describe(tmp_path, api, _incremental())
        records, states = run_tap(config)
        partitions = states[-1]["bookmarks"]["items"]["partitions"]
        assert sorted((p["context"]["region"], p["replication_key_value"]) for p in partitions) == [
            ("eu", "2024-01-03T00:00:00Z"), ("us", "2024-01-03T00:00:00Z")]
        assert ids(records["items"]) == ids(items("eu") + items("us"))
        # a run killed after eu: only eu's bookmark was written; us starts from the beginning
        killed = {"bookmarks": {"items": {"partitions": [
            {"context": {"region": "eu"}, "replication_key": "updated_at",
             "replication_key_value": "2024-01-02T00:00:00Z"}]}}}
        api.received.clear()
        resumed, _ = run_tap(config, state=killed)
    assert {(s.path, s.query["since"][0]) for s in api.seen} == {
        ("/regions/eu/items", "2024-01-02T00:00:00Z"), ("/regions/us/items", "2024-01-01T00:00:00Z")}
    assert ids(resumed["items"]) == ids(items("eu", since="2024-01-02T00:00:00Z") + items("us"))


def test_values_kept_out_of_records_stay_out_with_state_per_partition(tmp_path: Path, run_tap: Run) -> None:
    _write_schema(tmp_path)
    resource = _incremental()
    resource["partitions"][0]["include_in_record"] = False
    with PartitionAPI() as api:
        records, states = run_tap(describe(tmp_path, api, resource))
    assert all("region" not in record for record in records["items"])
    contexts = [p["context"] for p in states[-1]["bookmarks"]["items"]["partitions"]]
    assert sorted(c["region"] for c in contexts) == ["eu", "us"]


def test_partitions_are_fetched_in_the_pool(tmp_path: Path, run_tap: Run) -> None:
    _write_schema(tmp_path)
    resource = regional(REGIONS, schema="items.json")
    resource["partitions"].append({"name": "kind", "values": ["a", "b"]})
    resource["endpoint"]["params"] = {"kind": "{kind}"}
    with PartitionAPI(delay=0.2) as api:
        records, _ = run_tap({**describe(tmp_path, api, resource), "max_concurrency": 4})
    assert len(api.seen) == 6
    assert api.most_in_flight > 1
    assert [record["id"] for record in records["items"]] == [
        item["id"] for region in REGIONS for kind in ("a", "b") for item in items(region, kind)]  # serial order


def test_a_child_reads_its_parents_included_partition_value(tmp_path: Path, run_tap: Run) -> None:
    accounts = {"name": "accounts", "primary_key": "id",
                "partitions": [{"name": "region", "values": ["eu", "us"], "include_in_record": True}],
                "endpoint": {"path": "/accounts", "params": {"region": "{region}"}, "data_selector": "data",
                             "paginator": "single_page"}}
    child = {"name": "users", "primary_key": "id",
             "endpoint": {"path": "/regions/{resources.accounts.region}/accounts/{resources.accounts.id}/users",
                          "data_selector": "data", "paginator": "single_page"}}
    with PartitionAPI(accounts=(1, 2)) as api:
        records, _ = run_tap(describe(tmp_path, api, accounts, child))
    assert sorted((r["id"], r["region"]) for r in records["accounts"]) == [(1, "eu"), (1, "us"), (2, "eu"), (2, "us")]
    assert sorted(r["id"] for r in records["users"]) == sorted(
        user["id"] for region in ("eu", "us") for account in (1, 2) for user in users(account, region))


def test_through_the_cli_a_bad_setting_or_grouping_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    _write_schema(tmp_path)
    with PartitionAPI() as api:
        config = describe(tmp_path, api, regional("{{ config.regions }}", schema="items.json"))
        line = run_cli(config={**config, "regions": "eu, us"}, directory=tmp_path).error()
        assert line.startswith("tap-generic-rest: error: setting regions, the values of partition 'region', is not a "
                               "JSON array (")
        child = {"name": "users", "primary_key": "id", "group_parents": {"size": 0},
                 "endpoint": {"path": "/users", "params": {"ids": "{resources.items.id}"}}}
        line = run_cli(config=describe(tmp_path, api, regional(schema="items.json"), child),
                       directory=tmp_path).error()
        assert line.endswith("resources[1].group_parents.size: 0 is too small; use a number of at least 1")
    assert api.seen == []


def test_an_incremental_child_keeps_one_bookmark_per_parent_and_value(tmp_path: Path, run_tap: Run) -> None:
    _write_schema(tmp_path)
    accounts = {"name": "accounts", "primary_key": "id",
                "endpoint": {"path": "/accounts", "data_selector": "data", "paginator": "single_page"}}
    child = _incremental()
    child["endpoint"]["params"] = {"account": "{resources.accounts.id}"}
    child["primary_key"] = ["id", "_accounts_id"]
    child["include_from_parent"] = ["id"]
    schema = json.loads((tmp_path / "items.json").read_text())
    schema["properties"]["_accounts_id"] = {"type": "integer"}
    (tmp_path / "items.json").write_text(json.dumps(schema))
    with PartitionAPI(accounts=(1, 2)) as api:
        records, states = run_tap(describe(tmp_path, api, accounts, child))
    partitions = states[-1]["bookmarks"]["items"]["partitions"]
    assert sorted((p["context"]["_accounts_id"], p["context"]["region"], p["replication_key_value"])
                  for p in partitions) == [(a, r, "2024-01-03T00:00:00Z") for a in (1, 2) for r in ("eu", "us")]
    assert sorted((r["_accounts_id"], r["id"]) for r in records["items"]) == sorted(
        (a, item["id"]) for a in (1, 2) for region in ("eu", "us") for item in items(region))
    assert sorted(s.query["account"][0] + s.path for s in api.seen if "items" in s.path) == sorted(
        f"{a}/regions/{r}/items" for a in (1, 2) for r in ("eu", "us"))
