"""Beyond one machine: Meltano's system database (its default ``systemdb`` state backend) on a real
PostgreSQL server shared by several Meltano processes, as several machines or an orchestrator's
workers would share it; and one API split into parallel jobs by stream selection.

"Machines" are processes with their own warehouse and nothing in common but ``MELTANO_DATABASE_URI``.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
import uuid

from tap_generic_rest.description.load import builtin_path, load_description
from tests.e2e.meltano import (
    MELTANO,
    PROJECT,
    TEST_ENV,
    ensure_installed,
    meltano,
    meltano_run,
    table_counts,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import Sandbox

    from tests.e2e.postgres import PostgresServer

#: webhooks in two jobs (meltano.yml): each parent with its children, the SDK needs them in one job
JOBS = {
    "tap-webhooks-applications": ["applications", "endpoints", "integrations"],
    "tap-webhooks-others": ["event_types", "tokens", "ingest_source", "webhook_endpoint", "ingest_source_endpoint"],
}


def _system_db(postgres: PostgresServer) -> dict[str, str]:
    name = postgres.create_database(f"meltano_{uuid.uuid4().hex[:8]}")
    return {"MELTANO_DATABASE_URI": postgres.url(name, driver="postgresql+psycopg")}


def test_two_machines_share_bookmarks_through_postgresql(
    postgres: PostgresServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    ensure_installed()
    shared = _system_db(postgres)
    incremental = {r.name for r in load_description(builtin_path("webhooks")).resources if r.replication_key}
    expected = sandbox.expected_counts("webhooks")

    first = meltano_run("webhooks", sandbox, tmp_path / "a.duckdb", state_suffix="shared", extra_env=shared)
    assert first.returncode == 0, first.stderr[-3000:]
    assert table_counts(tmp_path / "a.duckdb", "webhooks", expected) == expected

    # another machine: its own warehouse, the same system database -> it starts from machine A's bookmarks
    second = meltano_run("webhooks", sandbox, tmp_path / "b.duckdb", state_suffix="shared", extra_env=shared)
    assert second.returncode == 0, second.stderr[-3000:]
    moved = table_counts(tmp_path / "b.duckdb", "webhooks", incremental)
    # only the rows on machine A's bookmarks come again (per-parent bookmarks, `>=`: at-least-once)
    assert all(moved[name] <= expected[name] for name in incremental), moved
    assert sum(moved.values()) < sum(expected[name] for name in incremental) / 2, moved

    state_id = "dev:tap-webhooks-to-target-duckdb:shared"
    assert [[state_id]] == postgres.query(f"select state_id from state where state_id = '{state_id}'",
                                          database=shared["MELTANO_DATABASE_URI"].rsplit("/", 1)[1])
    got = meltano("state", "get", state_id, env=shared)
    assert got.returncode == 0, got.stderr[-2000:]
    assert json.loads(got.stdout[got.stdout.index("{"):])["singer_state"]["bookmarks"]


def test_one_api_in_parallel_jobs_by_stream_selection(
    postgres: PostgresServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    ensure_installed()
    shared = _system_db(postgres)
    expected = sandbox.expected_counts("webhooks")
    migrated = meltano("state", "list", env=shared)  # the first Meltano call creates the system database
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    # Jobs running at once in one project directory must not share a plugin name, loaders included:
    # Meltano keeps per-plugin files in .meltano/run/<plugin>/ (catalog, logging config).
    loaders = {"tap-webhooks-applications": "target-duckdb", "tap-webhooks-others": "target-jsonl"}
    jobs = {}
    for job, loader in loaders.items():
        prefix = job.replace("-", "_").upper()
        env = {**TEST_ENV, **shared, f"{prefix}_BASE_URL": sandbox.base_url("webhooks"),
               "TARGET_DUCKDB_FILEPATH": str(tmp_path / "applications.duckdb"),
               "TARGET_JSONL_DESTINATION_PATH": str(tmp_path)}
        jobs[job] = subprocess.Popen(
            [MELTANO, "run", job, loader],
            cwd=PROJECT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    for process in jobs.values():
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
    counts = table_counts(tmp_path / "applications.duckdb", "webhooks", expected)
    assert {s: n for s, n in counts.items() if n} == {s: expected[s] for s in JOBS["tap-webhooks-applications"]}
    lines = {path.name.rsplit("-", 1)[0]: len(path.read_text().splitlines()) for path in tmp_path.glob("*.jsonl")}
    assert lines == {s: expected[s] for s in JOBS["tap-webhooks-others"]}
    listed = meltano("state", "list", env=shared)
    for job in JOBS:
        assert f"dev:{job}-to-{loaders[job]}" in listed.stdout + listed.stderr
