"""Schema evolution over real HTTP: a loopback API whose records gain keys and change types after the
discovery sample (``evolving_api``). Every record and every value arrives, every RECORD key is
declared in the SCHEMA in force (flattened or not, with stream maps), the catalog's selection holds,
and each ``schema_contract`` mode does what it says."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest

from tap_generic_rest.run.writer import flush_writers
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import FAST_RETRIES
from tests.integration.evolving_api import (
    COUNT,
    LATE_FROM,
    NESTED_FROM,
    NUMBER_FROM,
    STRING_AT,
    description,
    evolving_api,
    thing,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.safety.helpers import CannedApi

Message = dict[str, t.Any]


@pytest.fixture(scope="module")
def server() -> Iterator[CannedApi]:
    with evolving_api() as running:
        yield running


def write(tmp_path: Path, doc: dict[str, t.Any], schemas: dict[str, t.Any] | None = None) -> Path:
    for name, schema in (schemas or {}).items():
        (tmp_path / name).write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "api.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def run(api: Path, capsys: pytest.CaptureFixture[str], catalog: dict[str, t.Any] | None = None,
        **settings: t.Any) -> list[Message]:
    capsys.readouterr()
    TapGenericRest(config={"api_description": str(api), **FAST_RETRIES, **settings}, catalog=catalog,
                   parse_env_config=False).sync_all()
    flush_writers()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def undeclared(record: dict[str, t.Any], schema: dict[str, t.Any], path: str = "") -> list[str]:
    """The keys of ``record`` (at any depth) the schema does not declare."""
    properties = schema.get("properties") or {}
    missing = []
    for key, value in record.items():
        if key not in properties and properties is not None:
            missing.append(path + key)
        elif isinstance(value, dict) and properties[key].get("properties"):
            missing += undeclared(value, properties[key], f"{path}{key}.")
    return missing


def audit(messages: list[Message]) -> tuple[list[Message], list[Message]]:
    """(records, schemas); asserts that every RECORD key is declared in the SCHEMA in force."""
    in_force: dict[str, t.Any] = {}
    records, schemas = [], []
    for message in messages:
        if message["type"] == "SCHEMA":
            in_force[message["stream"]] = message["schema"]
            schemas.append(message)
        elif message["type"] == "RECORD":
            assert undeclared(message["record"], in_force[message["stream"]]) == [], message["record"]
            records.append(message)
    return records, schemas


def test_late_keys_and_new_types_arrive_with_a_schema_sent_again_before_them(
        server: CannedApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records, schemas = audit(run(write(tmp_path, description(server.url)), capsys))
    assert [message["record"] for message in records] == [thing(n) for n in range(COUNT)]  # every value
    # one SCHEMA first, then one before each record bringing a change (late key, number, nested key, string)
    assert len(schemas) == 5
    final = schemas[-1]["schema"]["properties"]
    assert final["late_field"] == {"type": ["string", "null"]}
    assert final["score"]["type"] == ["number", "null"]
    assert final["meta"]["properties"]["extra"] == {"type": ["integer", "null"]}
    assert final["flag"]["type"] == ["string", "boolean", "null"]
    output = run(write(tmp_path, description(server.url)), capsys)
    firsts = [index for index, message in enumerate(output) if message["type"] == "SCHEMA"][1:]
    assert [output[index + 1]["record"]["id"] for index in firsts] == [
        f"t{n}" for n in (LATE_FROM, NUMBER_FROM, NESTED_FROM, STRING_AT)]


def test_a_declared_schema_evolves_too(server: CannedApi, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    declared = {"type": "object", "properties": {"id": {"type": "string"}, "score": {"type": "integer"}}}
    api = write(tmp_path, description(server.url, schema="things.json"), {"things.json": declared})
    records, schemas = audit(run(api, capsys))
    assert [message["record"] for message in records] == [thing(n) for n in range(COUNT)]
    assert {"meta", "flag", "late_field"} <= schemas[-1]["schema"]["properties"].keys()


@pytest.mark.parametrize("depth", [1, 3])
def test_with_flattening_every_record_key_is_declared(depth: int, server: CannedApi, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    output = run(write(tmp_path, description(server.url)), capsys, flattening_enabled=True,
                 flattening_max_depth=depth)
    records, schemas = audit(output)
    assert len(records) == COUNT
    assert sum("meta__extra" in message["record"] for message in records) == COUNT - NESTED_FROM
    assert "meta__extra" in schemas[-1]["schema"]["properties"]


def test_stream_maps_see_the_evolved_schema(server: CannedApi, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    maps = {"things": {"flag": "__NULL__", "doubled": "score * 2"}}
    records, schemas = audit(run(write(tmp_path, description(server.url)), capsys, stream_maps=maps))
    assert sum("late_field" in message["record"] for message in records) == COUNT - LATE_FROM
    assert all("flag" not in message["schema"]["properties"] for message in schemas)
    assert len(schemas) == 4  # flag's new type changes nothing the map emits: no SCHEMA for it


def test_a_property_the_catalog_deselects_stays_out(server: CannedApi, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    api = write(tmp_path, description(server.url))
    catalog = TapGenericRest(config={"api_description": str(api), **FAST_RETRIES},
                             parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == ["properties", "meta"]:
                metadata["metadata"]["selected"] = False
    records, schemas = audit(run(api, capsys, catalog=catalog))
    assert len(records) == COUNT
    assert not any("meta" in message["record"] for message in records)
    assert all("meta" not in message["schema"]["properties"] for message in schemas)
    assert len(schemas) == 4  # meta.extra is no change to what is emitted


def test_discard_row_and_discard_value_count_in_one_warning(
        server: CannedApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    api = write(tmp_path, description(server.url, schema_contract="discard_row"))
    records, schemas = audit(run(api, capsys))
    assert [message["record"]["id"] for message in records] == [f"t{n}" for n in range(LATE_FROM)]
    api = write(tmp_path, description(server.url, schema_contract={"columns": "discard_value",
                                                                   "data_type": "evolve"}))
    records, schemas = audit(run(api, capsys))
    assert len(records) == COUNT
    assert not any("late_field" in message["record"] or "extra" in message["record"]["meta"]
                   for message in records)
    assert schemas[-1]["schema"]["properties"]["score"]["type"] == ["number", "null"]
    warnings = [r.getMessage() for r in caplog.records if "schema_contract discarded" in r.getMessage()]
    assert warnings == [
        f"Stream things: schema_contract discarded {COUNT - LATE_FROM} records and 0 values with keys or types "
        "its schema lacks",
        f"Stream things: schema_contract discarded 0 records and {2 * COUNT - LATE_FROM - NESTED_FROM} values with "
        "keys or types its schema lacks"]


def test_freeze_fails_the_run_in_one_line(server: CannedApi, tmp_path: Path) -> None:
    api = write(tmp_path, description(server.url, schema_contract="freeze"))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_description": str(api), **FAST_RETRIES}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tap_generic_rest", "--config", str(config)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("tap-generic-rest: error:")]
    assert errors == ["tap-generic-rest: error: stream things: 'late_field' is a key the schema lacks "
                      f"(schema_contract columns: freeze); record {{'id': 't{LATE_FROM}'}}"]
    assert "Traceback" not in done.stderr
    assert sum(json.loads(line)["type"] == "RECORD" for line in done.stdout.splitlines()) == LATE_FROM
