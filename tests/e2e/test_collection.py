"""The Meltano collection: one plugin per built-in API, the plugin definition, settings through
Meltano (kinds, env vars), errors a Meltano user sees, progress and quiet logs, and the tests' own
system database.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import typing as t

import duckdb
import pytest
import yaml

from tap_generic_rest.description.load import BUILTIN_APIS
from tests.e2e.meltano import (
    MELTANO,
    PROJECT,
    TAP,
    TEST_ENV,
    ensure_installed,
    meltano,
    meltano_run,
    plugin_env,
    plugin_name,
    table_counts,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import Sandbox

DEFINITION = PROJECT / "plugins" / "extractors" / "tap-generic-rest.yml"
#: JSON Schema type of an --about setting -> the Meltano kinds that declare it
KINDS = {"object": {"object"}, "boolean": {"boolean"}, "integer": {"integer"}, "number": {"decimal"},
         "string": {"string", "options", "date_iso8601"}}
#: declared ahead of the tap (issue 10 adds it); drop once --about lists it
AHEAD_OF_THE_TAP: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _meltano_plugins() -> None:
    ensure_installed()


def _project() -> dict[str, t.Any]:
    return yaml.safe_load((PROJECT / "meltano.yml").read_text())


def _extractors() -> dict[str, dict[str, t.Any]]:
    return {p["name"]: p for p in _project()["plugins"]["extractors"]}


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    out = subprocess.run([TAP, "--about", "--format=json"], capture_output=True, text=True, check=True)
    return t.cast("dict[str, t.Any]", json.loads(out.stdout))


def test_one_plugin_per_builtin_api_inheriting_the_generic_one() -> None:
    extractors = _extractors()
    generic = extractors["tap-generic-rest"]
    assert "config" not in generic  # the generic plugin stays generic: api or api_description
    for api in BUILTIN_APIS:
        plugin = extractors[plugin_name(api)]
        assert plugin["inherit_from"] == "tap-generic-rest"
        assert plugin["config"]["api"] == api
        assert plugin["load_schema"] == api
        assert "${SANDBOX_PORT}" in plugin["config"]["base_url"]


def test_the_plugin_definition_file_is_meltano_yml_s_definition() -> None:
    definition = yaml.safe_load(DEFINITION.read_text())
    generic = _extractors()["tap-generic-rest"]
    for key in ("name", "namespace", "label", "description", "executable", "capabilities",
                "settings_group_validation", "settings"):
        assert definition[key] == generic[key], key
    assert definition["variant"] and definition["pip_url"]


def test_every_setting_is_hub_quality_and_matches_about(about: dict[str, t.Any]) -> None:
    declared = {s["name"]: s for s in _extractors()["tap-generic-rest"]["settings"]}
    properties = about["settings"]["properties"]
    assert set(properties) <= set(declared), set(properties) - set(declared)
    assert set(declared) - set(properties) <= AHEAD_OF_THE_TAP
    for name, setting in declared.items():
        assert setting.get("label") and setting.get("description") and setting.get("kind"), name
        schema = properties.get(name)
        if schema is None:
            continue
        json_type = next(t for t in schema["type"] if t != "null")
        assert setting["kind"] in KINDS[json_type], (name, setting["kind"], json_type)
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        if "default" in schema:
            assert setting.get("value") == schema["default"], name
    assert sorted(_extractors()["tap-generic-rest"]["capabilities"]) == sorted(about["capabilities"])
    assert _extractors()["tap-generic-rest"]["settings_group_validation"] == [["api"], ["api_description"]]


def test_meltano_config_list_shows_every_sdk_setting(about: dict[str, t.Any]) -> None:
    listed = meltano("config", "list", "tap-webhooks", "--all")
    assert listed.returncode == 0, listed.stderr[-2000:]
    for name in about["settings"]["properties"]:
        assert re.search(rf"^{name} .*\[env: TAP_WEBHOOKS_{name.upper()}\]", listed.stdout, re.MULTILINE), name


def test_env_vars_for_stream_maps_and_flattening_reach_the_tap() -> None:
    env = {"TAP_GENERIC_REST_STREAM_MAPS": '{"avatars": {"mapped": "1"}}',
           "TAP_AVATARS_FLATTENING_ENABLED": "true", "TAP_AVATARS_FLATTENING_MAX_DEPTH": "2"}
    printed = meltano("config", "print", "tap-avatars", env=env)
    assert printed.returncode == 0, printed.stderr[-2000:]
    config = json.loads(printed.stdout[printed.stdout.index("{"):])
    assert config["stream_maps"] == {"avatars": {"mapped": "1"}}  # an object, not a string
    assert config["flattening_enabled"] is True
    assert config["flattening_max_depth"] == 2


def test_stream_maps_and_flattening_from_env_vars_in_a_run(sandbox: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    env = {"TAP_AVATARS_STREAM_MAPS": '{"avatars": {"mapped": "42"}}',
           "TAP_AVATARS_FLATTENING_ENABLED": "true", "TAP_AVATARS_FLATTENING_MAX_DEPTH": "1"}
    result = meltano_run("avatars", sandbox, warehouse, extra_env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = sandbox.expected_counts("avatars")["avatars"]
    assert table_counts(warehouse, "avatars", ["avatars"]) == {"avatars": expected}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute('select distinct mapped from avatars.avatars').fetchall() in ([(42,)], [('42',)])
    # flattening_enabled reached the tap: without a depth the SDK refuses it
    refused = meltano_run("avatars", sandbox, tmp_path / "w2.duckdb",
                          extra_env={"TAP_AVATARS_FLATTENING_ENABLED": "true"})
    assert refused.returncode != 0
    assert "flattening_max_depth is required when flattening is enabled" in refused.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TAP_AVATARS_BASE_URL": "http://127.0.0.1:9/avatars", "TAP_AVATARS_MAX_RETRIES": "0"},
         "tap-generic-rest: error: stream avatars: could not connect"),
        ({"TAP_AVATARS_API_DESCRIPTION": "/tmp/x.yaml"},
         "tap-generic-rest: error: set exactly one of the settings api"),
        ({"TAP_AVATARS_STREAM_MAPS": '{"avatars": {"x": "1 +"}}'},
         "tap-generic-rest: error: invalid stream_maps: stream 'avatars' property 'x' expression '1 +'"),
    ],
    ids=["unreachable", "api-and-api-description", "bad-stream-map"],
)
def test_the_tap_s_one_line_error_survives_log_level_warning(
    env: dict[str, str], expected: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    quiet = meltano("--log-level=warning", "run", "--state-id-suffix", "errors", "tap-avatars", "target-duckdb",
                    env={**plugin_env("avatars", sandbox), "TARGET_DUCKDB_FILEPATH": str(warehouse), **env})
    assert quiet.returncode != 0
    # the tap's line at error level (at discovery Meltano also quotes the tap's stderr in its own error)
    lines = [line for line in quiet.stderr.splitlines() if expected in line and "[error" in line]
    assert lines, quiet.stderr[-3000:]
    assert " tap-" in lines[0].split("tap-generic-rest: error:")[0]
    assert "Traceback" not in quiet.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TAP_AVATARS_API": "nope"}, "'nope' is not a valid choice for 'api'"),
        ({"TAP_AVATARS_REQUEST_TIMEOUT": "5.5"}, "Object of type Decimal is not JSON serializable"),
    ],
    ids=["unknown-api", "decimal-from-env"],
)
def test_what_meltano_itself_refuses_before_the_tap_runs(
    env: dict[str, str], expected: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Meltano checks `options` and cannot read decimals from env vars (docs/meltano.md: what Meltano refuses)."""
    result = meltano_run("avatars", sandbox, tmp_path / "warehouse.duckdb", extra_env=env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "tap-generic-rest: error" not in result.stderr  # the tap never ran


def test_unknown_api_from_a_description_file_is_the_tap_s_one_line(sandbox: Sandbox, tmp_path: Path) -> None:
    """The tap's own check, reached through tap-generic-rest (no options list in the way): one line."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api": "nope", "api_key": "x"}))
    run = subprocess.run([TAP, "--config", str(config)], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert [line for line in run.stderr.splitlines() if line.startswith("tap-generic-rest: error: unknown api 'nope'")]


def test_unknown_setting_gets_one_warning_with_the_nearest_name(sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api": "avatars", "base_url": sandbox.base_url("avatars"),
                                  "api_key": "sandbox-api-key", "max_retires": 5}))
    run = subprocess.run([TAP, "--config", str(config)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    warnings = [line for line in run.stderr.splitlines() if "max_retires" in line]
    assert len(warnings) == 1
    assert "did you mean max_retries?" in warnings[0]


def test_progress_summary_and_quiet_logs(sandbox: Sandbox, tmp_path: Path) -> None:
    result = meltano_run("webhooks", sandbox, tmp_path / "warehouse.duckdb")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    tap = [line for line in lines if " tap-webhooks " in line]
    assert not [line for line in tap if "METRIC" in line]
    expected = sandbox.expected_counts("webhooks")
    for stream, count in expected.items():
        summary = [line for line in tap if f"Summary: stream {stream}: " in line]
        assert len(summary) == 1, stream
        assert f": {count:,} records, " in summary[0]
        for per_context in ("Beginning sync of", "Stream is assumed to be unsorted", "Pagination stopped after"):
            assert len([line for line in tap if per_context in line and f"'{stream}'" in line]) <= 1
    assert len([line for line in tap if "Stream is assumed to be unsorted" in line]) <= len(expected)


def test_log_metrics_brings_the_metric_lines_back(sandbox: Sandbox, tmp_path: Path) -> None:
    env = {"TAP_AVATARS_LOG_METRICS": "true"}
    result = meltano_run("avatars", sandbox, tmp_path / "warehouse.duckdb", extra_env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "METRIC" in result.stderr


def test_the_tests_leave_the_project_s_state_alone(sandbox: Sandbox, tmp_path: Path) -> None:
    project_db = PROJECT / ".meltano" / "meltano.db"

    def state_ids() -> set[str]:
        if not project_db.exists():
            return set()
        with sqlite3.connect(project_db) as con:
            try:
                return {row[0] for row in con.execute("select state_id from state")}
            except sqlite3.OperationalError:  # no state table yet
                return set()

    before = state_ids()
    result = meltano_run("avatars", sandbox, tmp_path / "warehouse.duckdb", state_suffix="must-not-leak")
    assert result.returncode == 0, result.stderr[-3000:]
    assert state_ids() == before
    listed = meltano("state", "list")
    assert "dev:tap-avatars-to-target-duckdb:must-not-leak" in listed.stdout + listed.stderr


def test_the_definition_file_adds_the_plugin_to_another_project(tmp_path: Path) -> None:
    env = {**os.environ, **TEST_ENV}
    subprocess.run([MELTANO, "init", "other", "--no_usage_stats"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=300)
    project = tmp_path / "other"
    added = subprocess.run([MELTANO, "add", "extractor", "tap-generic-rest", "--from-ref", str(DEFINITION),
                            "--no-install"], cwd=project, env=env, capture_output=True, text=True, timeout=300,
                           check=False)
    assert added.returncode == 0, added.stderr[-2000:]
    listed = subprocess.run([MELTANO, "config", "list", "tap-generic-rest", "--all"], cwd=project, env=env, check=False,
                            capture_output=True, text=True, timeout=300)
    declared = [s["name"] for s in yaml.safe_load(DEFINITION.read_text())["settings"]]
    for name in declared:
        assert re.search(rf"^{name} .*\[env: TAP_GENERIC_REST_{name.upper()}\]", listed.stdout, re.MULTILINE), name


def test_a_missing_credential_names_the_plugin_s_own_setting(sandbox: Sandbox, tmp_path: Path) -> None:
    """Meltano 4.4 sets MELTANO_EXTRACTOR_NAME for the plugin it runs; the line named TAP_GENERIC_REST_API_KEY."""
    result = meltano_run("avatars", sandbox, tmp_path / "warehouse.duckdb", extra_env={"TAP_AVATARS_API_KEY": ""})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "tap-generic-rest: error: missing setting" in line]
    assert lines, result.stderr[-3000:]
    assert "meltano config set tap-avatars api_key <value> (or set TAP_AVATARS_API_KEY)" in lines[0]
    assert "TAP_GENERIC_REST_" not in lines[0]
