"""A windowed backfill killed with SIGKILL in the middle of a window, then resumed from the last STATE it
emitted: the second run asks for exactly the unfinished window and those after it, and the two runs
together deliver every record."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import threading
import typing as t

import pytest

from tests.conftest import concurrency_override
from tests.integration.test_windows import PAGED, SCHEMA
from tests.integration.windowed_api import ACCOUNTS, EVENTS, ITEMS, WindowedApi, stamp
from tests.reliability.harness import SingerOutput, cli_command, run_cli
from tests.safety.helpers import FAST, write_description

if t.TYPE_CHECKING:
    from pathlib import Path

START, END = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
#: the 18 windows of [START, END) in P7D steps (the last one shorter)
WINDOWS = [(stamp(START + i * WEEK), stamp(min(START + (i + 1) * WEEK, END) - dt.timedelta(seconds=1)))
           for i in range(18)]
#: the window whose second page the server holds until the tap is killed
UNFINISHED = 6


def description(tmp_path: Path, concurrency: int) -> Path:
    incremental = {"cursor_path": "updated_at", "initial_value": stamp(START), "end_value": stamp(END),
                   "start_param": "since", "end_param": "until", "step": "P7D", "window_concurrency": concurrency}
    items = {"name": "items", "primary_key": "id", "schema": "items.json",
             "endpoint": {"path": "/items", "data_selector": "data", "paginator": PAGED, "incremental": incremental}}
    return write_description(tmp_path, items, base_url="http://unused.invalid", schemas={"items.json": SCHEMA})


def killed_when_held(tmp_path: Path, description: Path, api: WindowedApi,
                     written: t.Callable[[str], bool] | None = None) -> tuple[dict[str, t.Any], SingerOutput]:
    """Run the tap (as a user does) on ``description`` against ``api``; SIGKILL it once the API holds a request
    (and, given ``written``, once the tap has written a line it accepts). Returns its config and what it
    wrote (lines still in the pipe included: a target got them)."""
    config = {"api_description": str(description), "base_url": api.url, **FAST, **concurrency_override()}
    lines: list[str] = []
    seen = threading.Event()
    with (tmp_path / "first.stderr").open("w") as errors, subprocess.Popen(
            cli_command(tmp_path, config, name="first"), stdout=subprocess.PIPE, stderr=errors, text=True) as tap:
        assert tap.stdout is not None
        reader = threading.Thread(target=collect, args=(tap.stdout, lines, written, seen), daemon=True)
        reader.start()
        assert api.held.wait(60), "the tap never reached the held request"
        assert written is None or seen.wait(60), "the tap never wrote the expected line while a request was held"
        os.kill(tap.pid, signal.SIGKILL)
        tap.wait(timeout=60)
        reader.join(timeout=60)
    assert tap.returncode == -signal.SIGKILL
    return config, SingerOutput.parse("".join(lines))


def collect(stream: t.IO[str], lines: list[str], written: t.Callable[[str], bool] | None,
            seen: threading.Event) -> None:
    """Read ``stream`` to its end into ``lines``; set ``seen`` once ``written`` accepts a line."""
    for line in stream:
        lines.append(line)
        if written is not None and written(line):
            seen.set()


def reaches(bookmark: str) -> t.Callable[[str], bool]:
    """Accepts the STATE line whose ``items`` bookmark is ``bookmark``."""
    def accepts(line: str) -> bool:
        message = json.loads(line)
        return bool(message.get("type") == "STATE" and message["value"].get("bookmarks", {}).get(
            "items", {}).get("replication_key_value") == bookmark)
    return accepts


def held(request: t.Any) -> bool:
    return bool(request.query.get("since") == WINDOWS[UNFINISHED][0] and request.query.get("page") == "2")


@pytest.mark.parametrize("window_concurrency", [1, 3])
def test_a_killed_backfill_resumes_at_the_first_unfinished_window(tmp_path: Path, window_concurrency: int) -> None:
    path = description(tmp_path, window_concurrency)
    with WindowedApi(hold=held) as api:
        # windows fetched ahead may reach the held page before the earlier ones are written: wait for them
        config, first = killed_when_held(tmp_path, path, api, reaches(WINDOWS[UNFINISHED][0]))
        first_ranges = api.ranges()
    assert sorted(set(first_ranges))[:UNFINISHED + 1] == WINDOWS[:UNFINISHED + 1]  # in any order when concurrent
    resume = first.states[-1]
    assert resume["bookmarks"]["items"]["replication_key_value"] == WINDOWS[UNFINISHED][0], (
        "the last STATE holds the start of the first unfinished window")

    with WindowedApi() as api:
        second = run_cli(tmp_path, {**config, "base_url": api.url}, state=resume, timeout=120, name="second")
        second_ranges = api.ranges()
    assert second.returncode == 0, second.stderr[-3000:]
    assert sorted(second_ranges) == WINDOWS[UNFINISHED:], "the resume asks for the unfinished window and after only"
    assert len(set(second_ranges)) == len(second_ranges), "each window once"

    rerun = SingerOutput.parse(second.stdout)
    first_ids = {record["id"] for record in first.records()}
    second_ids = {record["id"] for record in rerun.records()}
    assert first_ids | second_ids == {item["id"] for item in ITEMS}, "every record landed across the two runs"
    unfinished = {item["id"] for item in ITEMS if WINDOWS[UNFINISHED][0] <= item["updated_at"] <= WINDOWS[
        UNFINISHED][1]}
    assert first_ids & second_ids <= unfinished, "records read twice all lie in the unfinished window"
    assert rerun.states[-1]["bookmarks"]["items"]["replication_key_value"] == WINDOWS[-1][1]
    print(f"window_concurrency {window_concurrency}: killed in window {UNFINISHED + 1}/{len(WINDOWS)} after "
          f"{len(first_ids)} records; the resume asked {len(second_ranges)} windows, re-read "
          f"{len(first_ids & second_ids)} records")


def windows_from(bookmark: str | None) -> list[tuple[str, str]]:
    """The windows a partition asks for when it starts at ``bookmark`` (None: the first run's start)."""
    if bookmark is None:
        return WINDOWS
    starts = [first for first, _ in WINDOWS]
    return WINDOWS[starts.index(bookmark):] if bookmark in starts else [(bookmark, bookmark)]


def test_a_killed_child_backfill_resumes_each_parent_where_its_last_state_says(tmp_path: Path) -> None:
    incremental = {"cursor_path": "updated_at", "initial_value": stamp(START), "end_value": stamp(END),
                   "start_param": "since", "end_param": "until", "step": "P7D"}
    accounts = {"name": "accounts", "primary_key": "id", "schema": "items.json",
                "endpoint": {"path": "/accounts", "data_selector": "data", "paginator": "single_page"}}
    events = {"name": "events", "primary_key": "id", "schema": "items.json", "parent_fields": {"account": "id"},
              "endpoint": {"path": "/accounts/{resources.accounts.id}/events", "data_selector": "data",
                           "paginator": PAGED, "incremental": incremental}}
    schema = {"type": "object", "properties": {**SCHEMA["properties"], "account": {"type": "string"}}}
    path = write_description(tmp_path, accounts, events, base_url="http://unused.invalid",
                             schemas={"items.json": schema})
    last = "/accounts/" + ACCOUNTS[-1] + "/events"

    def hold(request: t.Any) -> bool:
        return bool(request.path == last and request.query.get("since") == WINDOWS[UNFINISHED][0])

    with WindowedApi(hold=hold) as api:
        config, first = killed_when_held(tmp_path, path, api)
    resume = first.states[-1]
    partitions = resume["bookmarks"].get("events", {}).get("partitions", [])
    bookmarks = {p["context"]["account"]: p.get("replication_key_value") for p in partitions}

    with WindowedApi() as api:
        second = run_cli(tmp_path, {**config, "base_url": api.url}, state=resume, timeout=120, name="second")
        asked = {account: api.ranges(f"/accounts/{account}/events") for account in ACCOUNTS}
    assert second.returncode == 0, second.stderr[-3000:]
    assert asked == {account: windows_from(bookmarks.get(account)) for account in ACCOUNTS}, (
        "each parent resumes at the first window its last STATE does not cover")
    # how far the last STATE got depends on the child STATE throttle (its cost rule is timed): what is exact is
    # that each parent resumes where that STATE says, which is never beyond the unfinished window
    assert WINDOWS[UNFINISHED] in asked[ACCOUNTS[-1]], "the unfinished window is asked again"
    landed = {r["id"] for r in first.records("events")} | {r["id"] for r in SingerOutput.parse(
        second.stdout).records("events")}
    assert landed == {event["id"] for account in ACCOUNTS for event in EVENTS[account]
                      if event["updated_at"] < stamp(END)}, "every event landed across the two runs"
    print(f"children: the last STATE before the kill held {bookmarks}; the resume asked "
          f"{ {account: len(ranges) for account, ranges in asked.items()} } windows")
