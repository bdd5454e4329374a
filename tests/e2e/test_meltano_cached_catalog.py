"""Meltano reuses the catalog it discovered for a plugin installed from a package (not editable) while the
plugin's settings stay the same, also after the description file gains a stream. The tap names that stream
in one line with the way out, and ``--refresh-catalog`` brings it in. A project of its own (in a temporary
folder) installs this repository as a package, as a user installs the tap."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import typing as t

import yaml
from generic_rest_sandbox import credentials

from tests.e2e.meltano import MELTANO, PROJECT, TEST_ENV

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import Sandbox

AVATARS = {"name": "avatars", "primary_key": "avatar_id", "endpoint": {"path": "/v1/avatars/list"}}
TAGS = {"name": "tags", "primary_key": ["avatar_id", "tag_id"], "parent_fields": {"avatar_id": "avatar_id"},
        "endpoint": {"path": "/v1/tags/list", "params": {"avatar_id": "{resources.avatars.avatar_id}"}}}
LEFT_OUT = "stream(s) tags of the API description are not in the catalog, so they are not synced"


def package_copy(directory: Path) -> Path:
    """The tap's distribution sources, copied (building from the checkout would leave build/ in it)."""
    copy = directory / "tap-generic-rest"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (PROJECT / name).exists():
            shutil.copy(PROJECT / name, copy / name)
    shutil.copytree(PROJECT / "tap_generic_rest", copy / "tap_generic_rest",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def project(directory: Path, description: Path) -> None:
    plugin = {"name": "tap-own", "namespace": "tap_generic_rest", "pip_url": str(package_copy(directory)),
              "executable": "tap-generic-rest", "capabilities": ["catalog", "discover", "state", "about"],
              "settings": [{"name": "api_description"}, {"name": "api_key", "sensitive": True}],
              "config": {"api_description": str(description)}}
    document = {"project_id": "0d5f8a52-6c1e-4d4f-9a51-3b7b1f0c2e11", "send_anonymous_usage_stats": False,
                "default_environment": "dev", "environments": [{"name": "dev"}],
                "plugins": {"extractors": [plugin]}}
    (directory / "meltano.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def describe(path: Path, sandbox: Sandbox, *resources: dict[str, t.Any]) -> None:
    document = {"client": {"base_url": sandbox.base_url("avatars"),
                           "auth": {"type": "bearer", "token": "{{ config.api_key }}"}},
                "resource_defaults": {"endpoint": {"data_selector": "data", "paginator": "single_page"}},
                "resources": list(resources)}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def invoke(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **TEST_ENV, "TAP_OWN_API_KEY": credentials.API_KEY}
    return subprocess.run([MELTANO, *args], cwd=directory, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def streams(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in result.stdout.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("type") == "RECORD":
            counts[message["stream"]] = counts.get(message["stream"], 0) + 1
    return counts


def test_a_stream_the_reused_catalog_lacks_is_named_and_a_refresh_brings_it(tmp_path: Path, sandbox: Sandbox) -> None:
    description = tmp_path / "own.yaml"
    describe(description, sandbox, AVATARS)
    project(tmp_path, description)
    installed = invoke(tmp_path, "install")
    assert installed.returncode == 0, installed.stderr[-3000:]
    expected = sandbox.expected_counts("avatars")

    first = invoke(tmp_path, "invoke", "tap-own")
    assert first.returncode == 0, first.stderr[-3000:]
    assert streams(first) == {"avatars": expected["avatars"]}
    assert (tmp_path / ".meltano/run/tap-own/tap.properties.cache_key").exists(), "Meltano cached the catalog"

    describe(description, sandbox, AVATARS, TAGS)  # the description gains a stream; the settings stay
    reused = invoke(tmp_path, "invoke", "tap-own")
    assert reused.returncode == 0, reused.stderr[-3000:]
    assert streams(reused) == {"avatars": expected["avatars"]}
    assert LEFT_OUT in reused.stderr and "meltano run --refresh-catalog" in reused.stderr

    refreshed = invoke(tmp_path, "invoke", "--refresh-catalog", "tap-own")
    assert refreshed.returncode == 0, refreshed.stderr[-3000:]
    assert streams(refreshed) == {"avatars": expected["avatars"], "tags": expected["tags"]}
    assert LEFT_OUT not in refreshed.stderr
