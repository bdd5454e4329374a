"""Malformed API responses: a clear one-line error naming stream and URL, or a documented tolerance.

Most cases run the CLI's ``main`` in this process against requests-mock (one ``items`` resource at
``https://api.test/items``, records at ``data``); the sandbox's own fault modes (``html_200``,
``truncated_json``) run through ``python -m tap_generic_rest`` against the built-in avatars API.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass, field

import pytest

from tests.conftest import sandbox_config
from tests.safety.helpers import (
    BASE_URL,
    FAST,
    assert_mentions,
    object_schema,
    record_figure,
    resource,
    run_cli,
    run_tap,
    write_description,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests_mock as rm
    from generic_rest_sandbox import Sandbox

    from tests.safety.helpers import TapRun

URL = f"{BASE_URL}/items"
#: ``count`` is declared an integer, to see what a string there does.
SCHEMA = object_schema("id", "name", "count", types={"count": {"type": ["integer", "null"]}})


@dataclass(frozen=True)
class Malformed:
    """A response (requests-mock keyword arguments) and the fragments its error line must hold."""

    name: str
    response: dict[str, t.Any]
    expect: tuple[str, ...]
    resource_fields: dict[str, t.Any] = field(default_factory=dict)
    bug: str | None = None

    def param(self) -> t.Any:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.name, marks=marks)


def body(content: bytes, content_type: str = "application/json", status: int = 200) -> dict[str, t.Any]:
    """requests-mock arguments of a raw body."""
    return {"status_code": status, "content": content, "headers": {"Content-Type": content_type}}


def records(*items: object) -> dict[str, t.Any]:
    """requests-mock arguments of a JSON body with ``items`` at ``data``."""
    return body(json.dumps({"data": list(items)}).encode())


NOT_JSON = "; check base_url and that the endpoint returns JSON"

MALFORMED = [
    Malformed("empty-body-200", body(b""), ("the response is not valid JSON", "0 bytes", NOT_JSON)),
    Malformed(
        "html-200-from-a-proxy",
        body(b"<html><body>Sign in</body></html>", "text/html"),
        ("the response is not valid JSON", "text/html", "starts with b'<html>", NOT_JSON),
    ),
    Malformed("nan-is-not-json", body(b'{"data": [{"id": "1", "count": NaN}]}'), ("not valid JSON",)),
    Malformed("invalid-utf8", body(b'{"data": [{"id": "\xff"}]}'), ("not valid JSON",)),
    Malformed(
        "json-array-instead-of-object",
        body(b'[{"id": "1"}]'),
        ("data_selector 'data' matched nothing", "(the response has: list)", "fix endpoint.data_selector"),
    ),
    Malformed("json-null-body", body(b"null"), ("data_selector 'data' matched nothing", "NoneType")),
    Malformed(
        "selector-not-found",
        body(b'{"items": [{"id": "1"}], "total": 1}'),
        ("data_selector 'data' matched nothing", "(the response has: items, total)"),
    ),
    Malformed(
        "records-are-strings",
        records("a", "b"),
        ("a selected item is str 'a', not an object", "set records.scalar_key"),
    ),
    Malformed("records-are-numbers", records(7, 8), ("a selected item is int '7', not an object",)),
    Malformed("records-are-lists", records(["1"]), ("a selected item is list",)),
    Malformed(
        "primary-key-missing",
        records({"name": "x"}),
        ("a record has no value for primary key 'id'", "(record keys: name)", URL),
    ),
    Malformed(
        "primary-key-null",
        records({"id": None, "name": "x"}),
        ("a record has no value for primary key 'id'", URL),
    ),
    Malformed(
        "html-500-after-retries",
        body(b"<html><h1>Internal Server Error</h1></html>", "text/html", 500),
        ("HTTP 500", "from GET " + URL, "Internal Server Error", "(gave up after 2 attempts)"),
    ),
    Malformed(
        "deeply-nested-json",
        body(b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("nests arrays or objects deeper than the JSON parser allows",),
    ),
]


@pytest.fixture
def sync_items(capsys: pytest.CaptureFixture[str], requests_mock: rm.Mocker, tmp_path: Path) -> t.Callable[..., TapRun]:
    """Sync the ``items`` resource once, the API answering with ``response``."""

    def sync(response: dict[str, t.Any], **resource_fields: t.Any) -> TapRun:
        requests_mock.get(URL, **response)
        path = write_description(tmp_path, resource(**resource_fields), schemas={"items.json": SCHEMA})
        return run_cli(capsys, config={"api_description": str(path), **FAST}, directory=tmp_path)

    return sync


@pytest.mark.parametrize("case", [case.param() for case in MALFORMED])
def test_malformed_response_fails_with_one_line_naming_stream_and_url(
    case: Malformed, sync_items: t.Callable[..., TapRun]
) -> None:
    run = sync_items(case.response, **case.resource_fields)

    line = run.error()

    assert_mentions(line, "stream items", *case.expect)
    assert URL in line
    assert run.records() == []
    record_figure("malformed responses, in-process CLI seconds", case.name, run.seconds)


def test_a_500_is_retried_then_reported(sync_items: t.Callable[..., TapRun], requests_mock: rm.Mocker) -> None:
    sync_items(body(b"<html>oops</html>", "text/html", 500)).error()

    assert requests_mock.call_count == FAST["max_retries"] + 1


@pytest.mark.parametrize("fault", ["html_200", "truncated_json"])
def test_sandbox_fault_fails_the_sync_with_one_line(fault: str, own_sandbox: Sandbox, tmp_path: Path) -> None:
    own_sandbox.set_faults([f"avatars:{fault}"])

    run = run_tap(config=sandbox_config(own_sandbox, "avatars", **FAST), directory=tmp_path)

    line = run.error()
    url = own_sandbox.base_url("avatars") + "/v1/avatars/list"
    assert_mentions(line, "stream avatars", url, "the response is not valid JSON", NOT_JSON)
    assert ("text/html" in line) == (fault == "html_200")
    assert run.records() == []
    record_figure("malformed responses, CLI subprocess seconds", fault, run.seconds)


# -- documented tolerances ------------------------------------------------------------------------


def test_wrong_types_pass_through_unchanged(sync_items: t.Callable[..., TapRun]) -> None:
    """A string (or a float) where the schema declares an integer is emitted as the API sent it.

    The SDK's conformance (``TYPE_CONFORMANCE_LEVEL = ROOT_ONLY``) drops unknown fields but neither
    validates nor coerces declared ones; no error and no warning. A strict target may reject it.
    """
    sent = [{"id": "1", "count": "many"}, {"id": "2", "count": "12"}, {"id": "3", "count": 1.5}]

    run = sync_items(records(*sent)).succeeded()

    assert run.records("items") == sent
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA")
    assert schema["properties"]["count"]["type"] == ["integer", "null"]


def test_extra_fields_are_kept_and_declared_by_a_new_schema(sync_items: t.Callable[..., TapRun]) -> None:
    """A key the declared schema lacks evolves it (schema_contract: evolve): nothing is dropped."""
    run = sync_items(records({"id": "1", "surprise": "x"})).succeeded()

    assert run.records("items") == [{"id": "1", "surprise": "x"}]
    schemas = [message["schema"] for message in run.messages if message["type"] == "SCHEMA"]
    assert "surprise" not in schemas[0]["properties"]
    assert schemas[-1]["properties"]["surprise"] == {"type": ["string", "null"]}
    assert "not found in catalog schema" not in run.stderr


def test_valid_json_with_a_text_plain_content_type_is_read(sync_items: t.Callable[..., TapRun]) -> None:
    run = sync_items(body(b'{"data": [{"id": "1"}]}', "text/plain")).succeeded()

    assert run.records("items") == [{"id": "1"}]


def test_null_records_mean_no_records(sync_items: t.Callable[..., TapRun]) -> None:
    """``data: null`` is read as an empty list (some APIs send null for "none")."""
    run = sync_items(body(b'{"data": null}')).succeeded()

    assert run.records("items") == []


def test_one_object_at_the_selector_is_one_record(sync_items: t.Callable[..., TapRun]) -> None:
    run = sync_items(body(b'{"data": {"id": "1"}}')).succeeded()

    assert run.records("items") == [{"id": "1"}]


def test_scalar_records_with_scalar_key_become_objects(sync_items: t.Callable[..., TapRun]) -> None:
    run = sync_items(records("1", "2"), records={"scalar_key": "id"}).succeeded()

    assert run.records("items") == [{"id": "1"}, {"id": "2"}]


def test_the_cases_cover_the_brief() -> None:
    assert len(MALFORMED) + 2 >= 12
