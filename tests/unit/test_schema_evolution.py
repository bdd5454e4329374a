"""Schema evolution: what the schema covers (the hot path), what each ``schema_contract`` mode does
with a key or a value type the schema lacks, and how the description states the contract."""

from __future__ import annotations

import copy
import decimal
import logging
import typing as t

import pytest

from tap_generic_rest.description.contract import SchemaContract, schema_contract
from tap_generic_rest.description.load import parse_description
from tap_generic_rest.errors import DescriptionError, UserError
from tap_generic_rest.streams.coverage import compile_root, covers
from tap_generic_rest.streams.evolution import SchemaEvolver

if t.TYPE_CHECKING:
    from pathlib import Path

LOGGER = logging.getLogger("tap-generic-rest.things")
SCHEMA: dict[str, t.Any] = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": ["string"]},
    "score": {"type": ["integer", "null"]},
    "ratio": {"type": ["number", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "meta": {"type": ["object", "null"], "properties": {"k": {"type": ["string", "null"]}}},
    "free": {"type": ["object", "null"]},
    "rows": {"type": ["array", "null"], "items": {"type": ["object"], "properties": {"n": {"type": ["integer"]}}}},
    "any_items": {"type": ["array", "null"], "items": {}},
    "blobs": {"type": ["array", "null"], "items": {"type": ["object"], "properties": {}, "additionalProperties": True}},
}}
COVERED = {"id": "a", "score": 1, "ratio": 1, "at": "2024-01-01T00:00:00Z", "meta": {"k": "v"}, "free": {"x": [1]},
           "rows": [{"n": 1}], "any_items": [1, "x", {"y": 2}], "blobs": [{"anything": 1}]}


def evolver(contract: SchemaContract | None = None) -> SchemaEvolver:
    return SchemaEvolver("things", contract or SchemaContract(), ["id"], LOGGER)


# -- what the schema covers ------------------------------------------------------------------------------
@pytest.mark.parametrize("record", [
    COVERED,
    {"id": "a"},
    {"id": "a", "score": None, "ratio": decimal.Decimal("1.5"), "meta": None, "rows": []},
    {"id": "a", "score": decimal.Decimal(3)},  # an integral JSON number is an integer
    {"id": "a", "free": {"new": {"deep": 1}}},  # free-form: any keys
], ids=["every-kind", "key-only", "nulls-and-decimal", "integral-decimal", "free-form"])
def test_a_record_of_known_keys_and_types_is_covered(record: dict[str, t.Any]) -> None:
    assert covers(compile_root(SCHEMA), record)


@pytest.mark.parametrize("record", [
    {"id": "a", "late": 1},
    {"id": "a", "meta": {"k": "v", "extra": 1}},
    {"id": "a", "rows": [{"n": 1}, {"n": 2, "m": 3}]},
    {"id": "a", "score": 1.5},
    {"id": "a", "score": True},  # a boolean is never an integer
    {"id": None},
    {"id": "a", "rows": [{"n": "x"}]},
], ids=["new-key", "new-nested-key", "new-key-in-array-item", "number-for-integer", "boolean-for-integer",
        "null-for-required", "string-in-array-item"])
def test_a_new_key_or_type_at_any_depth_is_not_covered(record: dict[str, t.Any]) -> None:
    assert not covers(compile_root(SCHEMA), record)


def test_a_covered_record_passes_untouched_and_the_schema_is_not_copied() -> None:
    record = copy.deepcopy(COVERED)
    admitted, evolved = evolver().admit(record, SCHEMA)
    assert admitted is record
    assert evolved is None
    assert record == COVERED


# -- evolve (the default) --------------------------------------------------------------------------------
def test_evolve_adds_new_keys_typed_by_inference_at_any_depth(caplog: pytest.LogCaptureFixture) -> None:
    record = {"id": "a", "late": "x", "when": "2024-05-01T12:00:00Z", "meta": {"k": "v", "extra": {"n": 1.5}},
              "rows": [{"n": 1, "m": [True]}]}
    with caplog.at_level(logging.INFO):
        admitted, evolved = evolver().admit(copy.deepcopy(record), SCHEMA)
    assert admitted == record  # nothing dropped
    assert evolved is not None
    properties = evolved["properties"]
    assert properties["late"] == {"type": ["string", "null"]}
    assert properties["when"] == {"type": ["string", "null"], "format": "date-time"}
    assert properties["meta"]["properties"]["extra"] == {
        "type": ["object", "null"], "properties": {"n": {"type": ["number", "null"]}}}
    assert properties["rows"]["items"]["properties"]["m"] == {
        "type": ["array", "null"], "items": {"type": ["boolean", "null"]}}
    assert SCHEMA["properties"].keys() <= properties.keys()
    assert "late" not in SCHEMA["properties"]  # the stream's schema is replaced, never changed in place
    assert "new key 'meta.extra'" in caplog.text


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("score", 1.5, {"type": ["number", "null"]}),
    ("ratio", 2, None),  # an integer is a number: covered
    ("score", "n/a", {"type": ["string", "integer", "null"]}),
    ("at", 1714564800, {"type": ["string", "integer", "null"]}),  # no longer every value a date-time
    ("id", None, {"type": ["string", "null"]}),
    ("meta", [1], {"type": ["object", "array", "null"], "properties": {"k": {"type": ["string", "null"]}},
                   "items": {"type": ["integer", "null"]}}),
])
def test_evolve_widens_the_type_of_a_property(name: str, value: object, expected: dict[str, t.Any] | None) -> None:
    admitted, evolved = evolver().admit({"id": "a", name: value}, SCHEMA)
    assert admitted == {"id": "a", name: value}
    assert (evolved["properties"][name] if evolved else None) == expected


def test_the_evolved_schema_covers_what_evolved_it() -> None:
    one = evolver()
    record = {"id": "a", "late": 1, "score": 2.5, "meta": {"extra": "x"}}
    _, evolved = one.admit(dict(record), SCHEMA)
    assert evolved is not None
    assert one.admit(dict(record), evolved) == (record, None)


# -- the other modes -------------------------------------------------------------------------------------
def test_freeze_fails_in_one_line_naming_stream_key_and_primary_key() -> None:
    with pytest.raises(UserError) as caught:
        evolver(schema_contract("freeze")).admit({"id": "r7", "meta": {"k": "v", "extra": 1}}, SCHEMA)
    assert str(caught.value) == ("stream things: 'meta.extra' is a key the schema lacks (schema_contract columns: "
                                 "freeze); record {'id': 'r7'}")
    with pytest.raises(UserError, match=r"'score' is a number value, a type the schema lacks .*data_type: freeze"):
        evolver(schema_contract("freeze")).admit({"id": "r7", "score": 1.5}, SCHEMA)


def test_discard_row_drops_the_record_and_counts_it(caplog: pytest.LogCaptureFixture) -> None:
    one = evolver(schema_contract("discard_row"))
    assert one.admit({"id": "a", "late": 1}, SCHEMA) == (None, None)
    assert one.admit({"id": "b", "score": "x"}, SCHEMA) == (None, None)
    assert one.admit({"id": "c"}, SCHEMA) == ({"id": "c"}, None)
    with caplog.at_level(logging.WARNING):
        one.report()
        one.report()  # once: nothing new since
    assert [r.getMessage() for r in caplog.records] == [
        "Stream things: schema_contract discarded 2 records and 0 values with keys or types its schema lacks"]


def test_discard_value_drops_only_the_values(caplog: pytest.LogCaptureFixture) -> None:
    one = evolver(schema_contract("discard_value"))
    record = {"id": "a", "late": 1, "score": 1.5, "meta": {"k": "v", "extra": 1}, "rows": [{"n": 1}, "odd", {"n": 2}]}
    assert one.admit(record, SCHEMA) == ({"id": "a", "meta": {"k": "v"}, "rows": [{"n": 1}, {"n": 2}]}, None)
    with caplog.at_level(logging.WARNING):
        one.report()
    assert "discarded 0 records and 4 values" in caplog.text


def test_modes_by_entity_apply_to_new_keys_and_to_new_types_apart() -> None:
    contract = schema_contract({"tables": "freeze", "columns": "evolve", "data_type": "discard_value"})
    assert contract == SchemaContract(columns="evolve", data_type="discard_value")
    admitted, evolved = evolver(contract).admit({"id": "a", "late": 1, "score": 1.5}, SCHEMA)
    assert admitted == {"id": "a", "late": 1}
    assert evolved is not None
    assert evolved["properties"]["score"] == SCHEMA["properties"]["score"]
    assert "late" in evolved["properties"]


# -- the description -------------------------------------------------------------------------------------
def _doc(**resource: t.Any) -> dict[str, t.Any]:
    defaults = resource.pop("defaults", None)
    doc: dict[str, t.Any] = {"client": {"base_url": "https://api.test"},
                             "resources": [{"name": "things", "primary_key": "id", **resource}, "others"]}
    if defaults:
        doc["resource_defaults"] = defaults
    return doc


@pytest.mark.parametrize(("doc", "expected"), [
    (_doc(), [SchemaContract(), SchemaContract()]),
    (_doc(schema_contract="freeze"), [SchemaContract("freeze", "freeze"), SchemaContract()]),
    (_doc(defaults={"schema_contract": {"columns": "discard_row"}}, schema_contract="evolve"),
     [SchemaContract(), SchemaContract(columns="discard_row")]),
])
def test_the_contract_is_read_per_resource_and_from_the_defaults(
        doc: dict[str, t.Any], expected: list[SchemaContract], tmp_path: Path) -> None:
    description = parse_description(doc, origin="test", root=tmp_path)
    assert [resource.schema_contract for resource in description.resources] == expected


MODES = "'lenient' is not allowed; use one of: evolve, freeze, discard_row, discard_value"


@pytest.mark.parametrize(("doc", "expected"), [
    (_doc(schema_contract="lenient"), f"resources[0].schema_contract: {MODES}"),
    (_doc(schema_contract={"columns": "lenient"}), f"resources[0].schema_contract.columns: {MODES}"),
    (_doc(schema_contract={"rows": "freeze"}),
     "resources[0].schema_contract: unknown field(s) 'rows'; allowed: columns, data_type, tables"),
    (_doc(defaults={"schema_contract": {"data_type": 1}}),
     "resource_defaults.schema_contract.data_type: expected string, got int 1"),
])
def test_a_bad_contract_names_its_exact_path(doc: dict[str, t.Any], expected: str, tmp_path: Path) -> None:
    with pytest.raises(DescriptionError) as caught:
        parse_description(doc, origin="test", root=tmp_path)
    assert str(caught.value) == f"invalid API description test: {expected}"
