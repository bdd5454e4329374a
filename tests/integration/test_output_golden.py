"""The Singer output of every built-in API is byte for byte the output of before the per-record and
per-context cuts (issue 21), apart from timestamps.

The golden (``tests/integration/golden_output.json``) was produced by the tap of main before those
cuts; it holds, per API, a SHA-256 of the RECORD and SCHEMA lines exactly as written (each RECORD
without its ``time_extracted``), their count per stream, and the final bookmarks of the incremental
streams (STATE lines are written by the clock, so STATE is compared by what it resumes from).
``UPDATE_GOLDEN=1`` rewrites it from the code under test: only for a change meant to alter the output.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import typing as t
from pathlib import Path

import pytest
from generic_rest_sandbox import Sandbox

from tap_generic_rest.apis import BUILTIN_APIS
from tap_generic_rest.run.writer import flush_writers
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config

GOLDEN = Path(__file__).with_name("golden_output.json")
TIME_EXTRACTED = re.compile(rb',"time_extracted":"[^"]*"')


def summary(output: bytes) -> dict[str, t.Any]:
    """What the golden keeps of one run's stdout."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    last_state: dict[str, t.Any] = {}
    for line in output.splitlines(keepends=True):
        if line.startswith(b'{"type":"RECORD"'):
            digest.update(TIME_EXTRACTED.sub(b"", line, count=1))
            stream = json.loads(line)["stream"]
            counts[stream] = counts.get(stream, 0) + 1
        elif line.startswith(b'{"type":"SCHEMA"'):
            digest.update(line)
        elif line.startswith(b'{"type":"STATE"'):
            last_state = json.loads(line)["value"]
    bookmarks = {stream: {key: state[key] for key in ("replication_key", "replication_key_value") if key in state}
                 for stream, state in last_state.get("bookmarks", {}).items()}
    return {"sha256": digest.hexdigest(), "records": counts,
            "bookmarks": {stream: marks for stream, marks in bookmarks.items() if marks}}


def run(sandbox: Sandbox, api: str, capsysbinary: pytest.CaptureFixture[bytes], **settings: t.Any) -> bytes:
    capsysbinary.readouterr()
    TapGenericRest(config=sandbox_config(sandbox, api, **settings), parse_env_config=False).sync_all()
    flush_writers()
    return capsysbinary.readouterr().out


@pytest.mark.parametrize("api", list(BUILTIN_APIS))
def test_output_is_byte_for_byte_the_golden(api: str, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    with Sandbox(port=0) as sandbox:  # fresh: some APIs keep state between requests (an open scroll)
        got = summary(run(sandbox, api, capsysbinary))
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("UPDATE_GOLDEN"):
        golden[api] = got
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    assert got["records"] == golden[api]["records"], "records per stream changed"
    assert got["bookmarks"] == golden[api]["bookmarks"], "the final bookmarks changed"
    assert got["sha256"] == golden[api]["sha256"], "RECORD or SCHEMA bytes changed"
