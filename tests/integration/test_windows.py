"""Date-range windows over real HTTP (``incremental.step``): the loopback API refuses ranges over 31 days,
so every test also shows that the range was split. Exact windows (count, boundaries, no overlap, no gap),
calendar months, placeholders and templates, windows per parent, concurrent windows, the bookmark."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import typing as t

import pytest

from tests.integration.windowed_api import ACCOUNTS, EVENTS, ITEMS, WindowedApi, stamp
from tests.safety.helpers import FAST, write_description
from tests.safety.helpers import run_tap as run_cli_tap

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.conftest import Messages

Run = t.Callable[..., tuple["Messages", list[dict[str, t.Any]]]]
SCHEMA = {"type": "object", "properties": {"id": {"type": ["integer", "string"]},
                                           "updated_at": {"type": ["string", "null"], "format": "date-time"}}}
PAGED = {"type": "cursor", "cursor_path": "next", "cursor_param": "page"}
WINDOW = {"cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z", "start_param": "since",
          "end_param": "until", "step": "P30D"}
#: the 4 windows of [2024-01-01, 2024-04-01) in P30D steps, at seconds granularity
MARCH_END = [("2024-01-01T00:00:00Z", "2024-01-30T23:59:59Z"), ("2024-01-31T00:00:00Z", "2024-02-29T23:59:59Z"),
             ("2024-03-01T00:00:00Z", "2024-03-30T23:59:59Z"), ("2024-03-31T00:00:00Z", "2024-03-31T23:59:59Z")]


def items(incremental: dict[str, t.Any], **endpoint: t.Any) -> dict[str, t.Any]:
    """The ``items`` resource, windowed by ``incremental``."""
    return {"name": "items", "primary_key": "id", "schema": "items.json",
            "endpoint": {"path": "/items", "data_selector": "data", "paginator": PAGED,
                         "incremental": incremental, **endpoint}}


def config(tmp_path: Path, api: WindowedApi, *resources: dict[str, t.Any], **settings: t.Any) -> dict[str, t.Any]:
    path = write_description(tmp_path, *resources, base_url=api.url, schemas={"items.json": SCHEMA})
    return {"api_description": str(path), **FAST, **settings}


def bookmark(states: list[dict[str, t.Any]], stream: str = "items") -> object:
    return states[-1]["bookmarks"][stream]["replication_key_value"]


def in_range(records: list[dict[str, t.Any]], start: str, end: str) -> list[dict[str, t.Any]]:
    return [record for record in records if start <= record["updated_at"] < end]


def test_the_range_is_cut_into_exact_windows_each_one_request_series(tmp_path: Path, run_tap: Run) -> None:
    with WindowedApi() as api:
        records, states = run_tap(config(tmp_path, api, items({**WINDOW, "end_value": "2024-04-01T00:00:00Z"})))
    assert api.ranges() == MARCH_END  # no overlap, no gap: each start is the previous end + 1 s
    paged = [r.query["page"] for r in api.requests if "page" in r.query]
    assert paged == ["2", "3", "4", "5", "6"] * 3, "each window pages on its own (60, 60, 60 and 2 records)"
    assert [r["id"] for r in records["items"]] == [r["id"] for r in in_range(ITEMS, "2024-01-01", "2024-04-01")]
    windows_done = [s["bookmarks"]["items"].get("replication_key_value") for s in states]
    assert [b for i, b in enumerate(windows_done) if b and b not in windows_done[:i]] == [
        "2024-01-31T00:00:00Z", "2024-03-01T00:00:00Z", "2024-03-31T00:00:00Z", "2024-03-31T23:59:59Z"], (
        "a STATE after each window: the next window's start, after the last the range's end")


def test_without_step_the_api_refuses_the_whole_range(tmp_path: Path, run_tap: Run) -> None:
    unwindowed = {key: value for key, value in WINDOW.items() if key != "step"}
    with WindowedApi() as api, pytest.raises(Exception, match="400"):
        run_tap(config(tmp_path, api, items({**unwindowed, "end_value": "2024-04-01T00:00:00Z"})))


def test_calendar_months_and_a_date_cursor(tmp_path: Path, run_tap: Run) -> None:
    incremental = {**WINDOW, "step": "P1M", "initial_value": "2024-01-31T00:00:00Z",
                   "end_value": "2024-04-30T00:00:00Z", "range_end": "closed"}
    with WindowedApi() as api:
        records, _ = run_tap(config(tmp_path, api, items(incremental)))
    # months counted from the start, the day clamped: Jan 31, Feb 29, Mar 31, Apr 30 (closed end: included)
    assert api.ranges() == [("2024-01-31T00:00:00Z", "2024-02-28T23:59:59Z"),
                            ("2024-02-29T00:00:00Z", "2024-03-30T23:59:59Z"),
                            ("2024-03-31T00:00:00Z", "2024-04-29T23:59:59Z"),
                            ("2024-04-30T00:00:00Z", "2024-04-30T00:00:00Z")]
    assert len(records["items"]) == len(in_range(ITEMS, "2024-01-31", "2024-04-30T00:00:01Z"))


def test_placeholders_and_templates_carry_the_window(tmp_path: Path, run_tap: Run) -> None:
    incremental = {"cursor_path": "updated_at", "initial_value": "2024-02-01T00:00:00Z", "step": "PT240H",
                   "cursor_format": "%Y-%m-%dT%H:00:00Z", "end_value": "2024-02-21T00:00:00Z"}  # granularity: PT1H
    params = {"since": "{incremental.start_value}", "until": "{{ stream_interval.end_time }}"}
    with WindowedApi() as api:
        records, _ = run_tap(config(tmp_path, api, items(incremental, params=params)))
    assert api.ranges() == [("2024-02-01T00:00:00Z", "2024-02-10T23:00:00Z"),
                            ("2024-02-11T00:00:00Z", "2024-02-20T23:00:00Z")]
    assert len(records["items"]) == 40  # two a day for 20 days (the API's range and the filter agree)


def test_the_window_goes_into_the_path_body_and_headers(tmp_path: Path, run_tap: Run) -> None:
    incremental = {"cursor_path": "updated_at", "initial_value": "2024-02-01T00:00:00Z", "step": "P15D",
                   "end_value": "2024-03-01T00:00:00Z"}
    in_path = items(incremental, path="/ranges/{incremental.start_value}/{{ stream_interval.end_time }}")
    in_body = {**items(incremental, method="POST", json={"since": "{{ stream_interval.start_time }}",
                                                          "until": "{incremental.end_value}"},
                       headers={"X-Until": "{incremental.end_value}", "X-Since": "{{ stream_interval.start_time }}"}),
               "name": "posted"}
    with WindowedApi() as api:
        records, _ = run_tap(config(tmp_path, api, in_path, in_body))
    expected = [("2024-02-01T00:00:00Z", "2024-02-15T23:59:59Z"), ("2024-02-16T00:00:00Z", "2024-02-29T23:59:59Z")]
    assert [tuple(r.path.split("/")[2:]) for r in api.requests if r.path.startswith("/ranges")
            and "page" not in r.query] == expected
    posted = [r for r in api.requests if r.path == "/items" and "page" not in r.query]
    assert [(r.query["since"], r.query["until"], r.headers["X-Since"], r.headers["X-Until"]) for r in posted] == [
        (since, until, since, until) for since, until in expected]
    assert len(records["items"]) == len(records["posted"]) == 58  # February 2024, two a day


def test_records_outside_the_window_follow_the_filter_of_the_whole_range(tmp_path: Path, run_tap: Run) -> None:
    incremental = {**WINDOW, "initial_value": "2024-01-10T00:00:00Z", "end_value": "2024-03-01T00:00:00Z"}
    with WindowedApi() as api:
        records, _ = run_tap(config(tmp_path, api, items(incremental, path="/loose")))
    ids = [record["id"] for record in records["items"]]
    assert set(ids) == {r["id"] for r in in_range(ITEMS, "2024-01-10", "2024-03-01")}, (
        "before the range's start and from end_value on: dropped; in another window: kept")
    assert len(ids) - len(set(ids)) == 4, "the day each side of the window boundary, returned by both windows"


def test_an_ignored_window_goes_on_with_the_next(tmp_path: Path, run_tap: Run) -> None:
    incremental = {**WINDOW, "step": "P7D", "end_value": "2024-04-01T00:00:00Z"}
    ignore = [{"status_code": 404, "action": "ignore"}]
    with WindowedApi() as api:
        records, _ = run_tap(config(tmp_path, api, items(incremental, path="/gappy", response_actions=ignore)))
    assert len(api.ranges("/gappy")) == 13, "every window asked"
    # the four windows from 2024-02-05 to 2024-03-03 answer 404 (ignored): the others are read
    assert records["items"] == in_range(ITEMS, "2024-01-01", "2024-02-05") + in_range(ITEMS, "2024-03-04", "2024-04")


def test_windows_to_the_sync_start_when_there_is_no_end_value(tmp_path: Path, run_tap: Run) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with WindowedApi() as api:
        records, states = run_tap(config(tmp_path, api, items({**WINDOW, "step": "P31D"}),
                                         start_date="2024-03-01T00:00:00Z"))
    after = dt.datetime.now(dt.UTC)
    ranges = api.ranges()
    assert ranges[0] == ("2024-03-01T00:00:00Z", "2024-03-31T23:59:59Z"), "start_date wins over initial_value"
    assert all(nxt[0] == stamp(dt.datetime.strptime(prev[0], "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(days=31))
               for prev, nxt in itertools.pairwise(ranges))
    assert stamp(before) <= ranges[-1][1] <= stamp(after), "the last window ends at the sync's start"
    assert bookmark(states) == ranges[-1][1]
    assert len(records["items"]) == len(in_range(ITEMS, "2024-03-01", "2025"))


def test_children_have_windows_per_parent_and_a_bookmark_each(tmp_path: Path, run_tap: Run) -> None:
    accounts = {"name": "accounts", "primary_key": "id", "schema": "items.json",
                "endpoint": {"path": "/accounts", "data_selector": "data", "paginator": "single_page"}}
    events = {"name": "events", "primary_key": "id", "schema": "items.json", "parent_fields": {"account": "id"},
              "endpoint": {"path": "/accounts/{resources.accounts.id}/events", "data_selector": "data",
                           "paginator": PAGED, "incremental": {**WINDOW, "end_value": "2024-04-01T00:00:00Z"}}}
    schema = {"type": "object", "properties": {**SCHEMA["properties"], "account": {"type": "string"}}}
    path = write_description(tmp_path, accounts, events, base_url=api_url_placeholder(), schemas={"items.json": schema})
    with WindowedApi() as api:
        records, states = run_tap({"api_description": str(path), "base_url": api.url, **FAST})
    for account in ACCOUNTS:
        assert api.ranges(f"/accounts/{account}/events") == MARCH_END
        assert [r["id"] for r in records["events"] if r["account"] == account] == [
            r["id"] for r in in_range(EVENTS[account], "2024-01-01", "2024-04-01")]
    partitions = states[-1]["bookmarks"]["events"]["partitions"]
    assert {p["context"]["account"]: p["replication_key_value"] for p in partitions} == {
        account: "2024-03-31T23:59:59Z" for account in ACCOUNTS}


def api_url_placeholder() -> str:
    """A base URL replaced by the ``base_url`` setting."""
    return "http://unused.invalid"


@pytest.mark.parametrize("concurrency", [2, 5])
def test_concurrent_windows_keep_the_serial_output_and_bookmarks(tmp_path: Path, run_tap: Run,
                                                                 concurrency: int) -> None:
    windowed = {**WINDOW, "step": "P7D", "end_value": "2024-05-01T00:00:00Z"}
    with WindowedApi() as api:
        serial, serial_states = run_tap(config(tmp_path, api, items(windowed)))
    with WindowedApi(rendezvous=2) as api:
        concurrent, states = run_tap(config(tmp_path, api, items({**windowed, "window_concurrency": concurrency}),
                                            max_concurrency=4))
    assert api.met, "the first two windows were never in flight together"
    assert api.most_in_flight <= concurrency, "window_concurrency bounds the requests in flight"
    assert len(set(api.ranges())) == len(api.ranges()) == 18  # 121 days in P7D windows, each asked once
    assert concurrent["items"] == serial["items"], "the same records in the same order"
    assert [bookmark([s]) for s in states] == [bookmark([s]) for s in serial_states], "the same STATE sequence"
    assert bookmark(states) == "2024-04-30T23:59:59Z"


@pytest.mark.parametrize(("incremental", "expected"), [
    pytest.param({**WINDOW, "step": "P1X"}, "resources[0].endpoint.incremental.step: 'P1X' is not an ISO 8601 duration",
                 id="bad-step"),
    pytest.param({**WINDOW, "cursor_granularity": "P30D"},
                 "resources[0].endpoint.incremental.cursor_granularity: P30D is not shorter than step P30D",
                 id="granularity-not-finer"),
    pytest.param({**WINDOW, "initial_value": 0},
                 "resources[0].endpoint.incremental.step: windows need a date-time cursor", id="not-a-date-cursor"),
    pytest.param({key: value for key, value in WINDOW.items() if key != "initial_value"},
                 "stream items: date-range windows need a start; set the start_date setting or "
                 "resources[0].endpoint.incremental.initial_value", id="no-start"),
])
def test_a_bad_window_fails_in_one_line_before_any_request(tmp_path: Path, incremental: dict[str, t.Any],
                                                          expected: str) -> None:
    with WindowedApi() as api:
        line = run_cli_tap(config=config(tmp_path, api, items(incremental)), directory=tmp_path).error()
    assert expected in line, line
    assert api.requests == [], "no request before the error"


def test_discovery_samples_windows_and_writes_no_state(tmp_path: Path) -> None:
    described = items({**WINDOW, "end_value": "2024-04-01T00:00:00Z"})
    del described["schema"]
    with WindowedApi() as api:
        run = run_cli_tap("--discover", config=config(tmp_path, api, described), directory=tmp_path).succeeded()
    catalog = json.loads(run.stdout)  # the catalog alone: no STATE line among it
    assert set(catalog["streams"][0]["schema"]["properties"]) == {"id", "updated_at"}
    assert api.ranges() == MARCH_END


def test_lag_steps_the_first_window_back_and_the_bookmark_never_moves_back(tmp_path: Path, run_tap: Run) -> None:
    state = {"bookmarks": {"items": {"replication_key": "updated_at", "replication_key_value": "2024-03-10T08:00:00Z"}}}
    incremental = {**WINDOW, "step": "P7D", "lag": 864000}  # a lag of 10 days: longer than a window
    with WindowedApi() as api:
        _, states = run_tap(config(tmp_path, api, items(incremental)), state=state)
    assert api.ranges()[:2] == [("2024-02-29T08:00:00Z", "2024-03-07T07:59:59Z"),
                                ("2024-03-07T08:00:00Z", "2024-03-14T07:59:59Z")]
    bookmarks = [s["bookmarks"]["items"]["replication_key_value"] for s in states]
    assert all(b >= "2024-03-10T08:00:00Z" for b in bookmarks), "the first window's end is below the bookmark: kept"
    assert bookmarks[1] == "2024-03-14T08:00:00Z"
