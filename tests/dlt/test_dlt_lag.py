"""Incremental ``lag`` over real HTTP: the tap's second run asks for, emits and bookmarks what dlt's does."""

from __future__ import annotations

import typing as t

import pytest

from tests.dlt.server import POSTS, TestServer
from tests.dlt.test_dlt_configs import run_tap

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LAG = 3 * 86400  # seconds: three days of a date-time cursor


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def lagged_config(server: TestServer) -> dict[str, t.Any]:
    return {"client": {"base_url": server.url}, "resources": [{"name": "lagged", "endpoint": {
        "path": "incremental/posts", "data_selector": "data", "paginator": "single_page",
        "incremental": {"cursor_path": "updated_at", "initial_value": "2024-01-10T00:00:00Z", "start_param": "since",
                        "lag": LAG}}}]}


def last_since(server: TestServer) -> str:
    return [request.query for request in server.requests if request.path == "/incremental/posts"][-1]["since"][0]


def test_the_second_run_rereads_the_lag_window(server: TestServer, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = lagged_config(server)
    first, states = run_tap(config, tmp_path, capsys)
    assert [record["id"] for record in first["lagged"]] == list(range(10, 24))
    bookmark = states[-1]["bookmarks"]["lagged"]["replication_key_value"]
    assert bookmark == POSTS[-1]["updated_at"] == "2024-01-23T00:00:00Z"
    second, resumed = run_tap(config, tmp_path, capsys, state=states[-1])
    assert last_since(server) == "2024-01-20T00:00:00Z"  # the bookmark minus three days
    assert [record["id"] for record in second["lagged"]] == [20, 21, 22, 23]
    assert resumed[-1]["bookmarks"]["lagged"]["replication_key_value"] == bookmark  # never backwards


def test_dlt_does_the_same(server: TestServer, tmp_path: Path) -> None:
    dlt = pytest.importorskip("dlt", reason="dlt (a test-only extra) is not installed")
    from dlt.sources.rest_api import rest_api_source

    config = lagged_config(server)
    pipeline = dlt.pipeline("lag_oracle", pipelines_dir=str(tmp_path))
    pipeline.extract(rest_api_source(config))  # the first run, its state kept
    pipeline.activate()
    try:
        second = list(rest_api_source(config).resources["lagged"])
        state = pipeline.state["sources"]["rest_api"]["resources"]["lagged"]["incremental"]["updated_at"]
    finally:
        pipeline.deactivate()
    assert last_since(server) == "2024-01-20T00:00:00Z"
    assert [record["id"] for record in second] == [20, 21, 22, 23]
    assert state["last_value"] == "2024-01-23T00:00:00Z"
