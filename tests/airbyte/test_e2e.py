"""Manifests imported end to end: ``tap-generic-rest import`` -> the tap syncs the written description
against a loopback server -> exactly the expected records. Loading makes no request before the sync."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.description.load import load_description
from tap_generic_rest.tap import TapGenericRest
from tests.airbyte.helpers import canonical, imported, sync
from tests.dlt.server import POSTS, TOKEN, TestServer, comments

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ALL_COMMENTS = [comment for post in POSTS for comment in comments(post["id"])]


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def test_cursor_pages_and_children(server: TestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("cursor_and_children", capsys, tmp_path)
    load_description(description)
    assert server.requests == []  # loading makes no request
    records = sync(description, capsys, base_url=server.url, credentials_api_key="key-1")
    assert canonical(records) == canonical({"posts": POSTS, "comments": ALL_COMMENTS})
    assert {request.headers.get("X-Api-Key") for request in server.requests} == {"key-1"}
    cursors = [request.query.get("cursor") for request in server.requests if request.path == "/cursor/posts"]
    assert cursors[-5:] == [None, ["1"], ["2"], ["3"], ["4"]]  # (discovery sampled the same pages first)


def no_request_at_discovery(description: Path, server: TestServer, **settings: t.Any) -> None:
    """Declared schemas: loading and discovering make no request."""
    load_description(description)
    tap = TapGenericRest(config={"api_description": str(description), **settings}, parse_env_config=False)
    assert tap.catalog_dict["streams"]
    assert server.requests == []


def test_offset_pages_basic_auth_and_inline_schema(server: TestServer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("offset_pages", capsys, tmp_path)
    settings = {"base_url": server.url, "username": "user", "password": "pw"}
    no_request_at_discovery(description, server, **settings)
    assert canonical(sync(description, capsys, **settings)) == canonical({"items": POSTS})
    offsets = [(request.query["offset"], request.query["limit"]) for request in server.requests]
    assert offsets == [([str(n)], ["5"]) for n in range(0, 30, 5)]  # five pages, then the empty one
    assert {request.headers["Authorization"] for request in server.requests} == {"Basic dXNlcjpwdw=="}


def test_page_numbers_from_a_shared_definition(server: TestServer, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("page_numbers", capsys, tmp_path)
    records = sync(description, capsys, base_url=server.url, token="tk")
    assert canonical(records) == canonical({"articles": POSTS, "briefs": POSTS})
    assert {request.headers["Authorization"] for request in server.requests} == {"Bearer tk"}
    assert {request.headers["X-Version"] for request in server.requests} == {"2"}
    pages = {int(request.query["page"][0]) for request in server.requests
             if request.path == "/page_number/posts" and request.query.get("per_page") == ["5"]}
    assert pages == {0, 1, 2, 3, 4, 5}  # 5 pages of 5, then the empty page 5 ends it


def test_datetime_cursor_from_start_date_with_a_schema_file(server: TestServer, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("dated", capsys, tmp_path)
    assert (tmp_path / "schemas" / "changes.json").is_file()
    settings = {"base_url": server.url, "start_date": "2024-01-10T00:00:00Z"}
    no_request_at_discovery(description, server, **settings)
    assert canonical(sync(description, capsys, **settings)) == canonical({"changes": POSTS[9:]})
    assert [request.query["since"] for request in server.requests] == [["2024-01-10T00:00:00Z"]]


def test_link_header_next_url_and_has_more(server: TestServer, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("links", capsys, tmp_path)
    records = sync(description, capsys, base_url=server.url)
    assert canonical(records) == canonical({"linked": POSTS, "followed": POSTS, "flagged": POSTS})


def test_oauth_client_credentials_and_nested_settings(server: TestServer, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    description = imported("oauth_echo", capsys, tmp_path)
    records = sync(description, capsys, base_url=server.url, account_client_id="app", account_client_secret="s3cret",
                   account_region="eu", start_date="2024-05-01T12:00:00Z")
    query = {"region": "eu", "since": "2024-05-01", "since_ts": "1714564800", "hint": "ZXU=", "tier": "free",
             "plan": "basic", "first": "2024"}  # Airbyte's macros and filters, run by the tap; braces in templates
    assert records == {"whoami": [{"id": 1, "path": "/echo/oauth2", "query": query,
                                   "headers": {"Authorization": f"Bearer {TOKEN}"}}]}
