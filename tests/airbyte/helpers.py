"""Importing a test manifest the way a user does (the CLI, in-process) and running the tap on the result."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
import yaml

from tap_generic_rest.cli import main
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import FAST_RETRIES

MANIFESTS = Path(__file__).parent / "manifests"
Records = dict[str, list[dict[str, t.Any]]]


class Result(t.NamedTuple):
    """One ``tap-generic-rest import`` run."""

    code: int
    out: str
    err: str


def run_import(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """``tap-generic-rest import ARGS``: exit code, stdout, stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["import", *args])
    captured = capsys.readouterr()
    return Result(int(exit_info.value.code or 0), captured.out, captured.err)


def imported(manifest: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> Path:
    """Import ``manifests/<manifest>.yaml`` (schemas into tmp_path/schemas); the description file written."""
    result = run_import(capsys, str(MANIFESTS / f"{manifest}.yaml"), "--schemas-dir", str(tmp_path / "schemas"),
                        *args)
    assert result.code == 0, result.err
    description = tmp_path / "api.yaml"
    description.write_text(result.out, encoding="utf-8")
    return description


def description_of(manifest: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[str, t.Any]:
    """The imported description as a dict."""
    return t.cast("dict[str, t.Any]", yaml.safe_load(imported(manifest, capsys, tmp_path).read_text("utf-8")))


def sync(description: Path, capsys: pytest.CaptureFixture[str], **settings: t.Any) -> Records:
    """Sync every stream of ``description`` in-process; the RECORDs by stream."""
    tap = TapGenericRest(config={"api_description": str(description), **FAST_RETRIES, **settings},
                         parse_env_config=False)
    capsys.readouterr()
    tap.sync_all()
    records: Records = {}
    for line in capsys.readouterr().out.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
    return records


def canonical(records: Records) -> dict[str, list[str]]:
    """Record sets comparable regardless of order."""
    return {name: sorted(json.dumps(record, sort_keys=True) for record in rows) for name, rows in records.items()}
