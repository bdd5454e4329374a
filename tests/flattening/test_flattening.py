"""With ``flattening_enabled`` at depth 1, 2 and 3, every RECORD key is declared in its stream's SCHEMA
and un-flattening every record gives back the unflattened record: for every built-in API over the
sandbox, and for an inferred schema with empty, free-form and nested objects and arrays of objects.
"""

from __future__ import annotations

import json
import typing as t

import pytest
import yaml
from generic_rest_sandbox import Sandbox

from tap_generic_rest.description.load import BUILTIN_APIS
from tests.conftest import FAST_RETRIES, sandbox_config
from tests.flattening.audit import DEPTHS, Sync, flattening, lost, sync, undeclared

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests_mock as rm


#: The unflattened sync of each API, run once per sandbox and compared at every depth.
_PLAIN: dict[tuple[str, str], Sync] = {}


def _assert_whole(flat: Sync, plain: Sync) -> None:
    keys, records, where = undeclared(flat)
    assert keys == 0, f"{keys} undeclared keys in {records} records: {where.most_common(5)}"
    assert len(flat.records) == len(plain.records) > 0
    assert lost(flat, plain) == []


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_builtin_api_flattens_without_loss(api: str, depth: int, sandbox: Sandbox) -> None:
    key = (sandbox.base_url(api), api)
    if key not in _PLAIN:
        _PLAIN[key] = sync(sandbox_config(sandbox, api))
    plain = _PLAIN[key]
    flat = sync(sandbox_config(sandbox, api, **flattening(depth)))
    _assert_whole(flat, plain)
    # Free-form objects stay one JSON column at every depth, whatever keys they hold.
    for stream, schema in flat.schemas.items():
        for name, column in schema["properties"].items():
            assert "properties" not in column, f"{stream}.{name} is still an object after flattening"


RECORDS = [
    {"id": "a", "empty": {}, "free": {"x": 1}, "deep": {"one": {"two": {"three": {"four": 4}}, "e": {}}},
     "rows": [{"k": 1}, {}], "blank_rows": [{}], "tags": ["t"], "nothing": None},
    {"id": "b", "empty": {}, "free": {"y": [1, {"z": 2}]}, "deep": {"one": None},
     "rows": [], "blank_rows": [], "tags": [], "nothing": None},
    {"id": "c", "empty": None, "free": None, "deep": None, "rows": None, "blank_rows": None, "tags": None},
]


def _null_parents(flat: Sync) -> list[tuple[str, t.Any]]:
    """Undeclared (key, value) pairs; the SDK's flattener writes a null object with known properties
    under its own key while the SCHEMA declares only its flattened children (known limitation)."""
    return [(key, record[key]) for _, record, declared in flat.records for key in set(record) - declared]


@pytest.mark.parametrize("depth", DEPTHS)
def test_inferred_schema_flattens_without_loss(depth: int, tmp_path: Path, requests_mock: rm.Mocker) -> None:
    description = tmp_path / "api.yaml"
    description.write_text(yaml.safe_dump({
        "client": {"base_url": "https://api.test"},
        "resources": [{"name": "items", "primary_key": "id", "endpoint": {"path": "/items", "data_selector": "data"}}],
    }))
    requests_mock.get("https://api.test/items", text=json.dumps({"data": RECORDS}))
    config = {"api_description": str(description), **FAST_RETRIES}
    plain = sync(config)
    assert [record for _, record, _ in plain.records] == RECORDS
    flat = sync({**config, **flattening(depth)})
    assert lost(flat, plain) == []
    # Only null objects whose children are columns are undeclared (an SDK flattener limitation):
    # record "c" (free, deep all null) and, below depth 1, record "b"'s deep.one.
    expected = [("free", None), ("deep", None)] + ([("deep__one", None)] if depth > 1 else [])
    assert sorted(_null_parents(flat)) == sorted(expected)
    for key, _ in expected:
        assert any(column.startswith(key + "__") for column in flat.schemas["items"]["properties"])
    # Objects never seen with keys, and free-form values, stay one JSON column at every depth.
    columns = flat.schemas["items"]["properties"]
    assert {"empty", "rows", "blank_rows", "tags"} <= set(columns)
    assert all("properties" not in column for column in columns.values())


@pytest.mark.parametrize("depth", DEPTHS)
def test_records_past_the_inference_sample_are_declared_when_flattened(depth: int) -> None:
    """oauth_offset's schema is inferred from its first 1,000 records; at scale 8 the sync reads 2,000."""
    with Sandbox(scale=8) as sandbox:
        flat = sync(sandbox_config(sandbox, "oauth_offset", **flattening(depth)))
    keys, records, where = undeclared(flat)
    assert keys == 0, f"{keys} undeclared keys in {records} records: {where.most_common(5)}"
    assert len(flat.records) == 2000
