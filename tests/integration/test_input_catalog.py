"""A catalog that leaves streams of the description out: they are not synced, one warning names them, and
a selected child of a left-out parent still gets every record (its parent is read for its requests)."""

from __future__ import annotations

import logging
import typing as t

from tests.conftest import sandbox_config
from tests.integration.conftest import catalog_selecting
from tests.safety.helpers import write_description

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest
    import requests_mock
    from generic_rest_sandbox import Sandbox

LEFT_OUT = "not in the catalog, so they are not synced"


def leaving_out(catalog: dict[str, t.Any], *streams: str) -> dict[str, t.Any]:
    return {**catalog, "streams": [entry for entry in catalog["streams"] if entry["tap_stream_id"] not in streams]}


def test_a_child_whose_parent_the_catalog_leaves_out_gets_every_record(
        sandbox: Sandbox, run_tap: t.Callable[..., t.Any], caplog: pytest.LogCaptureFixture) -> None:
    config = sandbox_config(sandbox, "webhooks")
    catalog = leaving_out(catalog_selecting(config, "endpoints"), "applications", "integrations")
    with caplog.at_level(logging.WARNING):
        records, _ = run_tap(config, catalog=catalog)
    assert set(records) == {"endpoints"}
    assert len(records["endpoints"]) == sandbox.expected_counts("webhooks")["endpoints"]
    warnings = [r.getMessage() for r in caplog.records if LEFT_OUT in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith("stream(s) applications, integrations of the API description")
    assert "meltano run --refresh-catalog" in warnings[0]


def test_a_complete_catalog_warns_of_nothing(
        sandbox: Sandbox, run_tap: t.Callable[..., t.Any], caplog: pytest.LogCaptureFixture) -> None:
    config = sandbox_config(sandbox, "avatars")
    with caplog.at_level(logging.WARNING):
        records, _ = run_tap(config, catalog=catalog_selecting(config, "avatars", "tags"))
    assert set(records) == {"avatars", "tags"}
    assert not [r for r in caplog.records if LEFT_OUT in r.getMessage()]


def test_inferred_schemas_a_left_out_parent_is_not_sampled(
        tmp_path: Path, run_tap: t.Callable[..., t.Any], requests_mock: requests_mock.Mocker,
        caplog: pytest.LogCaptureFixture) -> None:
    """No declared schemas: the catalog gives the child's; the parent, left out, is read for the child's
    requests but neither sampled for a schema nor emitted."""
    parents = {"name": "parents", "primary_key": "id",
               "endpoint": {"path": "/parents", "data_selector": "data", "paginator": "single_page"}}
    kids = {"name": "kids", "primary_key": "id",
            "endpoint": {"path": "/parents/{resources.parents.id}/kids", "data_selector": "data",
                         "paginator": "single_page"}}
    path = write_description(tmp_path, parents, kids, base_url="http://api.test")
    requests_mock.get("http://api.test/parents", json={"data": [{"id": "p1", "name": "one"}, {"id": "p2"}]})
    for parent in ("p1", "p2"):
        requests_mock.get(f"http://api.test/parents/{parent}/kids",
                          json={"data": [{"id": f"{parent}-k{n}", "size": n} for n in range(3)]})
    schema = {"type": "object", "properties": {"id": {"type": "string"}, "size": {"type": "integer"}}}
    metadata = [{"breadcrumb": [], "metadata": {"selected": True, "table-key-properties": ["id"]}}]
    catalog = {"streams": [{"tap_stream_id": "kids", "stream": "kids", "schema": schema, "key_properties": ["id"],
                            "metadata": metadata}]}
    with caplog.at_level(logging.WARNING):
        records, _ = run_tap({"api_description": str(path)}, catalog=catalog)
    assert records == {"kids": [{"id": f"{p}-k{n}", "size": n} for p in ("p1", "p2") for n in range(3)]}
    assert [request.path for request in requests_mock.request_history] == [
        "/parents", "/parents/p1/kids", "/parents/p2/kids"], "the parent is read once, for its children"
    assert any(LEFT_OUT in r.getMessage() and "parents" in r.getMessage() for r in caplog.records)
