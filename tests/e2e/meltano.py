"""Running the Meltano project of this repository (``meltano run``) from tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import typing as t
import uuid
from pathlib import Path

import duckdb

if t.TYPE_CHECKING:
    from tap_generic_rest.sandbox import Sandbox

PROJECT = Path(__file__).resolve().parents[2]
MELTANO = shutil.which("meltano", path=str(Path(sys.executable).parent)) or "meltano"


def ensure_installed() -> None:
    """Install the project's Meltano plugins once (scripts/setup normally did it already)."""
    if not (PROJECT / ".meltano" / "extractors" / "tap-generic-rest").exists():
        subprocess.run([MELTANO, "install"], cwd=PROJECT, check=True, capture_output=True)


def meltano_run(
    api: str,
    sandbox: Sandbox,
    warehouse: Path,
    *,
    state_suffix: str | None = None,
    extra_env: t.Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``meltano run tap-generic-rest target-duckdb`` for one built-in API into ``warehouse``."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TAP_GENERIC_REST_API": api,
        "TAP_GENERIC_REST_BASE_URL": sandbox.base_url(api),
        "TAP_GENERIC_REST_TOKEN_URL": sandbox.token_url,
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": api,
        **(extra_env or {}),
    }
    suffix = state_suffix or f"test-{uuid.uuid4().hex[:8]}"
    return subprocess.run(
        [MELTANO, "run", "--state-id-suffix", suffix, "tap-generic-rest", "target-duckdb"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def table_counts(warehouse: Path, schema: str, tables: t.Iterable[str]) -> dict[str, int]:
    """Row counts of ``tables`` in ``schema`` (0 for a table that was not created)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()}
        return {
            table: con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]  # type: ignore[index]
            if table in existing else 0
            for table in tables
        }


def distinct_keys(warehouse: Path, schema: str, table: str, keys: t.Sequence[str]) -> int:
    """The number of distinct primary-key tuples in a table."""
    columns = ", ".join(f'"{key}"' for key in keys)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(f'select count(*) from (select distinct {columns} from "{schema}"."{table}")').fetchone()
        return int(row[0]) if row else 0
