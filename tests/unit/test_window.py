"""IncrementalWindow without an SDK stream: start points in the key's own type, lag, the client-side
filter, the bookmark floor and the template variables."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from tap_generic_rest.errors import StreamError
from tap_generic_rest.streams.window import IncrementalWindow, comparable

if t.TYPE_CHECKING:
    from tap_generic_rest.description.load import Description

Describe = t.Callable[..., "Description"]
STARTED = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


def resource(**incremental: t.Any) -> dict[str, t.Any]:
    endpoint = {"path": "items", "incremental": {"cursor_path": "updated", **incremental}}
    return {"name": "items", "primary_key": "id", "endpoint": endpoint}


def window(description: Description, *, config: dict[str, t.Any] | None = None, key_type: str = "string",
           bookmarks: dict[t.Any, object] | None = None) -> IncrementalWindow:
    items = description.resource("items")
    schema = {"properties": {"updated": {"type": [key_type, "null"]}}}
    return IncrementalWindow(
        "items", items, config or {}, replication_key=lambda: items.replication_key, schema=lambda: schema,
        bookmark=lambda context: (bookmarks or {}).get((context or {}).get("p")), sync_started_at=lambda: STARTED)


def test_the_start_is_the_bookmark_else_start_date_else_initial_value(describe: Describe) -> None:
    description = describe(resource(initial_value="2024-01-01T00:00:00Z"))
    start = window(description, bookmarks={1: "2024-05-01T00:00:00Z"}).variables({"p": 1})["incremental"]
    assert start["start_value"] == start["last_value"] == "2024-05-01T00:00:00Z"
    assert window(description, config={"start_date": "2024-02-01T00:00:00Z"}).variables(None)["incremental"][
        "start_value"] == "2024-02-01T00:00:00Z"
    assert window(description).variables(None)["incremental"] == {
        "start_value": "2024-01-01T00:00:00Z", "initial_value": "2024-01-01T00:00:00Z",
        "last_value": "2024-01-01T00:00:00Z", "end_value": None}


def test_an_integer_key_starts_in_unix_seconds(describe: Describe) -> None:
    integer = window(describe(resource()), config={"start_date": "2024-01-01T00:00:00Z"}, key_type="integer")
    variables = integer.variables(None)
    assert variables["incremental"]["start_value"] == 1704067200
    assert variables["stream_interval"] == {"start_time": 1704067200, "end_time": int(STARTED.timestamp())}
    assert window(describe(resource()), key_type="integer").variables(None)["incremental"]["start_value"] == 0
    assert window(describe(resource())).variables(None)["stream_interval"]["end_time"] == "2024-06-01T12:00:00Z"


def test_the_variables_carry_config_and_parent(describe: Describe) -> None:
    variables = window(describe(resource()), config={"k": 1}).variables({"p": 2})
    assert (variables["config"], variables["parent"], variables["stream_slice"]) == ({"k": 1}, {"p": 2}, {"p": 2})


def test_a_fixed_start_point_stays_while_the_bookmark_moves(describe: Describe) -> None:
    bookmarks: dict[t.Any, object] = {None: "2024-01-01T00:00:00Z"}
    items = window(describe(resource()), bookmarks=bookmarks)
    items.fix(None)
    bookmarks[None] = "2024-03-01T00:00:00Z"
    assert items.variables(None)["incremental"]["start_value"] == "2024-01-01T00:00:00Z"
    items.fix(None)
    assert items.variables(None)["incremental"]["start_value"] == "2024-03-01T00:00:00Z"


def test_lag_steps_back_but_the_bookmark_never_moves_backwards(describe: Describe) -> None:
    items = window(describe(resource(lag=3600)), bookmarks={None: "2024-01-10T12:00:00Z"})
    assert items.variables(None)["incremental"]["start_value"] == "2024-01-10T11:00:00Z"
    assert items.advances({"updated": "2024-01-10T11:30:00Z"}, None)  # no floor before the sync is fixed
    items.fix(None)
    assert not items.advances({"updated": "2024-01-10T11:30:00Z"}, None)
    assert items.advances({"updated": "2024-01-10T12:30:00Z"}, None)
    assert items.advances({"updated": None}, None)


def test_a_lag_on_a_bookmark_that_is_no_time_fails_in_one_line(describe: Describe) -> None:
    items = window(describe(resource(lag=60)), bookmarks={None: "yesterday"})
    with pytest.raises(StreamError, match=r"^stream items: .*; fix resources\[0\]\.endpoint\.incremental\.lag$"):
        items.variables(None)


def test_the_client_side_filter_compares_instants(describe: Describe) -> None:
    keep = window(describe(resource()), config={"start_date": "2024-05-01T12:00:00Z"}).client_filter(None)
    assert keep is not None
    assert keep({"updated": "2024-05-01T14:00:00+02:00"})  # the same instant
    assert not keep({"updated": "2024-05-01T11:59:59Z"})
    no_incremental = describe({"name": "items", "primary_key": "id", "endpoint": {"path": "items"}})
    assert window(no_incremental).client_filter(None) is None


def test_comparable_values() -> None:
    assert comparable("2024-01-01T00:00:00Z") == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert comparable("abc") == "abc"
    assert comparable(0) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert comparable(10**20) == 10**20
    assert comparable(True) is True
