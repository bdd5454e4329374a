"""End to end into a real PostgreSQL server: sandbox -> ``meltano run tap-generic-rest target-postgres``
(meltanolabs-target-postgres) for every built-in API, unflattened and flattened (depth 1).

Every table holds exactly the sandbox's record count with unique primary keys, and every column has
the type its schema calls for: date-times as timestamps, integers as bigint, objects as jsonb (JSON
text once flattened). Counts and types are read from PostgreSQL, never from the log.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.helpers._flattening import flatten_schema

from tap_generic_rest.description.load import BUILTIN_APIS
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config
from tests.e2e.meltano import ensure_installed
from tests.e2e.targets import run_pipeline

if t.TYPE_CHECKING:
    from generic_rest_sandbox import Sandbox

    from tests.e2e.postgres import PostgresServer

FLATTENING_DEPTH = 1
#: JSON type (without null) -> the column type meltanolabs-target-postgres 0.8 creates
COLUMN_TYPES = {"integer": "bigint", "number": "numeric", "boolean": "boolean", "string": "text",
                "object": "jsonb", "array": "ARRAY"}


@pytest.fixture(scope="module", autouse=True)
def _meltano_plugins() -> None:
    ensure_installed()


def column_type(schema: t.Mapping[str, t.Any]) -> str:
    """The PostgreSQL column type a property's JSON schema calls for."""
    types = schema.get("type", [])
    types = {types} if isinstance(types, str) else set(types) - {"null"}
    if "string" in types and schema.get("format") == "date-time":
        return "timestamp without time zone"
    assert len(types) == 1, f"no single column type for {schema}"
    return COLUMN_TYPES[types.pop()]


def streams(sandbox: Sandbox, api: str) -> dict[str, t.Any]:
    """The discovered streams of an API: name -> catalog entry."""
    catalog = TapGenericRest(config=sandbox_config(sandbox, api), parse_env_config=False).catalog_dict
    return {entry["tap_stream_id"]: entry for entry in catalog["streams"]}


@pytest.mark.parametrize("flattened", [False, True], ids=["nested", "flattened"])
@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_every_record_lands_in_postgres(api: str, flattened: bool, sandbox: Sandbox, postgres: PostgresServer) -> None:
    schema = f"{api}_flat" if flattened else api
    depth = FLATTENING_DEPTH if flattened else None
    result = run_pipeline(api, sandbox, "target-postgres",
                          {**postgres.env("TARGET_POSTGRES"), "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema}, depth)
    assert result.returncode == 0, result.stderr[-3000:]

    expected = sandbox.expected_counts(api)
    assert all(count > 0 for count in expected.values()), expected
    for stream, entry in streams(sandbox, api).items():
        keys = ", ".join(f'"{key}"' for key in entry["key_properties"])
        rows, distinct = postgres.query(
            f'select count(*), count(distinct ({keys})) from "{schema}"."{stream}"')[0]
        assert (int(rows), int(distinct)) == (expected[stream], expected[stream]), stream

        properties = entry["schema"]
        if flattened:
            properties = flatten_schema(properties, max_level=FLATTENING_DEPTH)
        wanted = {name: column_type(prop) for name, prop in properties["properties"].items()}
        landed = {name: data_type for name, data_type in postgres.query(
            "select column_name, data_type from information_schema.columns where table_schema = "
            f"'{schema}' and table_name = '{stream}' and column_name not like '\\_sdc\\_%'")}
        assert landed == wanted, stream
