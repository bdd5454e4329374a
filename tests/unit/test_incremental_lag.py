"""dlt's incremental ``lag``: the start sent to the API steps back; the bookmark never does."""

from __future__ import annotations

import json
import typing as t

import pytest

from tap_generic_rest.errors import DescriptionError, StreamError
from tap_generic_rest.expressions.lag import LagError, apply_lag
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests_mock as rm

BASE = "https://api.test"
URL = f"{BASE}/items"
DAY = 86400


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> t.Callable[..., tuple[list[t.Any], list[t.Any]]]:
    """Sync one ``items`` resource with ``incremental`` (and STATE ``bookmark``); its RECORDs and last STATE."""

    def sync(incremental: dict[str, t.Any], bookmark: object = None, cursor_type: str = "string",
             **endpoint: t.Any) -> tuple[list[t.Any], list[t.Any]]:
        schema = {"type": "object", "properties": {"id": {"type": ["integer"]},
                                                   "ts": {"type": [cursor_type, "null"]}}}
        (tmp_path / "items.json").write_text(json.dumps(schema), encoding="utf-8")
        config = {"client": {"base_url": BASE}, "resources": [{
            "name": "items", "primary_key": "id", "schema": "items.json",
            "endpoint": {"path": "items", "data_selector": "data", "paginator": "single_page",
                         "incremental": {"cursor_path": "ts", **incremental}, **endpoint}}]}
        (tmp_path / "api.json").write_text(json.dumps(config), encoding="utf-8")
        state = ({"bookmarks": {"items": {"replication_key": "ts", "replication_key_value": bookmark}}}
                 if bookmark is not None else None)
        tap = TapGenericRest(config={"api_description": str(tmp_path / "api.json"), "backoff_factor": 0.001},
                             state=state, parse_env_config=False)
        capsys.readouterr()
        tap.sync_all()
        messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        records = [message["record"] for message in messages if message["type"] == "RECORD"]
        states = [message["value"] for message in messages if message["type"] == "STATE"]
        return records, states

    return sync


def final_bookmark(states: list[dict[str, t.Any]]) -> object:
    return states[-1]["bookmarks"]["items"].get("replication_key_value")


def rows(*stamps: object) -> dict[str, t.Any]:
    return {"data": [{"id": n, "ts": stamp} for n, stamp in enumerate(stamps, 1)]}


# -- the value: as dlt's lag.py ---------------------------------------------------------------------------

LAG_CASES = [
    ("2024-01-10T00:00:00Z", 3600), ("2024-01-10T00:00:00.250Z", 90.5), ("2024-01-10T00:00:00+01:00", 60),
    ("2024-01-10T00:00:00+0100", 60), ("2024-01-10T00:00:00", 1), ("2024-01-10T05:30", 3600),
    ("2024-01-10", 2), ("20240110", 40), (1_700_000_000, 3600), (100, 7), (10.5, 0.25),
]


@pytest.mark.parametrize(("value", "lag"), LAG_CASES)
def test_the_lagged_value_is_dlts(value: object, lag: float) -> None:
    dlt_lag = pytest.importorskip("dlt.extract.incremental.lag", reason="dlt (a test-only extra) is not installed")
    expected = dlt_lag.apply_lag(lag, None, value, max)
    assert apply_lag(value, lag, None, lambda v: v) == expected


def test_the_lagged_value_never_crosses_the_initial_value() -> None:
    dlt_lag = pytest.importorskip("dlt.extract.incremental.lag", reason="dlt (a test-only extra) is not installed")
    initial, last = "2024-01-09T23:30:00Z", "2024-01-10T00:00:00Z"
    assert apply_lag(last, 3600, initial, lambda v: v) == dlt_lag.apply_lag(3600, initial, last, max) == initial
    assert apply_lag(last, 60, initial, lambda v: v) == "2024-01-09T23:59:00Z"


@pytest.mark.parametrize("value", ["next-page-token", True, ["2024-01-01"]])
def test_lag_on_a_cursor_that_is_no_time_or_number_is_refused(value: object) -> None:
    with pytest.raises(LagError, match="lag needs a date-time, date or number cursor"):
        apply_lag(value, 10, None, lambda v: v)


# -- a sync ---------------------------------------------------------------------------------------------


def test_the_start_param_steps_back_and_rereads_the_window(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows("2024-01-09T23:30:00Z", "2024-01-10T00:00:00Z", "2024-01-11T08:00:00Z"))
    records, states = run({"initial_value": "2024-01-01T00:00:00Z", "start_param": "since", "lag": 3600},
                          bookmark="2024-01-10T00:00:00Z")
    assert requests_mock.last_request.qs["since"] == ["2024-01-09t23:00:00z"]
    assert [record["id"] for record in records] == [1, 2, 3]  # the window's records are emitted again
    assert final_bookmark(states) == "2024-01-11T08:00:00Z"


@pytest.mark.parametrize("row_order", [None, "asc"])
def test_the_bookmark_never_moves_backwards(row_order: str | None, requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows("2024-01-09T23:10:00Z", "2024-01-09T23:50:00Z"))  # only the window
    incremental = {"initial_value": "2024-01-01T00:00:00Z", "start_param": "since", "lag": 3600,
                   **({"row_order": row_order} if row_order else {})}
    records, states = run(incremental, bookmark="2024-01-10T00:00:00Z")
    assert len(records) == 2
    assert final_bookmark(states) == "2024-01-10T00:00:00Z"


def test_a_first_run_starts_at_the_initial_value(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows("2024-01-05T00:00:00Z"))
    _, states = run({"initial_value": "2024-01-01T00:00:00Z", "start_param": "since", "lag": 10 * DAY})
    assert requests_mock.last_request.qs["since"] == ["2024-01-01t00:00:00z"]
    assert final_bookmark(states) == "2024-01-05T00:00:00Z"


def test_a_number_cursor_steps_back_by_the_lag(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows(95, 120))
    records, states = run({"initial_value": 0, "start_param": "after", "lag": 10}, bookmark=100,
                          cursor_type="integer")
    assert requests_mock.last_request.qs["after"] == ["90"]
    assert [record["ts"] for record in records] == [95, 120]
    assert final_bookmark(states) == 120


def test_a_date_cursor_steps_back_in_days(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows("2024-03-01"))
    run({"initial_value": "2024-01-01", "start_param": "from", "lag": 2}, bookmark="2024-03-01")
    assert requests_mock.last_request.qs["from"] == ["2024-02-28"]


def test_placeholders_start_and_last_value_are_lagged(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows())
    run({"initial_value": "2024-01-01T00:00:00Z", "lag": 60},
        bookmark="2024-01-10T00:00:00Z", params={"from": "{incremental.start_value}",
                                                 "last": "{incremental.last_value}"})
    assert requests_mock.last_request.qs == {"from": ["2024-01-09t23:59:00z"], "last": ["2024-01-09t23:59:00z"]}


def test_lag_is_off_with_an_end_value(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows())
    run({"initial_value": "2024-01-01T00:00:00Z", "end_value": "2024-02-01T00:00:00Z", "start_param": "since",
         "lag": 3600}, bookmark="2024-01-10T00:00:00Z")
    assert requests_mock.last_request.qs["since"] == ["2024-01-10t00:00:00z"]


def test_a_bookmark_that_is_no_time_fails_in_one_line(requests_mock: rm.Mocker, run: t.Any) -> None:
    requests_mock.get(URL, json=rows())
    with pytest.raises(StreamError, match=r"stream items: incremental lag needs .*resources\[0\]"
                                          r"\.endpoint\.incremental\.lag"):
        run({"initial_value": "a", "start_param": "since", "lag": 5}, bookmark="page-7")
    assert not requests_mock.called


def test_a_negative_lag_is_refused_with_its_path(tmp_path: Path) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{"name": "items", "endpoint": {
        "incremental": {"cursor_path": "ts", "initial_value": 1, "lag": -5}}}]}
    (tmp_path / "api.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(DescriptionError, match=r"resources\[0\]\.endpoint\.incremental\.lag: -5 would start after"):
        _ = TapGenericRest(config={"api_description": str(tmp_path / "api.json")}, parse_env_config=False).streams


@pytest.mark.parametrize(("lag", "starts"), [
    (3600, ["2024-01-09t23:00:00z", "2024-01-09t22:30:00z"]),
    (0, ["2024-01-10t00:00:00z", "2024-01-09t23:30:00z"]),  # no lag: each resumes at its own bookmark
])
def test_a_child_steps_back_from_its_own_parents_bookmark(lag: int, starts: list[str], requests_mock: rm.Mocker,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests_mock.get(f"{BASE}/apps", json={"data": [{"id": 1}, {"id": 2}]})
    for app in (1, 2):
        requests_mock.get(f"{BASE}/apps/{app}/events", json=rows("2024-01-09T23:30:00Z"))
    config = {"client": {"base_url": BASE}, "resources": [
        {"name": "apps", "primary_key": "id", "endpoint": {"path": "apps", "data_selector": "data"}},
        {"name": "events", "primary_key": "id", "endpoint": {
            "path": "apps/{resources.apps.id}/events", "data_selector": "data", "paginator": "single_page",
            "incremental": {"cursor_path": "ts", "initial_value": "2024-01-01T00:00:00Z", "start_param": "since",
                            "lag": lag}}}]}
    (tmp_path / "api.json").write_text(json.dumps(config), encoding="utf-8")

    def sync(state: dict[str, t.Any] | None) -> list[dict[str, t.Any]]:
        tap = TapGenericRest(config={"api_description": str(tmp_path / "api.json"), "max_concurrency": 1},
                             state=state, parse_env_config=False)
        capsys.readouterr()
        tap.sync_all()
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return [line["value"] for line in lines if line["type"] == "STATE"]

    state = sync(None)[-1]  # discovery samples the streams first (the input STATE is loaded after it)
    partitions = {p["context"]["_apps_id"]: p for p in state["bookmarks"]["events"]["partitions"]}
    assert [p["replication_key_value"] for p in partitions.values()] == ["2024-01-09T23:30:00Z"] * 2
    partitions[1]["replication_key_value"] = "2024-01-10T00:00:00Z"  # app 1 is further on than app 2
    requests_mock.reset_mock()
    final = sync(state)[-1]["bookmarks"]["events"]["partitions"]
    since = [(request.path, request.qs["since"][0]) for request in requests_mock.request_history
             if request.path.endswith("/events")][-2:]  # the sync's, after discovery's samples
    assert since == [("/apps/1/events", starts[0]), ("/apps/2/events", starts[1])]
    assert {p["context"]["_apps_id"]: p["replication_key_value"] for p in final} == {
        1: "2024-01-10T00:00:00Z", 2: "2024-01-09T23:30:00Z"}  # one partition each, neither moved back
    assert len(final) == 2
