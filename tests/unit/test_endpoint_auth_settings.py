"""Settings an endpoint's own ``auth`` reads are checked before the first request (the real CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest

from tap_generic_rest.tap import TapGenericRest
from tests.dlt.server import TestServer

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SCHEMA = {"type": "object", "properties": {"id": {"type": ["integer"]}, "path": {"type": ["string", "null"]},
                                           "headers": {"type": ["object", "null"]}}}
ERROR = "tap-generic-rest: error: "


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def write(tmp_path: Path, server: TestServer, token: str, *, declared: bool = True) -> Path:
    """posts (no auth) and orders (its own bearer ``token``); declared schemas unless ``declared`` is false."""
    schema = {"schema": "echo.json"} if declared else {}
    (tmp_path / "echo.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    resources = [
        {"name": "posts", "primary_key": "id", **schema, "endpoint": {"path": "echo/posts"}},
        {"name": "orders", "primary_key": "id", **schema,
         "endpoint": {"path": "echo/orders", "auth": {"token": token}}},
    ]
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"client": {"base_url": server.url}, "resources": resources}), encoding="utf-8")
    return path


def cli(tmp_path: Path, settings: dict[str, t.Any], *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"max_retries": 0, **settings}), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "tap_generic_rest", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("declared", [True, False], ids=["declared-schemas", "inferred-schemas"])
def test_a_missing_setting_of_an_endpoint_auth_stops_before_any_request(
    declared: bool, tmp_path: Path, server: TestServer
) -> None:
    description = write(tmp_path, server, "{{ config.access_token }}", declared=declared)
    run = cli(tmp_path, {"api_description": str(description)})
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith(ERROR)]
    assert errors == [f"{ERROR}missing setting(s) access_token required by resource 'orders' "
                      f"(resources[1].endpoint.auth in {description}); set TAP_GENERIC_REST_ACCESS_TOKEN or add "
                      "them to the config"], run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    assert server.requests == []


def test_a_setting_that_is_not_declared_says_how_to_give_it(tmp_path: Path, server: TestServer) -> None:
    description = write(tmp_path, server, "{{ config.partner_token }}")
    run = cli(tmp_path, {"api_description": str(description)})
    assert run.returncode == 1
    assert (f"{ERROR}missing setting(s) partner_token required by resource 'orders'" in run.stderr
            and "add partner_token to the config file (not a declared setting" in run.stderr), run.stderr
    assert server.requests == []


def test_a_deselected_resource_does_not_need_its_settings(tmp_path: Path, server: TestServer) -> None:
    description = write(tmp_path, server, "{{ config.access_token }}")
    catalog = TapGenericRest(config={"api_description": str(description)}, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "posts"
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    run = cli(tmp_path, {"api_description": str(description)}, "--catalog", str(tmp_path / "catalog.json"))
    assert run.returncode == 0, run.stderr
    assert [request.path for request in server.requests] == ["/echo/posts"]


def test_the_setting_given_is_sent_and_masked(tmp_path: Path, server: TestServer) -> None:
    secret = "endpoint-secret-42"
    description = write(tmp_path, server, "{{ config.access_token }}")
    run = cli(tmp_path, {"api_description": str(description), "access_token": secret})
    assert run.returncode == 0, run.stderr
    orders = [request for request in server.requests if request.path == "/echo/orders"]
    assert orders[0].headers["Authorization"] == f"Bearer {secret}"
    assert secret not in run.stderr


def test_a_setting_the_description_reads_is_not_called_unknown(tmp_path: Path, server: TestServer) -> None:
    """``{{ config.my_token }}`` makes ``my_token`` a setting of this description: used, so not 'ignored'."""
    description = write(tmp_path, server, "{{ config.my_token }}")
    run = cli(tmp_path, {"api_description": str(description), "my_token": "s3cret-value", "my_tokn": "x"})
    assert run.returncode == 0, run.stderr
    assert "Unknown setting 'my_token'" not in run.stderr
    assert "Unknown setting 'my_tokn' is ignored; did you mean my_token?" in run.stderr
    assert "s3cret-value" not in run.stderr  # (stdout: the echo server returns the headers as data)
