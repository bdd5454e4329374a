"""End to end: a key that first appears after the discovery sample becomes a new column, with its
values, in DuckDB and in PostgreSQL (``meltano run tap-generic-rest target-...``), over a loopback
API whose records gain keys and change types late (``tests.integration.evolving_api.py``)."""

from __future__ import annotations

import json
import typing as t
import uuid

import duckdb
import pytest

from tests.e2e.meltano import ensure_installed, meltano
from tests.integration.evolving_api import COUNT, LATE_FROM, NESTED_FROM, NUMBER_FROM, description, evolving_api

if t.TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.postgres import PostgresServer

SCHEMA = "evolving"
#: the new column, its non-null values, and one of them
LATE = (f"select count(*), count(late_field), max(case when id = 't{COUNT - 1}' then late_field end) "
        f"from {SCHEMA}.things")


@pytest.fixture(scope="module", autouse=True)
def _meltano_plugins() -> None:
    ensure_installed()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # target-postgres cannot alter a boolean column to text: the boolean flag keeps its type here
    with evolving_api(retype_flag=False) as server:
        path = tmp_path_factory.mktemp("evolving") / "api.json"
        path.write_text(json.dumps(description(server.url)), encoding="utf-8")
        yield path


def run(api: Path, loader: str, env: dict[str, str], flattened: bool = False) -> subprocess.CompletedProcess[str]:
    tap = {"TAP_GENERIC_REST_API_DESCRIPTION": str(api)}
    if flattened:
        tap |= {"TAP_GENERIC_REST_FLATTENING_ENABLED": "true", "TAP_GENERIC_REST_FLATTENING_MAX_DEPTH": "1"}
    return meltano("run", "--state-id-suffix", f"test-{uuid.uuid4().hex[:8]}", "tap-generic-rest", loader,
                   env={**tap, **env})


def test_a_late_column_arrives_in_duckdb(api: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    result = run(api, "target-duckdb", {"TARGET_DUCKDB_FILEPATH": str(warehouse),
                                        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": SCHEMA})
    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(LATE).fetchone() == (COUNT, COUNT - LATE_FROM, f"late {COUNT - 1}")
        # a widened type: target-duckdb keeps the old column under a versioned name and adds the new one
        assert con.execute(f"select score, meta->>'extra' from {SCHEMA}.things where id = 't{COUNT - 1}'"
                           ).fetchone() == (COUNT - 1 + 0.5, str(COUNT - 1))
        columns = [row[0] for row in con.execute(f"describe {SCHEMA}.things").fetchall()]
        old = next(column for column in columns if column.startswith("score_"))
        assert con.execute(f"select count({old}) from {SCHEMA}.things").fetchone() == (NUMBER_FROM,)


@pytest.mark.parametrize("flattened", [False, True], ids=["nested", "flattened"])
def test_a_late_column_arrives_in_postgres(flattened: bool, api: Path, postgres: PostgresServer) -> None:
    schema = f"{SCHEMA}_flat" if flattened else SCHEMA
    result = run(api, "target-postgres", {**postgres.env("TARGET_POSTGRES"),
                                          "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema}, flattened)
    assert result.returncode == 0, result.stderr[-3000:]
    assert postgres.query(LATE.replace(f"{SCHEMA}.", f"{schema}.")) == [
        [str(COUNT), str(COUNT - LATE_FROM), f"late {COUNT - 1}"]]
    if flattened:  # a nested key that came late is its own column too
        extra = postgres.query(f"select count(meta__extra) from {schema}.things")
        assert extra == [[str(COUNT - NESTED_FROM)]]
