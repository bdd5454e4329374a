"""End to end: sandbox over real HTTP -> ``meltano run tap-generic-rest target-duckdb`` -> DuckDB.

Every table must hold exactly the sandbox's record count, with unique primary keys. Row counts are
read from DuckDB, never from the log.
"""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.description.load import BUILTIN_APIS, builtin_path, load_description
from tests.e2e.meltano import distinct_keys, ensure_installed, meltano_run, table_counts

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import Sandbox


@pytest.fixture(scope="module", autouse=True)
def _meltano_plugins() -> None:
    ensure_installed()


@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_every_record_lands_in_duckdb(api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    result = meltano_run(api, sandbox, warehouse)
    assert result.returncode == 0, result.stderr[-3000:]

    expected = sandbox.expected_counts(api)
    assert all(count > 0 for count in expected.values()), expected
    assert table_counts(warehouse, api, expected) == expected

    for resource in load_description(builtin_path(api)).resources:
        assert distinct_keys(warehouse, api, resource.name, resource.primary_key) == expected[resource.name]
