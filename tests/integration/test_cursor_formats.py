"""Incremental cursors in the API's own format (``cursor_format``, or inferred from ``initial_value``),
over real HTTP: what the tap sends (discovery's sample request included), filters and bookmarks."""

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.safety.helpers import (
    FAST,
    Answer,
    CannedApi,
    Received,
    TapRun,
    assert_mentions,
    resource,
    run_tap,
    write_description,
)

if t.TYPE_CHECKING:
    from pathlib import Path

START = "2024-01-01T00:00:00Z"
SECONDS = 1704067200  # START in UNIX seconds


def _serve(records: list[dict[str, t.Any]]) -> t.Callable[[Received], Answer]:
    return lambda request: Answer(body={"data": records})


def _sync(
    tmp_path: Path, incremental: dict[str, t.Any], records: list[dict[str, t.Any]], *args: str, **config: t.Any
) -> tuple[TapRun, list[dict[str, list[str]]]]:
    """Sync one ``items`` resource (no schema file: inferred at discovery); return the run and the query of
    every request."""
    with CannedApi() as api:
        api.routes["/items"] = _serve(records)
        endpoint = {"paginator": "single_page", "incremental": incremental}
        described = resource(endpoint=endpoint)
        del described["schema"]
        path = write_description(tmp_path, described)
        run = run_tap(*args, config={"api_description": str(path), "base_url": api.url, **FAST, **config},
                      directory=tmp_path)
    return run, [parse_qs(urlsplit(request.target).query) for request in api.received]


def _bookmark(run: TapRun) -> object:
    states = [m["value"] for m in run.messages if m["type"] == "STATE"]
    return states[-1]["bookmarks"]["items"]["replication_key_value"]


def test_start_date_on_an_epoch_seconds_cursor_sends_the_epoch(tmp_path: Path) -> None:
    # integer UNIX seconds in initial_value: the format is inferred (discovery has no schema yet)
    incremental = {"cursor_path": "created", "start_param": "created[gte]", "initial_value": 1600000000}
    records = [{"id": "old", "created": SECONDS - 100}, {"id": "new", "created": SECONDS + 100}]
    run, queries = _sync(tmp_path, incremental, records, start_date=START)
    assert [record["id"] for record in run.succeeded().records("items")] == ["new"]
    assert queries and all(query["created[gte]"] == [str(SECONDS)] for query in queries), queries
    assert _bookmark(run) == SECONDS + 100


def test_declared_epoch_milliseconds_convert_start_date_filter_bookmark_and_lag(tmp_path: Path) -> None:
    incremental = {"cursor_path": "created", "start_param": "since", "cursor_format": "%ms"}
    records = [{"id": "old", "created": SECONDS * 1000 - 1}, {"id": "new", "created": SECONDS * 1000 + 5000}]
    run, queries = _sync(tmp_path, incremental, records, start_date=START)
    assert [record["id"] for record in run.succeeded().records("items")] == ["new"]
    assert {query["since"][0] for query in queries} == {str(SECONDS * 1000)}
    assert _bookmark(run) == SECONDS * 1000 + 5000

    state = tmp_path / "state.json"
    state.write_text(json.dumps({"bookmarks": {"items": {"replication_key": "created",
                                                         "replication_key_value": SECONDS * 1000 + 5000}}}))
    rerun, queries = _sync(tmp_path, {**incremental, "lag": 2}, records, "--state", str(state), start_date=START)
    rerun.succeeded()
    assert queries[-1]["since"] == [str(SECONDS * 1000 + 3000)], "lag counts seconds on a millisecond cursor"


def test_a_date_cursor_sends_dates_for_start_date_end_value_and_placeholders(tmp_path: Path) -> None:
    incremental = {"cursor_path": "day", "start_param": "from", "end_param": "to", "initial_value": "2023-06-01",
                   "end_value": "2024-02-01T00:00:00Z"}
    records = [{"id": "a", "day": "2023-12-31"}, {"id": "b", "day": "2024-01-15"}, {"id": "c", "day": "2024-02-01"}]
    run, queries = _sync(tmp_path, incremental, records, start_date=START)
    assert [record["id"] for record in run.succeeded().records("items")] == ["b"]
    assert {(query["from"][0], query["to"][0]) for query in queries} == {("2024-01-01", "2024-02-01")}


def test_a_strftime_pattern_is_sent_as_written(tmp_path: Path) -> None:
    incremental = {"cursor_path": "at", "start_param": "after", "cursor_format": "%d/%m/%Y %H:%M"}
    records = [{"id": "a", "at": "31/12/2023 23:59"}, {"id": "b", "at": "02/01/2024 08:00"}]
    run, queries = _sync(tmp_path, incremental, records, start_date="2024-01-01T06:30:00Z")
    assert [record["id"] for record in run.succeeded().records("items")] == ["b"]
    assert {query["after"][0] for query in queries} == {"01/01/2024 06:30"}


def test_an_initial_value_that_does_not_read_in_the_format_is_one_line(tmp_path: Path) -> None:
    incremental = {"cursor_path": "day", "start_param": "from", "cursor_format": "%Y-%m-%d", "initial_value": "soon"}
    run, queries = _sync(tmp_path, incremental, [{"id": "a", "day": "2024-01-02"}])
    assert_mentions(run.error(), "initial_value 'soon' cannot be sent as the incremental cursor 'day'",
                    "'%Y-%m-%d'", "resources[0].endpoint.incremental")
    assert queries == []


@pytest.mark.parametrize(("value", "fragment"), [
    ("%Q", "'%Q' is not a strftime pattern that can be read back"),
    ("seconds", "'seconds' is not a cursor format; give %s (UNIX seconds), %ms"),
])
def test_a_bad_cursor_format_names_its_exact_path(tmp_path: Path, value: str, fragment: str) -> None:
    incremental = {"cursor_path": "day", "cursor_format": value}
    run, queries = _sync(tmp_path, incremental, [])
    assert_mentions(run.error(), "resources[0].endpoint.incremental.cursor_format:", fragment)
    assert queries == []

