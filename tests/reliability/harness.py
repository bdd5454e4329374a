"""Helpers of the reliability tests: run the tap (in-process or as a CLI), read its Singer output,
and look at what the sandbox received."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from functools import cache

from generic_rest_sandbox.controller import TOKEN_PATH

from tap_generic_rest.description.load import builtin_path, load_description
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import RecordedRequest, Sandbox

    from tap_generic_rest.description.load import Description

#: The one-line error prefix of the CLI (cli.py).
ERROR_PREFIX = "tap-generic-rest: error:"


@cache
def description(api: str) -> Description:
    return load_description(builtin_path(api))


def primary_keys(api: str) -> dict[str, tuple[str, ...]]:
    return {resource.name: resource.primary_key for resource in description(api).resources}


@dataclass
class SingerOutput:
    """The Singer messages a run wrote, by type."""

    messages: list[dict[str, t.Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> SingerOutput:
        return cls([json.loads(line) for line in text.splitlines() if line.startswith("{")])

    def records(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and stream in (None, m["stream"])]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    def keys(self, api: str) -> dict[str, set[tuple[t.Any, ...]]]:
        """stream -> the primary keys of its records (each once)."""
        pks = primary_keys(api)
        keys: dict[str, set[tuple[t.Any, ...]]] = {}
        for m in self.messages:
            if m["type"] == "RECORD":
                keys.setdefault(m["stream"], set()).add(tuple(m["record"][k] for k in pks[m["stream"]]))
        return keys

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            if m["type"] == "RECORD":
                counts[m["stream"]] = counts.get(m["stream"], 0) + 1
        return counts


def catalog(config: dict[str, t.Any], streams: t.Collection[str] | None = None) -> dict[str, t.Any]:
    """The discovered catalog, every stream selected (or only ``streams``)."""
    discovered = TapGenericRest(config=config, parse_env_config=False, validate_config=False).catalog_dict
    for entry in discovered["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = streams is None or entry["tap_stream_id"] in streams
    return discovered


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def cli_command(
    tmp_path: Path,
    config: dict[str, t.Any],
    *,
    catalog: dict[str, t.Any] | None = None,
    state: dict[str, t.Any] | None = None,
    name: str = "run",
) -> list[str]:
    """``python -m tap_generic_rest --config ... [--catalog ...] [--state ...]``, files in tmp_path."""
    command = [
        sys.executable,
        "-m",
        "tap_generic_rest",
        "--config",
        str(write_json(tmp_path / f"{name}-config.json", config)),
    ]
    if catalog is not None:
        command += ["--catalog", str(write_json(tmp_path / f"{name}-catalog.json", catalog))]
    if state is not None:
        command += ["--state", str(write_json(tmp_path / f"{name}-state.json", state))]
    return command


def run_cli(
    tmp_path: Path, config: dict[str, t.Any], *, timeout: float, **files: t.Any
) -> subprocess.CompletedProcess[str]:
    """Run the tap's CLI to its end (``subprocess.TimeoutExpired`` if it takes longer than ``timeout``)."""
    return subprocess.run(
        cli_command(tmp_path, config, **files), capture_output=True, text=True, timeout=timeout, check=False
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]


def data_requests(sandbox: Sandbox, api: str) -> list[RecordedRequest]:
    """The API's logged requests except the OAuth token endpoint's."""
    return [r for r in sandbox.requests(api) if not r.path.endswith(TOKEN_PATH)]


def token_requests(sandbox: Sandbox, api: str) -> list[RecordedRequest]:
    return [r for r in sandbox.requests(api) if r.path.endswith(TOKEN_PATH)]


def request_key(request: RecordedRequest) -> tuple[t.Any, ...]:
    """What makes two requests "the same request" (a retry): method, path, query, body."""
    return request.method, request.path, json.dumps(request.query, sort_keys=True), request.body


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
