"""RecordExtractor without an SDK stream: records from responses, their checks, parent fields, failures."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest
import requests

from tap_generic_rest.errors import StreamError
from tap_generic_rest.http.failures import ParentGone, ResponseIgnored
from tap_generic_rest.pagination.base import PaginationError
from tap_generic_rest.streams.extraction import RecordExtractor

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_generic_rest.description.load import Description

Describe = t.Callable[..., "Description"]
APPS = {"name": "apps", "primary_key": "id", "endpoint": {"path": "apps", "data_selector": "data"}}
KIDS = {"name": "kids", "primary_key": ["_apps_id", "id"], "include_from_parent": ["id"],
        "endpoint": {"path": "apps/{resources.apps.id}/kids"}}
LOGGER = logging.getLogger("test-extraction")


def response(body: object | bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer.url = "https://api.test/apps?key=1"
    answer._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return answer


def extractor(description: Description, name: str = "apps") -> RecordExtractor:
    return RecordExtractor(name, description.resource(name), LOGGER)


def test_records_are_selected(describe: Describe) -> None:
    records = extractor(describe(APPS)).select(response({"data": [{"id": 1}, {"id": 2}]}), ["id"])
    assert list(records) == [{"id": 1}, {"id": 2}]


def test_scalars_are_wrapped_by_scalar_key_or_refused(describe: Describe) -> None:
    scalars = response({"data": ["a", "b"]})
    assert list(extractor(describe({**APPS, "records": {"scalar_key": "id"}})).select(scalars, ["id"])) == [
        {"id": "a"}, {"id": "b"}]
    with pytest.raises(StreamError, match="a selected item is str 'a', not an object"):
        list(extractor(describe(APPS)).select(scalars, ["id"]))


def test_a_record_without_its_primary_key_fails(describe: Describe) -> None:
    with pytest.raises(StreamError, match=r"a record has no value for primary key 'id' \(record keys: name\)"):
        list(extractor(describe(APPS)).select(response({"data": [{"name": "x"}]}), ["id"]))


def test_a_parent_key_is_not_required_of_the_response(describe: Describe) -> None:
    kids = extractor(describe(APPS, KIDS), "kids")
    assert list(kids.select(response([{"id": 7}]), ["_apps_id", "id"])) == [{"id": 7}]


def test_a_selector_matching_nothing_names_what_the_response_has(describe: Describe) -> None:
    with pytest.raises(StreamError, match=r"data_selector 'data' matched nothing \(the response has: items, n\)"):
        list(extractor(describe(APPS)).select(response({"items": [], "n": 0}), ["id"]))


def test_a_response_that_is_no_json_says_so(describe: Describe) -> None:
    with pytest.raises(StreamError, match="check base_url and that the endpoint returns JSON"):
        list(extractor(describe(APPS)).select(response(b"<html>"), ["id"]))


def test_complete_adds_the_replication_key_and_the_parent_fields(describe: Describe) -> None:
    kids = extractor(describe(APPS, KIDS), "kids")
    row = kids.complete({"id": 7}, {"_apps_id": 1, "_apps_name": "n"}, "updated")
    assert row == {"id": 7, "updated": None, "_apps_id": 1}
    assert extractor(describe(APPS)).complete({"id": 1}, {"x": 1}, None) == {"id": 1}


def test_read_keeps_filters_and_hands_over_dropped_records(describe: Describe) -> None:
    dropped: list[dict[str, t.Any]] = []
    kept = extractor(describe(APPS)).read(lambda: [{"id": 1}, {"id": 2}, {"id": 3}], None,
                                          lambda record: record["id"] != 2, dropped.append)
    assert list(kept) == [{"id": 1}, {"id": 3}]
    assert dropped == [{"id": 2}]


def failing(error: Exception) -> t.Callable[[], Iterator[dict[str, t.Any]]]:
    def records() -> Iterator[dict[str, t.Any]]:
        yield {"id": 1}
        raise error

    return records


def test_an_ignored_response_or_a_gone_parent_ends_the_partition(describe: Describe,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    apps = extractor(describe(APPS))
    with caplog.at_level(logging.INFO, logger="test-extraction"):
        assert list(apps.read(failing(ResponseIgnored("ignored it")), None, None, print)) == [{"id": 1}]
        assert list(apps.read(failing(ParentGone("gone")), {"p": 1}, None, print)) == [{"id": 1}]
    assert [record.getMessage() for record in caplog.records] == ["ignored it", "gone; skipping parent {'p': 1}"]


@pytest.mark.parametrize("error", [ValueError("no cursor"), PaginationError("loops")])
def test_a_cursor_or_paging_failure_is_one_line(error: Exception, describe: Describe) -> None:
    with pytest.raises(StreamError, match=rf"^stream apps: {error}$"):
        list(extractor(describe(APPS)).read(failing(error), None, None, print))
