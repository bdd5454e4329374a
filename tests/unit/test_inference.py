"""Schema inference for resources without a declared schema (contract 6.3)."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest
import simplejson

from tap_generic_rest.inference import infer_value_schema, schema_from_records

if t.TYPE_CHECKING:
    import requests
    import requests_mock as rm

    from tap_generic_rest.tap import TapGenericRest

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
        pytest.param('["2024-05-01T12:00:00Z"]', {"type": ["string", "null"]}, id="no-format"),
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
