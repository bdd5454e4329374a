"""Running the Meltano project of this repository (``meltano run tap-<api> ...``) from tests.

The tests never touch the user's project state: every call runs with ``MELTANO_DATABASE_URI``
pointing at a system database of the test session's own (a temporary SQLite file, unless a test
passes another, e.g. PostgreSQL), so state IDs land there and not in ``.meltano/meltano.db``.
Each API plugin is pointed at the test's sandbox through its own settings' environment
variables (``TAP_WEBHOOKS_BASE_URL`` ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import typing as t
import uuid
from pathlib import Path

import duckdb

if t.TYPE_CHECKING:
    from generic_rest_sandbox import Sandbox

PROJECT = Path(__file__).resolve().parents[2]
MELTANO = shutil.which("meltano", path=str(Path(sys.executable).parent)) or "meltano"
TAP = shutil.which("tap-generic-rest", path=str(Path(sys.executable).parent)) or "tap-generic-rest"
#: The test session's own Meltano system database (state backend): never the project's.
SYSTEM_DB = Path(tempfile.mkdtemp(prefix="tap-generic-rest-meltano-")) / "meltano.db"
TEST_ENV = {"MELTANO_DATABASE_URI": f"sqlite:///{SYSTEM_DB}", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}


def plugin_name(api: str) -> str:
    """The Meltano extractor of a built-in API: ``oauth_offset`` -> ``tap-oauth-offset``."""
    return "tap-" + api.replace("_", "-")


def plugin_env(api: str, sandbox: Sandbox) -> dict[str, str]:
    """Point the API's plugin at ``sandbox`` (its settings' environment variables)."""
    prefix = plugin_name(api).replace("-", "_").upper()
    return {f"{prefix}_BASE_URL": sandbox.base_url(api), f"{prefix}_TOKEN_URL": sandbox.token_url}


def ensure_installed() -> None:
    """Install the project's Meltano plugins once (scripts/setup normally did it already)."""
    if not (PROJECT / ".meltano" / "extractors" / "tap-generic-rest").exists():
        env = {**os.environ, **TEST_ENV}
        subprocess.run([MELTANO, "install"], cwd=PROJECT, check=True, capture_output=True, env=env)


def meltano(
    *args: str, env: t.Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``meltano <args>`` in the project with the test session's own system database."""
    return subprocess.run(
        [MELTANO, *args],
        cwd=PROJECT,
        env={**os.environ, **TEST_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def meltano_run(
    api: str,
    sandbox: Sandbox,
    warehouse: Path,
    *,
    state_suffix: str | None = None,
    extra_env: t.Mapping[str, str] | None = None,
    options: t.Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``meltano run tap-<api> target-duckdb`` into ``warehouse`` (its own schema, named after the API)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {**plugin_env(api, sandbox), "TARGET_DUCKDB_FILEPATH": str(warehouse), **(extra_env or {})}
    suffix = state_suffix or f"test-{uuid.uuid4().hex[:8]}"
    return meltano("run", "--state-id-suffix", suffix, *options, plugin_name(api), "target-duckdb", env=env)


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
