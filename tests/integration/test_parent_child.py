"""Contract §1.4: children are fetched for every parent record, even when the client-side
incremental filter drops the parent or the parent stream is not selected."""

from __future__ import annotations

import typing as t

from tests.conftest import sandbox_config
from tests.integration.conftest import catalog_selecting

if t.TYPE_CHECKING:
    from generic_rest_sandbox import Sandbox

FUTURE = "2099-01-01T00:00:00Z"


def test_children_of_filtered_parents_are_synced(sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    config = sandbox_config(sandbox, "webhooks")
    state = {"bookmarks": {"applications": {"replication_key": "updatedAt", "replication_key_value": FUTURE}}}
    records, _ = run_tap(config, state=state)
    expected = sandbox.expected_counts("webhooks")
    assert "applications" not in records  # every application is older than its bookmark
    assert len(records["endpoints"]) == expected["endpoints"]
    assert len(records["integrations"]) == expected["integrations"]


def test_children_of_an_unselected_parent_are_synced(sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    config = sandbox_config(sandbox, "webhooks")
    records, _ = run_tap(config, catalog=catalog_selecting(config, "endpoints"))
    assert set(records) == {"endpoints"}
    assert len(records["endpoints"]) == sandbox.expected_counts("webhooks")["endpoints"]
    assert {record["app_id"] for record in records["endpoints"]} <= {
        record_id for record_id in _application_ids(sandbox)
    }


def test_child_bookmarks_are_per_parent(sandbox: Sandbox, run_tap: t.Callable[..., t.Any]) -> None:
    config = sandbox_config(sandbox, "webhooks")
    _, states = run_tap(config)
    partitions = states[-1]["bookmarks"]["endpoints"]["partitions"]
    bookmarked = [partition for partition in partitions if "replication_key_value" in partition]
    app_ids = {partition["context"]["app_id"] for partition in bookmarked}
    assert len(app_ids) == len(bookmarked) > 1  # one bookmark per application with endpoints
    assert all(partition["replication_key"] == "updatedAt" for partition in bookmarked)


def _application_ids(sandbox: Sandbox) -> set[str]:
    import requests
    from generic_rest_sandbox import credentials

    ids: set[str] = set()
    iterator = None
    while True:
        params = {"limit": 250, **({"iterator": iterator} if iterator else {})}
        page = requests.get(
            sandbox.base_url("webhooks") + "/v1/app",
            params=params,
            headers={"Authorization": f"Bearer {credentials.API_KEY}"},
            timeout=10,
        ).json()
        ids |= {app["id"] for app in page["data"]}
        if page["done"]:
            return ids
        iterator = page["iterator"]
