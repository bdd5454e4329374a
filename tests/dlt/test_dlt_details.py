"""dlt-format details the record sets alone do not show: requests sent, state, inferred schemas, refusals."""

from __future__ import annotations

import json
import typing as t

import pytest

from tap_generic_rest.errors import DescriptionError
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import FAST_RETRIES
from tests.dlt.server import POSTS, TestServer
from tests.dlt.test_dlt_configs import load_config, run_tap

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def sent(server: TestServer, path: str) -> list[dict[str, list[str]]]:
    """The query of every request to ``path``."""
    return [request.query for request in server.requests if request.path == path]


def one_resource(case: str, name: str, server: TestServer) -> dict[str, t.Any]:
    """The config of ``case`` with only its resource ``name``."""
    config = load_config(case, server)
    config["resources"] = [resource for resource in config["resources"] if resource["name"] == name]
    return config


def discovered(config: dict[str, t.Any], tmp_path: Path, **settings: t.Any) -> dict[str, dict[str, t.Any]]:
    description = tmp_path / "api.json"
    description.write_text(json.dumps(config), encoding="utf-8")
    tap = TapGenericRest(config={"api_description": str(description), **FAST_RETRIES, **settings},
                         parse_env_config=False)
    return {entry["tap_stream_id"]: entry for entry in tap.catalog_dict["streams"]}


def test_url_joining_requests(server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_tap(load_config("url_joining", server), tmp_path, capsys)
    assert {request.path for request in server.requests} == {"/api/v1/posts", "/plain/posts"}


def test_offset_sends_limit_and_offset_from_the_first_request(
    server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_tap(one_resource("paginators", "offset", server), tmp_path, capsys)
    sync = sent(server, "/offset/posts")[-5:]  # discovery samples first; the sync's five pages
    assert sync == [{"offset": [str(n)], "limit": ["5"]} for n in range(0, 25, 5)]


def test_oauth_token_request_sends_the_extra_data(
    server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_tap(load_config("auth", server), tmp_path, capsys)
    tokens = [request for request in server.requests if request.path == "/oauth/token"]
    assert tokens
    form = dict(pair.split("=", 1) for pair in tokens[0].body.split("&"))
    assert form == {"client_id": "client-1", "client_secret": "s3cret", "grant_type": "client_credentials",
                    "scope": "read"}


def test_a_secret_may_name_a_tap_setting(
    server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"client": {"base_url": server.url, "auth": {"token": "{{ config.api_key }}"}}, "resources": ["echo"]}
    records, _ = run_tap(config, tmp_path, capsys, api_key="from-settings")
    assert records["echo"][0]["headers"] == {"Authorization": "Bearer from-settings"}


def test_incremental_resumes_from_the_bookmark(
    server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = one_resource("incremental", "start_param", server)
    first, states = run_tap(config, tmp_path, capsys)
    assert [record["id"] for record in first["start_param"]] == list(range(10, 24))
    assert sent(server, "/incremental/posts")[-1] == {"since": ["2024-01-10T00:00:00Z"]}
    server.requests.clear()
    second, _ = run_tap(config, tmp_path, capsys, state=states[-1])
    resumed = sent(server, "/incremental/posts")  # discovery samples first (from initial_value), then the sync
    assert resumed[-1] == {"since": [POSTS[-1]["updated_at"]]}, (resumed, states[-1])
    assert [record["id"] for record in second.get("start_param", [])] in ([], [23])  # the boundary record at most


def test_every_stream_is_inferred_children_too(server: TestServer, tmp_path: Path) -> None:
    streams = discovered(load_config("relationships", server), tmp_path)
    posts = streams["posts"]["schema"]["properties"]
    assert posts["updated_at"] == {"type": ["string", "null"], "format": "date-time"}
    assert posts["id"]["type"][0] == "integer"
    comments = streams["comments"]["schema"]["properties"]
    assert {"id", "post_id", "body", "_posts_title"} <= set(comments)
    assert streams["search"]["schema"]["properties"]["body"]["properties"]["post_id"] == {"type": ["integer", "null"]}
    assert set(streams["post_detail"]["schema"]["properties"]) >= {"id", "title", "updated_at", "author"}
    children = [request.path for request in server.requests if request.path.endswith("/comments")]
    assert len(children) <= 2 * 5  # two child streams, five parents each


def test_an_empty_resources_list_discovers_nothing(server: TestServer, tmp_path: Path) -> None:
    assert discovered(load_config("empty", server), tmp_path) == {}
    assert server.requests == []


REJECTED = [
    pytest.param(lambda c: c["resources"][0]["endpoint"].update(pathh="x"), "resources[0].endpoint", id="unknown-key"),
    pytest.param(lambda c: c["resources"][0]["endpoint"].update(method="PUT"), "resources[0].endpoint.method",
                 id="method"),
    pytest.param(lambda c: c["resources"][0]["endpoint"].update(paginator={"type": "pages"}),
                 "resources[0].endpoint.paginator", id="paginator-type"),
    pytest.param(lambda c: c.pop("client"), "'client'", id="no-client"),
    pytest.param(lambda c: c["resources"].append({"name": "kids", "endpoint": "x/{resources.nobody.id}"}),
                 "resources[1]", id="unknown-parent"),
]


def rejected_config(change: t.Callable[[dict[str, t.Any]], object]) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {"client": {"base_url": "http://127.0.0.1:9"},
                                "resources": [{"name": "posts", "endpoint": {"path": "posts"}}]}
    change(config)
    return config


@pytest.mark.parametrize(("change", "where"), REJECTED)
def test_the_tap_rejects_with_the_path(change: t.Callable[[dict[str, t.Any]], object], where: str,
                                       tmp_path: Path) -> None:
    with pytest.raises(DescriptionError) as info:
        discovered(rejected_config(change), tmp_path)
    assert where in str(info.value)


@pytest.mark.parametrize(("change", "where"), REJECTED)
def test_dlt_rejects_them_too(change: t.Callable[[dict[str, t.Any]], object], where: str) -> None:
    rest_api = pytest.importorskip("dlt.sources.rest_api", reason="dlt (a test-only extra) is not installed")
    with pytest.raises(Exception):  # noqa: B017 - dlt raises several kinds; that it refuses is the point
        list(rest_api.rest_api_resources(rejected_config(change)))
