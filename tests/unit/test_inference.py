"""Schema inference for resources without a declared schema (contract 6.3)."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest
import simplejson

from tap_generic_rest.description.load import BUILTIN_APIS, builtin_path, load_description
from tap_generic_rest.streams.inference import infer_value_schema, schema_from_records
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    import requests
    import requests_mock as rm

CONTRACT_RECORDS = (
    '[{"id":"r1","score":3,"active":true,"owner":null,"labels":["x"],"meta":{"k":"v"}},'
    '{"id":"r2","score":4.5,"active":null,"owner":null,"labels":[],"meta":{"k":"w"}}]'
)
CONTRACT_SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": ["string"]},
        "score": {"type": ["number", "null"]},
        "active": {"type": ["boolean", "null"]},
        "owner": {"type": ["string", "null"]},
        "labels": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
        "meta": {"type": ["object", "null"], "properties": {"k": {"type": ["string", "null"]}}},
    },
}
ONLY_ID = {"type": "object", "required": ["id"], "properties": {"id": {"type": ["string"]}}}


def parsed(text: str) -> t.Any:
    """JSON as the tap parses response bodies (numbers with a fraction become Decimal)."""
    return simplejson.loads(text, use_decimal=True)


def test_contract_example() -> None:
    assert schema_from_records(parsed(CONTRACT_RECORDS), ["id"]) == CONTRACT_SCHEMA


def test_no_records_gives_only_the_id() -> None:
    assert schema_from_records([], ["id"]) == ONLY_ID


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param("[1, 2.5]", {"type": ["number", "null"]}, id="integer-and-number-is-number"),
        pytest.param("[1, 2.0]", {"type": ["number", "null"]}, id="fraction-zero-is-number"),
        pytest.param("[1, 1e3]", {"type": ["number", "null"]}, id="exponent-is-number"),
        pytest.param("[1, 20]", {"type": ["integer", "null"]}, id="integers"),
        pytest.param("[true, false]", {"type": ["boolean", "null"]}, id="bool-never-integer"),
        pytest.param("[true, 1]", {"type": ["boolean", "integer", "null"]}, id="bool-and-integer"),
        pytest.param("[null, null]", {"type": ["string", "null"]}, id="only-null"),
        pytest.param('["2024-05-01T12:00:00Z", "2024-05-01t12:00:00.123456+02:00", null]',
                     {"type": ["string", "null"], "format": "date-time"}, id="date-time"),
        pytest.param('["2024-05-01T12:00:00Z", "soon"]', {"type": ["string", "null"]}, id="one-not-a-date-time"),
        pytest.param('["2024-05-01T12:00:00Z", 5]', {"type": ["string", "integer", "null"]},
                     id="date-time-and-integer"),
        pytest.param('["2024-05-01"]', {"type": ["string", "null"]}, id="date-only"),
        pytest.param('["2024-05-01 12:00:00Z"]', {"type": ["string", "null"]}, id="space-is-not-rfc3339"),
        pytest.param('["2024-05-01T12:00:00"]', {"type": ["string", "null"]}, id="no-offset"),
        pytest.param('["2024-13-01T12:00:00Z"]', {"type": ["string", "null"]}, id="month-13"),
        pytest.param('[["2024-05-01T12:00:00Z"]]',
                     {"type": ["array", "null"], "items": {"type": ["string", "null"], "format": "date-time"}},
                     id="date-time-items"),
        pytest.param('[{"at": "2024-05-01T12:00:00-05:30"}]',
                     {"type": ["object", "null"],
                      "properties": {"at": {"type": ["string", "null"], "format": "date-time"}}},
                     id="nested-date-time"),
        pytest.param("[[], []]", {"type": ["array", "null"], "items": {}}, id="only-empty-arrays"),
        pytest.param(
            '[[{"a": 1}], [{"b": "x"}, {"a": 2.5}]]',
            {
                "type": ["array", "null"],
                "items": {
                    "type": ["object", "null"],
                    "properties": {"a": {"type": ["number", "null"]}, "b": {"type": ["string", "null"]}},
                },
            },
            id="array-items-from-all-elements",
        ),
        pytest.param(
            '["x", {"a": null}]',
            {"type": ["string", "object", "null"], "properties": {"a": {"type": ["string", "null"]}}},
            id="several-types",
        ),
    ],
)
def test_value_schema(values: str, expected: dict[str, t.Any]) -> None:
    assert infer_value_schema(parsed(values)) == expected


def test_keys_in_first_seen_order_and_id_first() -> None:
    schema = schema_from_records([{"b": 1, "id": 7}, {"a": "x", "id": 8}], ["id"])
    assert list(schema["properties"]) == ["id", "b", "a"]
    assert schema["properties"]["id"] == {"type": ["integer"]}


def _offset_pages(request: requests.PreparedRequest, context: t.Any) -> dict[str, t.Any]:
    """5,000 records served 100 at a time by offset."""
    offset = int(parse_qs(urlsplit(request.url).query)["offset"][0])
    return {"data": [{"id": f"r{n}", "n": n} for n in range(offset, min(offset + 100, 5000))], "total": 5000}


def test_discovery_infers_from_the_first_1000_records(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]
) -> None:
    requests_mock.get("https://api.test/items", json=_offset_pages)
    paged = resource(endpoint={"paginator": {"type": "offset", "limit": 100, "total_path": "total"}})
    paged.pop("schema")
    schema = make_tap(paged).streams["items"].schema
    assert schema == {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": ["string"]}, "n": {"type": ["integer", "null"]}},
    }
    assert requests_mock.call_count == 10


def test_discovery_of_an_empty_api(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]
) -> None:
    requests_mock.get("https://api.test/items", json={"data": [], "total": 0})
    inferred = resource()
    inferred.pop("schema")
    assert make_tap(inferred).streams["items"].schema == ONLY_ID


PARENTS = [{"id": f"a{n}", "created": f"2024-05-0{n + 1}T00:00:00Z"} for n in range(8)]


def _kids(request: requests.PreparedRequest, context: t.Any) -> dict[str, t.Any]:
    app = request.path.split("/")[2]
    return {"data": [{"id": f"{app}-k{n}", "size": n, "at": "2024-05-01T00:00:00Z"} for n in range(2)]}


def kid_resources(resource: t.Callable[..., t.Any], *, parent_schema: bool) -> list[dict[str, t.Any]]:
    apps = resource("apps", "/apps")
    if not parent_schema:
        apps.pop("schema")
    kids = resource("kids", "/apps/{resources.apps.id}/kids", primary_key=["app_id", "id"],
                    parent_fields={"app_id": "id"})
    kids.pop("schema")
    return [apps, kids]


@pytest.mark.parametrize("parent_schema", [False, True], ids=["inferred-parent", "declared-parent"])
def test_a_child_is_inferred_from_the_first_parents(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any],
    parent_schema: bool,
) -> None:
    requests_mock.get("https://api.test/apps", json={"data": PARENTS})
    kids = requests_mock.get(re.compile(r"https://api\.test/apps/a\d/kids"), json=_kids)
    streams = make_tap(*kid_resources(resource, parent_schema=parent_schema)).streams
    assert streams["kids"].schema == {
        "type": "object",
        "required": ["app_id", "id"],
        "properties": {
            "app_id": {"type": ["string"]},
            "id": {"type": ["string"]},
            "size": {"type": ["integer", "null"]},
            "at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    assert [request.path for request in kids.request_history] == [f"/apps/a{n}/kids" for n in range(5)]
    if not parent_schema:
        assert streams["apps"].schema["properties"]["created"] == {"type": ["string", "null"], "format": "date-time"}


def test_a_grandchild_is_inferred_through_its_parents(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]
) -> None:
    requests_mock.get("https://api.test/apps", json={"data": PARENTS[:2]})
    requests_mock.get(re.compile(r"https://api\.test/apps/a\d/kids"), json=_kids)
    toys = requests_mock.get(re.compile(r"https://api\.test/kids/[^/]+/toys"),
                             json={"data": [{"id": "t1", "price": 1.5}]})
    grandchild = resource("toys", "/kids/{resources.kids.id}/toys", primary_key=["kid_id", "id"],
                          parent_fields={"kid_id": "id"})
    grandchild.pop("schema")
    schema = make_tap(*kid_resources(resource, parent_schema=False), grandchild).streams["toys"].schema
    assert schema["properties"] == {"kid_id": {"type": ["string"]}, "id": {"type": ["string"]},
                                    "price": {"type": ["number", "null"]}}
    assert [request.path for request in toys.request_history] == [
        "/kids/a0-k0/toys", "/kids/a0-k1/toys", "/kids/a1-k0/toys", "/kids/a1-k1/toys"]


def test_a_gone_parent_is_skipped_while_sampling(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]
) -> None:
    requests_mock.get("https://api.test/apps", json={"data": PARENTS[:3]})
    requests_mock.get(re.compile(r"https://api\.test/apps/a\d/kids"), json=_kids)
    requests_mock.get("https://api.test/apps/a0/kids", status_code=404, json={"error": "gone"})
    schema = make_tap(*kid_resources(resource, parent_schema=True)).streams["kids"].schema
    assert schema["properties"]["size"] == {"type": ["integer", "null"]}


def test_a_child_without_parents_gets_its_keys_only(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]
) -> None:
    requests_mock.get("https://api.test/apps", json={"data": []})
    schema = make_tap(*kid_resources(resource, parent_schema=True)).streams["kids"].schema
    assert schema == {"type": "object", "required": ["app_id", "id"],
                      "properties": {"app_id": {"type": ["string"]}, "id": {"type": ["string"]}}}


DECLARED_APIS = [api for api in BUILTIN_APIS
                 if all(resource.schema is not None for resource in load_description(builtin_path(api)).resources)]


def test_four_built_in_apis_declare_every_schema() -> None:
    assert DECLARED_APIS == ["avatars", "marketing", "support", "webhooks"]


@pytest.mark.parametrize("api", DECLARED_APIS)
def test_declared_schemas_make_no_request_at_discovery(api: str, requests_mock: rm.Mocker) -> None:
    credentials = dict.fromkeys(("api_key", "password", "access_token"), "discovery-needs-no-credential")
    tap = TapGenericRest(config={"api": api, "base_url": "https://api.test", **credentials}, parse_env_config=False)
    assert tap.streams  # discovery ran
    assert all(stream.schema["properties"] for stream in tap.streams.values())
    assert requests_mock.request_history == []
