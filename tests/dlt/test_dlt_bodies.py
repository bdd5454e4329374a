"""Request bodies as dlt chooses them (form pairs, an empty json or data beside the other), tap == dlt."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.errors import DescriptionError
from tests.dlt.server import TestServer
from tests.dlt.test_dlt_configs import canonical, run_dlt, run_tap

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def bodies(server: TestServer) -> dict[str, t.Any]:
    search = {"path": "search", "method": "POST", "data_selector": "data", "paginator": "single_page"}
    return {"client": {"base_url": server.url}, "resources": [
        {"name": "pairs", "endpoint": {**search, "data": [["tag", "a"], ["tag", "b"], ["kind", "form"]]}},
        {"name": "data_beside_empty_json", "endpoint": {**search, "data": {"q": "x"}, "json": {}}},
        {"name": "json_beside_empty_data", "endpoint": {**search, "data": {}, "json": {"q": 1}}},
    ]}


EXPECTED = {
    "pairs": [{"id": 1, "form": {"tag": ["a", "b"], "kind": ["form"]}}],
    "data_beside_empty_json": [{"id": 1, "form": {"q": ["x"]}}],
    "json_beside_empty_data": [{"id": 1, "body": {"q": 1}}],
}


def test_tap_bodies(server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records, _ = run_tap(bodies(server), tmp_path, capsys)
    assert canonical(records) == canonical(EXPECTED)


def test_dlt_bodies(server: TestServer) -> None:
    assert canonical(run_dlt(bodies(server))) == canonical(EXPECTED)


def both(server: TestServer) -> dict[str, t.Any]:
    return {"client": {"base_url": server.url}, "resources": [{"name": "both", "endpoint": {
        "path": "search", "method": "POST", "data": {"q": "x"}, "json": {"q": 1}}}]}


def test_tap_refuses_json_and_data(server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DescriptionError, match=r"resources\[0\]\.endpoint\.data: Cannot use both 'json' and 'data'"):
        run_tap(both(server), tmp_path, capsys)


def test_dlt_refuses_json_and_data(server: TestServer) -> None:
    with pytest.raises(Exception, match="Cannot use both 'json' and 'data'"):  # dlt wraps it: ResourceExtractionError
        run_dlt(both(server))
