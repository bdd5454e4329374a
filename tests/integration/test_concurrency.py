"""Concurrent child requests keep the Singer output valid and identical to a serial run: one SCHEMA
per stream, before its records; STATE only after the records it covers; the same messages in the
same order at max_concurrency 1 and 8; a shared rate-limit gate."""

from __future__ import annotations

import email.utils
import json
import logging
import time
import typing as t

import pytest
from generic_rest_sandbox import Sandbox

from tap_generic_rest.http.ratelimit import RateGate, retry_after_seconds
from tap_generic_rest.run.writer import flush_writers
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config

if t.TYPE_CHECKING:
    import requests

APIS = ["avatars", "webhooks", "support", "marketing"]


def messages(config: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> list[dict[str, t.Any]]:
    capsys.readouterr()
    TapGenericRest(config=config, parse_env_config=False).sync_all()
    flush_writers()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def data_messages(output: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """SCHEMA and RECORD messages without their extraction times (STATE is written by the clock)."""
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in output if m["type"] != "STATE"]


def final_bookmarks(output: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The last STATE without signposts (the run's start time) and empty partitions."""
    bookmarks = [m for m in output if m["type"] == "STATE"][-1]["value"]["bookmarks"]
    cleaned = {}
    for stream, state in bookmarks.items():
        state = {k: v for k, v in state.items() if k != "replication_key_signpost"}  # noqa: PLW2901
        if "partitions" in state:
            state["partitions"] = sorted(
                (p for p in state["partitions"] if set(p) != {"context"}), key=lambda p: json.dumps(p["context"])
            )
        cleaned[stream] = state
    return cleaned


@pytest.mark.parametrize("api", APIS)
def test_concurrent_output_is_the_serial_output_with_one_schema_per_stream(
    api: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    serial = messages(sandbox_config(sandbox, api, max_concurrency=1), capsys)
    concurrent = messages(sandbox_config(sandbox, api, max_concurrency=8), capsys)

    assert data_messages(concurrent) == data_messages(serial), "concurrency changed the output"
    assert final_bookmarks(concurrent) == final_bookmarks(serial)
    schemas = [m["stream"] for m in concurrent if m["type"] == "SCHEMA"]
    assert len(schemas) == len(set(schemas)), "a stream wrote more than one SCHEMA"
    seen: set[str] = set()
    for message in concurrent:
        if message["type"] == "SCHEMA":
            seen.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in seen, "a RECORD before its stream's SCHEMA"
    counts = {m["stream"] for m in concurrent if m["type"] == "RECORD"}
    assert counts == {s for s, n in sandbox.expected_counts(api).items() if n}


def test_a_state_covers_only_records_already_written(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """Every child bookmark in a STATE is at most the newest record of that parent written before it."""
    output = messages(sandbox_config(sandbox, "webhooks", max_concurrency=8), capsys)
    newest: dict[tuple[str, str], str] = {}
    states = 0
    for message in output:
        if message["type"] == "RECORD" and message["stream"] == "endpoints":
            key = ("endpoints", str(message["record"]["app_id"]))
            newest[key] = max(newest.get(key, ""), str(message["record"]["updatedAt"]))
        elif message["type"] == "STATE":
            for partition in message["value"]["bookmarks"].get("endpoints", {}).get("partitions", []):
                bookmark = partition.get("replication_key_value") or partition.get("progress_markers", {}).get(
                    "replication_key_value"
                )
                if bookmark is not None:
                    states += 1
                    assert str(bookmark) <= newest[("endpoints", str(partition["context"]["app_id"]))]
    assert states, "no child bookmark was checked"


class FakeResponse:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers


def test_a_retry_after_pauses_every_worker_once() -> None:
    gate = RateGate()
    gate.observe(t.cast("requests.Response", FakeResponse(429, {"Retry-After": "1"})))
    started = time.monotonic()
    gate.wait()
    gate.wait()  # a second worker waits for the same pause, not another
    assert 0.9 <= time.monotonic() - started < 1.5


def test_low_remaining_quota_spreads_requests_until_the_reset() -> None:
    gate = RateGate()
    headers = {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "2"}
    gate.observe(t.cast("requests.Response", FakeResponse(200, headers)))
    started = time.monotonic()
    gate.wait()
    assert 0.4 <= time.monotonic() - started < 0.8  # 2 s / (3 + 1)
    gate.observe(t.cast("requests.Response", FakeResponse(200, {"RateLimit-Remaining": "500", "RateLimit-Reset": "2"})))
    started = time.monotonic()
    gate.wait()
    assert time.monotonic() - started < 0.05, "a high quota does not slow down"


def test_rate_limited_fan_out_sends_nothing_during_the_pause(capsys: pytest.CaptureFixture[str]) -> None:
    """8 workers, every 7th request a 429 + Retry-After: 1: no request arrives while a pause holds."""
    with Sandbox(port=0) as sandbox:
        config = sandbox_config(sandbox, "avatars", max_concurrency=8)
        sandbox.set_faults(["rate_limit:7"])
        sandbox.reset_log()
        output = messages(config, capsys)
        log = sandbox.requests("avatars")
    limited = [r.received_at for r in log if r.status == 429]
    assert limited, "the fault never hit"
    inside = [r for r in log for at in limited if at + 0.2 < r.received_at < at + 0.95]
    assert not inside, f"{len(inside)} requests during a pause"
    assert sum(m["type"] == "RECORD" for m in output) == sum(sandbox.expected_counts("avatars").values())


def test_a_long_wait_for_the_reset_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    gate = RateGate()
    used_up = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"}
    with caplog.at_level(logging.WARNING, logger="tap-generic-rest"):
        for _ in range(3):
            gate.observe(t.cast("requests.Response", FakeResponse(200, used_up)))
    told = [r.getMessage() for r in caplog.records if "rate limit is used up" in r.getMessage()]
    assert len(told) == 1
    assert "reset in 3600 s" in told[0]
    assert "waiting 300 s" in told[0]  # MAX_PAUSE at once


def test_retry_after_reads_seconds_and_http_dates() -> None:
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert 28 <= (retry_after_seconds({"Retry-After": soon}) or 0) <= 30
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # past: no wait
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
