"""Pagination under the ``repeat_cursor`` fault: a cursor, next URL or body cursor echoed back must
fail the stream at once with a pagination-loop error (contract §3.1); page numbers and offsets
served past the end, and a scroll that echoes its param, must end with exactly the expected
records. Never a hang: every run is a subprocess with a timeout."""

from __future__ import annotations

import subprocess
import tempfile
import time
import typing as t
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from generic_rest_sandbox import Sandbox

from tests.conftest import sandbox_config
from tests.reliability.harness import SingerOutput, catalog, data_requests, error_lines, request_key, run_cli
from tests.safety import helpers as canned

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


# -- "more" with nothing to follow, and cycles: own descriptions against a canned loopback API -------

PAGED = 350  # records behind the canned list endpoint, served 100 a page


def _page_after(request: canned.Received, key: str) -> int:
    """The page index a cursor (``p<n>``) in the query names (0: the first page)."""
    value = parse_qs(urlsplit(request.target).query).get(key, ["p0"])[0]
    return int(value.removeprefix("p"))


def _cursor_page(request: canned.Received) -> canned.Answer:
    page = _page_after(request, "after")
    data = [{"id": str(n)} for n in range(page * 100, min(PAGED, page * 100 + 100))]
    more = (page + 1) * 100 < PAGED
    return canned.Answer(body={"data": data, "has_more": more, "next": f"p{page + 1}" if more else None})


def _cycle(tokens: list[str]) -> t.Callable[[canned.Received], canned.Answer]:
    """Pages whose cursors run through ``tokens`` and back to the first one, forever."""

    def answer(request: canned.Received) -> canned.Answer:
        sent = parse_qs(urlsplit(request.target).query).get("after", [None])[0]
        position = 0 if sent is None else tokens.index(sent) + 1
        return canned.Answer(body={"data": [{"id": f"r{position}"}], "next": tokens[position % len(tokens)]})

    return answer


Route = t.Callable[[canned.Received], canned.Answer] | canned.Answer


def _sync(tmp_path: Path, route: Route, paginator: dict[str, t.Any]) -> tuple[canned.TapRun, canned.CannedApi]:
    with canned.CannedApi() as api:
        api.routes["/items"] = route
        path = canned.write_description(tmp_path, canned.resource(endpoint={"paginator": paginator}))
        config = {"api_description": str(path), "base_url": api.url, **canned.FAST}
        run = canned.run_tap(config=config, directory=tmp_path)
    return run, api


def test_has_more_true_without_a_readable_cursor_fails_naming_path_and_keys(tmp_path: Path) -> None:
    paginator = {"type": "cursor", "cursor_path": "data[-1].uid", "cursor_param": "after", "has_more_path": "has_more"}
    run, api = _sync(tmp_path, _cursor_page, paginator)
    line = run.error()
    canned.assert_mentions(line, "stream items", "cursor_path 'data[-1].uid'", "has_more_path 'has_more' is true",
                    "the response has: data, has_more, next")
    assert len(api.received) == 1


def test_has_more_true_with_the_right_cursor_reads_every_page(tmp_path: Path) -> None:
    paginator = {"type": "cursor", "cursor_path": "next", "cursor_param": "after", "has_more_path": "has_more"}
    run, api = _sync(tmp_path, _cursor_page, paginator)
    assert len(run.succeeded().records("items")) == PAGED
    assert len(api.received) == 4


def test_has_more_true_with_a_null_body_cursor_fails(tmp_path: Path) -> None:
    answer = canned.Answer(body={"data": [{"id": "1"}], "meta": {"more": True, "next": None}})
    paginator = {"type": "cursor", "cursor_path": "meta.next", "cursor_body_path": "after"}
    run, _ = _sync(tmp_path, answer, {**paginator, "has_more_path": "meta.more"})
    canned.assert_mentions(run.error(), "stream items", "cursor_path 'meta.next'", "has_more_path 'meta.more' is true",
                    "the response has: data, meta")


@pytest.mark.parametrize("tokens", [["A", "B"], ["A", "B", "C"]], ids=["A-B-A", "A-B-C-A"])
def test_a_cycle_of_cursors_fails_as_a_loop(tmp_path: Path, tokens: list[str]) -> None:
    paginator = {"type": "cursor", "cursor_path": "next", "cursor_param": "after"}
    run, api = _sync(tmp_path, _cycle(tokens), paginator)
    line = run.error()
    canned.assert_mentions(line, "stream items", "pagination loop", "cursor 'A', already followed in this partition")
    assert len(api.received) == len(tokens) + 1, "stops before requesting a page seen before"
    assert len({request.target for request in api.received}) == len(api.received)


def test_a_next_link_back_to_the_first_page_fails_as_a_loop(tmp_path: Path) -> None:
    def answer(request: canned.Received) -> canned.Answer:
        second = "page=2" in request.target
        return canned.Answer(body={"data": [{"id": request.target}], "next": "/items" if second else "/items?page=2"})

    run, api = _sync(tmp_path, answer, {"type": "json_link", "next_url_path": "next"})
    canned.assert_mentions(run.error(), "stream items", "pagination loop", "already followed in this partition")
    assert [request.target for request in api.received] == ["/items", "/items?page=2"]


def test_a_scroll_repeating_its_token_with_new_pages_reads_to_the_empty_page(tmp_path: Path) -> None:
    served: list[int] = []

    def answer(request: canned.Received) -> canned.Answer:
        served.append(1)
        data = [{"id": str(len(served))}] if len(served) <= 3 else []
        return canned.Answer(body={"data": data, "scroll": "same"})

    run, api = _sync(tmp_path, answer, {"type": "scroll", "cursor_path": "scroll", "cursor_param": "scroll"})
    assert [record["id"] for record in run.succeeded().records("items")] == ["1", "2", "3"]
    assert len(api.received) == 4
