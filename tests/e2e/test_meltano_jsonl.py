"""End to end into JSON lines: sandbox -> ``meltano run tap-generic-rest target-jsonl`` for every built-in
API: one file per stream holding exactly the sandbox's record count, with unique primary keys.
"""

from __future__ import annotations

import json
import re
import typing as t

import pytest

from tap_generic_rest.description.load import BUILTIN_APIS, builtin_path, load_description
from tests.e2e.meltano import ensure_installed
from tests.e2e.targets import run_pipeline

if t.TYPE_CHECKING:
    from pathlib import Path

    from generic_rest_sandbox import Sandbox

#: target-jsonl 0.1.4 names a file ``<stream>-<run start, YYYYmmddTHHMMSS>.jsonl``.
FILE_NAME = re.compile(r"(?P<stream>.+)-\d{8}T\d{6}\.jsonl")


@pytest.fixture(scope="module", autouse=True)
def _meltano_plugins() -> None:
    ensure_installed()


@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_every_record_lands_in_jsonl(api: str, sandbox: Sandbox, tmp_path: Path) -> None:
    result = run_pipeline(api, sandbox, "target-jsonl", {"TARGET_JSONL_DESTINATION_PATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]

    files = {match["stream"]: path for path in tmp_path.iterdir() if (match := FILE_NAME.fullmatch(path.name))}
    expected = sandbox.expected_counts(api)
    assert sorted(files) == sorted(expected), sorted(path.name for path in tmp_path.iterdir())
    for resource in load_description(builtin_path(api)).resources:
        records = [json.loads(line) for line in files[resource.name].read_text(encoding="utf-8").splitlines()]
        keys = {tuple(record[key] for key in resource.primary_key) for record in records}
        assert (len(records), len(keys)) == (expected[resource.name], expected[resource.name]), resource.name
