"""Pagination under the ``repeat_cursor`` fault: a cursor, next URL or body cursor echoed back must
fail the stream at once with a pagination-loop error (contract §3.1); page numbers and offsets
served past the end, and a scroll that echoes its param, must end with exactly the expected
records. Never a hang: every run is a subprocess with a timeout."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from generic_rest_sandbox import Sandbox

from tests.conftest import sandbox_config
from tests.reliability.harness import SingerOutput, catalog, data_requests, error_lines, request_key, run_cli

#: A run that takes longer than this is taken to loop forever (a normal one takes about 1 s).
TIMEOUT = 12.0


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str] | None  # None: killed at TIMEOUT
    elapsed: float
    requests: int
    distinct_requests: int
    expected: dict[str, int]
    base_url: str


@dataclass(frozen=True)
class Case:
    api: str
    streams: tuple[str, ...] | None  # None: every stream of the API
    path: str = ""  # the looping endpoint

    def __str__(self) -> str:
        return f"{self.api}-{'+'.join(self.streams or ('all',))}"


@cache
def run_under_repeat_cursor(case: Case) -> Run:
    """Sync ``case``'s streams from a sandbox that echoes every cursor (discovery before the fault)."""
    with Sandbox(port=0) as sandbox, tempfile.TemporaryDirectory() as tmp:
        config = sandbox_config(sandbox, case.api)
        selected = catalog(config, case.streams)
        sandbox.set_faults(["repeat_cursor"])
        sandbox.reset_log()
        started = time.monotonic()
        try:
            result: subprocess.CompletedProcess[str] | None = run_cli(
                Path(tmp), config, catalog=selected, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired:
            result = None
        elapsed = time.monotonic() - started
        log = data_requests(sandbox, case.api)
        expected = {
            stream: count
            for stream, count in sandbox.expected_counts(case.api).items()
            if count and (case.streams is None or stream in case.streams)
        }
        return Run(result, elapsed, len(log), len({request_key(r) for r in log}), expected, sandbox.base_url(case.api))


LOOPS = [
    Case("webhooks", ("applications",), "/v1/app"),  # cursor (query)
    Case("support", ("activity_logs",), "/v1/admins/activity_logs"),  # next URL
    Case("support", ("contacts",), "/v1/contacts/search"),  # cursor in the POST body
]
SCROLL = Case("support", ("companies",))
TERMINATING = [
    Case("marketing", None),  # page numbers past total_pages serve the last page again
    Case("oauth_offset", None),  # offsets past total serve the last page again
]


def failure_line(run: Run) -> str:
    assert run.result is not None, f"no end after {TIMEOUT} s ({run.requests} requests): pagination loops forever"
    assert run.result.returncode != 0
    assert "Traceback" not in run.result.stderr
    lines = error_lines(run.result.stderr)
    assert len(lines) == 1, run.result.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize("case", LOOPS, ids=str)
def test_repeated_cursor_fails_fast_with_a_loop_error(case: Case) -> None:
    run = run_under_repeat_cursor(case)
    line = failure_line(run)
    assert "pagination loop" in line
    assert run.base_url + case.path in line, "the error names the URL"
    assert run.elapsed < TIMEOUT / 2
    assert run.requests == run.distinct_requests, "stops before sending the same request again"


@pytest.mark.parametrize("case", LOOPS, ids=str)
def test_loop_error_names_the_stream(case: Case) -> None:
    line = failure_line(run_under_repeat_cursor(case))
    assert case.streams is not None
    assert f"stream {case.streams[0]}" in line


@pytest.mark.parametrize("case", TERMINATING, ids=str)
def test_pages_past_the_end_terminate_with_every_record_once(case: Case) -> None:
    run = run_under_repeat_cursor(case)
    assert run.result is not None, f"no end after {TIMEOUT} s ({run.requests} requests): pagination loops forever"
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    output = SingerOutput.parse(run.result.stdout)
    assert {stream: len(keys) for stream, keys in output.keys(case.api).items()} == run.expected
    assert output.counts() == run.expected, "a page past the end was read"
    assert run.requests == run.distinct_requests


def test_a_scroll_repeating_its_page_fails_with_a_loop_error() -> None:
    # A constant scroll_param is legitimate; the same param with the same page again is a loop.
    run = run_under_repeat_cursor(SCROLL)
    line = failure_line(run)
    assert "pagination loop" in line
    assert "stream companies" in line
    assert run.elapsed < TIMEOUT / 2
    assert run.requests <= 3
