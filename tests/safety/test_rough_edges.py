"""The rough edges a newcomer hit (issue 22, points 5, 6, 7 and 10), through the real CLI over loopback HTTP.

Each case runs ``python -m tap_generic_rest`` against a canned loopback API (real sockets, so requests and
urllib3 do to a URL what they do in production) and checks the product rule: every record, or exactly
one error line, a non-zero exit and no traceback.
"""

from __future__ import annotations

import json
import time
import typing as t

import pytest

from tap_generic_rest.run.slow_requests import SLOW_AFTER
from tap_generic_rest.settings import CONFIG_SCHEMA
from tests.safety.helpers import (
    FAST,
    Answer,
    CannedApi,
    assert_mentions,
    child,
    object_schema,
    resource,
    run_tap,
    write_description,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.safety.helpers import Received, TapRun

KIDS = {"kids.json": object_schema("id", "app_id")}
INCREMENTAL = {"incremental": {"cursor_path": "updatedAt", "initial_value": "2020-01-01T00:00:00Z"}}


@pytest.fixture
def api() -> t.Iterator[CannedApi]:
    """A canned loopback API."""
    with CannedApi() as canned:
        yield canned


def sync(api: CannedApi, tmp_path: Path, *resources: dict[str, t.Any], args: tuple[str, ...] = (),
         env: dict[str, str] | None = None, auth: dict[str, t.Any] | None = None, **settings: t.Any) -> TapRun:
    """Run the tap over ``resources`` served by ``api``."""
    path = write_description(tmp_path, *resources, base_url=api.url, schemas=KIDS, auth=auth)
    return run_tap(*args, config={"api_description": str(path), **FAST, **settings}, directory=tmp_path, env=env)


def serve_items(api: CannedApi, *records: dict[str, t.Any]) -> None:
    """``/items`` answers ``records`` (one page)."""
    api.routes["/items"] = Answer(body={"data": list(records) or [{"id": "1"}]})


# -- 5. request_timeout ------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["5.5", "30.0", "1e2"])
def test_a_decimal_request_timeout_syncs(timeout: str, api: CannedApi, tmp_path: Path) -> None:
    """A config file's decimal is read as a Decimal; the socket refused it with a TypeError traceback."""
    serve_items(api)
    path = write_description(tmp_path, resource(), base_url=api.url)
    config = tmp_path / "config.json"
    config.write_text(f'{{"api_description": {json.dumps(str(path))}, "request_timeout": {timeout}}}')

    run = run_tap("--config", str(config)).succeeded()

    assert run.records("items") == [{"id": "1"}]


def test_the_default_timeout_is_a_minute() -> None:
    assert CONFIG_SCHEMA["properties"]["request_timeout"]["default"] == 60


def test_a_request_waiting_long_is_logged_once(api: CannedApi, tmp_path: Path) -> None:
    """A server that keeps a request waiting gets one line (after half the timeout here), and the run goes on."""

    def slow(_: Received) -> Answer:
        time.sleep(3.0)
        return Answer(body={"data": [{"id": "1"}]})

    api.routes["/items"] = slow
    run = sync(api, tmp_path, resource(), request_timeout=4).succeeded()

    waiting = [line for line in run.stderr.splitlines() if "still waiting for an answer" in line]
    assert len(waiting) == 1, run.stderr[-2000:]
    assert_mentions(waiting[0], "stream items", f"GET {api.url}/items", "(request_timeout 4 s)")
    assert run.records("items") == [{"id": "1"}]
    assert SLOW_AFTER <= 60 / 2  # the default timeout: a line after at most half a minute


# -- 6. tracebacks instead of one line ---------------------------------------------------------------


def _deep(levels: int) -> dict[str, t.Any]:
    value: dict[str, t.Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize("args", [("--discover",), ()], ids=["discover", "sync"])
def test_a_600_deep_record_with_an_inferred_schema(args: tuple[str, ...], api: CannedApi, tmp_path: Path) -> None:
    """Inference recursed once per level (RecursionError); it now describes 32 levels, deeper values pass as sent."""
    serve_items(api, {"id": "1", "deep": _deep(600)})
    items = resource()
    del items["schema"]

    run = sync(api, tmp_path, items, args=args).succeeded()

    if args:
        catalog = json.loads(run.stdout)
        assert catalog["streams"][0]["schema"]["properties"]["deep"]["type"] == ["object", "null"]
    else:
        record = run.records("items")[0]
        assert record["id"] == "1"
        value = record["deep"]
        for _ in range(600):
            value = value["a"]
        assert value == {"leaf": 1}  # nothing of the value lost


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"bookmarks": []}, "invalid state: bookmarks is a list, not an object"),
        ({"bookmarks": {"items": {"partitions": "x"}}}, "invalid state: bookmarks.items.partitions is a string"),
        ({"bookmarks": {"items": "x"}}, "invalid state: bookmarks.items is a string"),
        ({"bookmarks": {"items": {"partitions": [{"context": 1}]}}}, "bookmarks.items.partitions[0] is not an object"),
        ({"bookmarks": {"items": {"resume": {"skip": -3}}}}, "invalid state: bookmarks.items.resume.skip is -3"),
        ({"bookmarks": {"items": {"resume": []}}}, "invalid state: bookmarks.items.resume is a list, not an object"),
    ],
    ids=["bookmarks-list", "partitions-string", "stream-string", "context-number", "resume-skip", "resume-list"],
)
def test_a_state_of_the_wrong_shape_is_one_line(
    state: dict[str, t.Any], expected: str, api: CannedApi, tmp_path: Path
) -> None:
    serve_items(api, {"id": "1", "updatedAt": "2024-01-01T00:00:00Z"})
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))

    run = sync(api, tmp_path, resource(endpoint=INCREMENTAL), args=("--state", str(state_file)))

    assert_mentions(run.error(), expected, "meltano state clear")
    assert api.received == []


def _parents(api: CannedApi, bad: str) -> None:
    api.routes["/apps"] = Answer(body={"data": [{"id": "ok1"}, {"id": bad}, {"id": "ok2"}]})
    for good in ("ok1", "ok2"):
        api.routes[f"/apps/{good}/kids"] = Answer(body={"data": [{"id": f"k-{good}"}]})
    api.routes["/kids"] = lambda request: Answer(body={"data": [{"id": f"k-{request.headers['x-parent']}"}]})


def test_a_parent_value_beyond_latin_1_in_a_header_is_sent_utf8(api: CannedApi, tmp_path: Path) -> None:
    """A header value beyond Latin-1 killed the run with a UnicodeEncodeError line; it is sent UTF-8 encoded."""
    _parents(api, "caf\u00e9\u20ac")

    run = sync(api, tmp_path, resource("apps", "/apps"), child("kids", "apps", "/kids", schema="kids.json"))

    run.succeeded()
    sent = [request.headers["x-parent"] for request in api.received if request.path == "/kids"]
    assert sorted(value.encode("latin-1").decode("utf-8") for value in sent) == ["caf\u00e9\u20ac", "ok1", "ok2"]
    assert len(run.records("kids")) == 3


def test_a_parent_value_with_a_line_break_in_a_header_fails_that_parent(api: CannedApi, tmp_path: Path) -> None:
    """A CR/LF would split the request: that parent is skipped and named, the others arrive, the run ends non-zero."""
    _parents(api, "a\r\nX-Evil: 1")

    run = sync(api, tmp_path, resource("apps", "/apps"), child("kids", "apps", "/kids", schema="kids.json"))

    assert_mentions(run.error(), "1 parent record(s) skipped", "header 'X-Parent' would hold a line break",
                    "the other records were written")
    assert sorted(record["app_id"] for record in run.records("kids")) == ["ok1", "ok2"]
    assert len(run.records("apps")) == 3
    assert all("x-evil" not in request.headers for request in api.received)


@pytest.mark.parametrize("bad", ["..", "."])
def test_a_dot_segment_parent_id_is_refused_over_real_http(bad: str, api: CannedApi, tmp_path: Path) -> None:
    """The tap sent ``%2E%2E``; requests turned it back into ``..`` and the request reached another path."""
    _parents(api, bad)

    run = sync(api, tmp_path, resource("apps", "/apps"), child("kids", "apps", schema="kids.json"))

    assert_mentions(run.error(), "1 parent record(s) skipped", "would be a dot segment")
    assert sorted(request.target for request in api.received) == ["/apps", "/apps/ok1/kids", "/apps/ok2/kids"]
    assert sorted(record["app_id"] for record in run.records("kids")) == ["ok1", "ok2"]


# -- 7. settings a description reads ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "place"),
    [
        ({"headers": {"X-Key": "{{ config.my_key }}"}}, "resources[0].endpoint.headers.X-Key"),
        ({"params": {"key": "{{ config['my_key'] }}"}}, "resources[0].endpoint.params.key"),
        ({"path": "/a/{{ config.my_key }}/b"}, "resources[0].endpoint.path"),
    ],
    ids=["header", "param", "path"],
)
def test_an_unset_setting_in_a_request_is_one_line_before_any_request(
    endpoint: dict[str, t.Any], place: str, api: CannedApi, tmp_path: Path
) -> None:
    """The header was not sent, the param dropped, the path became ``/a//b``, all silently."""
    serve_items(api)
    path = endpoint.pop("path", "/items")

    run = sync(api, tmp_path, resource(path=path, endpoint=endpoint))

    assert_mentions(run.error(), "setting(s) my_key not set", place, "{{ config.my_key }}", "api.yaml")
    assert api.received == []


def test_a_setting_with_a_default_in_the_template_may_be_unset(api: CannedApi, tmp_path: Path) -> None:
    serve_items(api)

    sync(api, tmp_path, resource(endpoint={"headers": {"X-Key": "{{ config.my_key | default('none') }}"}})).succeeded()

    assert api.received[0].headers["x-key"] == "none"


def test_basic_auth_without_a_password_is_refused(api: CannedApi, tmp_path: Path) -> None:
    """dlt refuses a left-out password; the tap sent an empty one."""
    serve_items(api)

    run = sync(api, tmp_path, resource(), auth={"type": "http_basic", "username": "me"})

    assert_mentions(run.error(), "missing setting(s) password")
    assert api.received == []


def test_basic_auth_with_a_password_written_out_may_be_empty(api: CannedApi, tmp_path: Path) -> None:
    """An API whose password is optional writes it out (as the built-in marketing API does)."""
    serve_items(api)
    auth = {"type": "http_basic", "username": "me", "password": "{{ config.password }}"}

    sync(api, tmp_path, resource(), auth=auth).succeeded()

    assert api.received[0].headers["authorization"] == "Basic bWU6"  # me:


def test_a_missing_credential_under_meltano_names_the_plugin(api: CannedApi, tmp_path: Path) -> None:
    """Meltano sets MELTANO_EXTRACTOR_NAME for the plugin it runs: its own variable and command are named."""
    serve_items(api)
    auth = {"type": "bearer", "token": "{{ config.api_key }}"}

    run = sync(api, tmp_path, resource(), auth=auth, env={"MELTANO_EXTRACTOR_NAME": "tap-payments"})

    assert_mentions(run.error(), "meltano config set tap-payments api_key", "TAP_PAYMENTS_API_KEY")
    assert "TAP_GENERIC_REST_" not in run.error()


# -- 10. a true and quiet log ----------------------------------------------------------------------


def test_an_incremental_run_does_not_claim_it_cannot_resume(api: CannedApi, tmp_path: Path) -> None:
    serve_items(api, {"id": "1", "updatedAt": "2024-01-01T00:00:00Z"})

    run = sync(api, tmp_path, resource(endpoint=INCREMENTAL)).succeeded()

    assert "unsorted" not in run.stderr
    assert run.records("items")


def test_one_attempt_is_singular(api: CannedApi, tmp_path: Path) -> None:
    api.routes["/items"] = Answer(503, {"error": "down"})

    run = sync(api, tmp_path, resource(), max_retries=0)

    assert_mentions(run.error(), "(gave up after 1 attempt)")


def test_discovery_says_it_sampled_and_the_total_is_the_wall_time(api: CannedApi, tmp_path: Path) -> None:
    serve_items(api, {"id": "1"}, {"id": "2"})
    items = resource()
    del items["schema"]

    started = time.monotonic()
    run = sync(api, tmp_path, items, args=("--discover",)).succeeded()
    wall = time.monotonic() - started

    summary = [line.split("Summary: ")[1] for line in run.stderr.splitlines() if "Summary: " in line]
    assert summary[0].startswith("stream items: 2 records sampled to infer schemas, 1 request, 0 retries"), summary
    assert summary[1].startswith("1 stream: "), summary
    total = float(summary[1].rsplit(", ", 1)[1].removesuffix(" s"))
    assert 0 <= total <= wall  # the run after start-up; the unit tests check it spans the run, not a stream
