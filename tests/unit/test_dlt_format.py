"""dlt rest_api configs run unchanged: one small config per row of the format (issue 9)."""

from __future__ import annotations

import logging
import typing as t

import pytest

from tap_generic_rest.description.contract import SchemaContract
from tap_generic_rest.errors import DescriptionError, StreamError
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests_mock as rm

BASE = "https://api.test"


FIELDS = ("id", "_posts_id", "updated", "ts", "cid")


@pytest.fixture
def tap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., TapGenericRest]:
    """A tap on a dlt config written as JSON; discovery (inference, tested elsewhere) makes no request here."""
    monkeypatch.setattr("tap_generic_rest.streams.inference.SchemaSampler.infer_schema", lambda self, stream: {
        "type": "object", "properties": {name: {} for name in FIELDS}})

    def make(config: dict[str, t.Any], **settings: t.Any) -> TapGenericRest:
        import json

        path = tmp_path / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return TapGenericRest(config={"api_description": str(path), "backoff_factor": 0.001, **settings},
                              parse_env_config=False)

    return make


def urls(requests_mock: rm.Mocker) -> list[str]:
    return [request.url for request in requests_mock.request_history]


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://api.test/api/v2", "pokemon", "https://api.test/api/v2/pokemon"),
        ("https://api.test/api/v2/", "pokemon", "https://api.test/api/v2/pokemon"),
        ("https://api.test/api/v2", "/pokemon", "https://api.test/api/v2/pokemon"),
        ("https://api.test/api/v2/", "/pokemon", "https://api.test/api/v2/pokemon"),
        ("https://api.test/api", "https://other.test/x", "https://other.test/x"),
    ],
)
def test_row1_url_joining(base: str, path: str, expected: str, requests_mock: rm.Mocker,
                          tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(expected, json=[{"id": 1}])
    config = {"client": {"base_url": base}, "resources": [{"name": "p", "endpoint": {"path": path}}]}
    assert list(tap(config).streams["p"].get_records(None)) == [{"id": 1}]
    assert urls(requests_mock) == [expected]


def test_row2_4_string_resource_without_primary_key(requests_mock: rm.Mocker,
                                                      tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/posts", json={"results": [{"id": 1}, {"id": 2}]})
    stream = tap({"client": {"base_url": BASE}, "resources": ["posts"]}).streams["posts"]
    assert stream.primary_keys == []
    assert list(stream.get_records(None)) == [{"id": 1}, {"id": 2}]  # data auto-detected under `results`


def test_row4_endpoint_string_and_missing_path(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/v1/a", json=[{"id": "a"}])
    requests_mock.get(f"{BASE}/b", json=[{"id": "b"}])
    config = {"client": {"base_url": BASE}, "resources": [
        {"name": "a", "endpoint": "v1/a"}, {"name": "b", "endpoint": {"params": {"x": "1"}}}]}
    streams = tap(config).streams
    assert list(streams["a"].get_records(None)) == [{"id": "a"}]
    assert list(streams["b"].get_records(None)) == [{"id": "b"}]
    assert urls(requests_mock) == [f"{BASE}/v1/a", f"{BASE}/b?x=1"]


AUTO = [
    pytest.param({"headers": {"Link": f'<{BASE}/items?page=2>; rel="next"'}}, {}, "?page=2", id="link-header"),
    pytest.param({}, {"next": f"{BASE}/items?p=2"}, "?p=2", id="next-url-in-body"),
    pytest.param({}, {"pagination": {"next": {"href": "/items?q=2"}}}, "?q=2", id="nested-href"),
    pytest.param({}, {"total_pages": 2}, "?page=1", id="total-pages"),
    pytest.param({}, {"next_cursor": "c2"}, "?cursor=c2", id="next-cursor"),
]


@pytest.mark.parametrize(("first", "extra", "second"), AUTO)
def test_row3_paginator_auto_detection(first: dict[str, t.Any], extra: dict[str, t.Any], second: str,
                                       requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", [
        {"json": {"data": [{"id": 1}], **extra}, **first},
        {"json": {"data": [{"id": 2}]}},
    ])
    stream = tap({"client": {"base_url": BASE}, "resources": ["items"]}).streams["items"]
    assert [record["id"] for record in stream.get_records(None)] == [1, 2]
    assert urls(requests_mock) == [f"{BASE}/items", f"{BASE}/items{second}"]


def test_row3_no_hint_is_one_page(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", json={"data": [{"id": 1}], "count": 1})
    stream = tap({"client": {"base_url": BASE}, "resources": ["items"]}).streams["items"]
    assert list(stream.get_records(None)) == [{"id": 1}]
    assert len(requests_mock.request_history) == 1


AUTHS = [
    pytest.param({"token": "literal-token"}, {}, ("Authorization", "Bearer literal-token"), id="bearer-no-type"),
    pytest.param({"type": "bearer", "token": "{{ config.access_token }}"}, {"access_token": "from-setting"},
                 ("Authorization", "Bearer from-setting"), id="bearer-setting"),
    pytest.param({"type": "http_basic", "username": "u", "password": ""}, {}, ("Authorization", "Basic dTo="),
                 id="http-basic"),
    pytest.param({"type": "api_key", "api_key": "k1"}, {}, ("Authorization", "k1"), id="api-key-default-header"),
    pytest.param({"type": "api_key", "name": "X-Key", "api_key": "k2", "location": "header"}, {},
                 ("X-Key", "k2"), id="api-key-header"),
]


@pytest.mark.parametrize(("auth", "settings", "header"), AUTHS)
def test_row5_auth_as_dlt_writes_it(auth: dict[str, t.Any], settings: dict[str, t.Any], header: tuple[str, str],
                                    requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    config = {"client": {"base_url": BASE, "auth": auth}, "resources": ["items"]}
    list(tap(config, **settings).streams["items"].get_records(None))
    assert requests_mock.last_request.headers[header[0]] == header[1]


def test_row5_api_key_in_query_and_endpoint_auth(
    requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]
) -> None:
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    config = {"client": {"base_url": BASE, "auth": {"token": "t"}}, "resources": [{"name": "items", "endpoint": {
        "auth": {"type": "api_key", "name": "key", "api_key": "q1", "location": "query"}}}]}
    list(tap(config).streams["items"].get_records(None))
    assert requests_mock.last_request.qs == {"key": ["q1"]}
    assert "Authorization" not in requests_mock.last_request.headers


@pytest.mark.parametrize("auth", [
    pytest.param(None, id="no-auth"),
    pytest.param({"type": "api_key", "name": "key", "api_key": "q1", "location": "query"}, id="api-key-in-query"),
])
def test_row2_empty_param_is_sent(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest],
                                  auth: dict[str, str] | None) -> None:
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    endpoint = {"path": "items", "params": {"empty": "", "q": "a b", "key": "replaced"}}
    config = {"client": {"base_url": BASE, **({"auth": auth} if auth else {})},
              "resources": [{"name": "items", "endpoint": endpoint}]}
    list(tap(config).streams["items"].get_records(None))
    query = requests_mock.last_request.url.split("?", 1)[1]
    expected = ["empty=", "q=a+b", "key=q1"] if auth else ["empty=", "q=a+b", "key=replaced"]
    assert query.split("&") == expected


def test_row5_oauth2_client_credentials(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.post(f"{BASE}/token", json={"access_token": "row5-oauth-token"})
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    auth = {"type": "oauth2_client_credentials", "access_token_url": f"{BASE}/token", "client_id": "cid",
            "client_secret": "{{ config.client_secret }}", "access_token_request_data": {"scope": "read"}}
    config = {"client": {"base_url": BASE, "auth": auth}, "resources": ["items"]}
    list(tap(config, client_secret="sec").streams["items"].get_records(None))
    token_request = requests_mock.request_history[0]
    assert sorted(token_request.text.split("&")) == [
        "client_id=cid", "client_secret=sec", "grant_type=client_credentials", "scope=read"]
    assert requests_mock.last_request.headers["Authorization"] == "Bearer row5-oauth-token"


def test_row6_relationships_placeholders_everywhere(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    requests_mock.get(f"{BASE}/posts", json=[{"id": 7, "meta": {"slug": "s7"}}])
    requests_mock.post(f"{BASE}/posts/7/comments", json=[{"cid": "c1"}])
    comments = {"name": "comments", "include_from_parent": ["id"], "endpoint": {
        "path": "posts/{resources.posts.id}/comments", "method": "POST",
        "params": {"slug": "{resources.posts.meta.slug}"},
        "json": {"post": "{resources.posts.id}", "text": "p{resources.posts.id}"},
        "headers": {"X-Post": "{resources.posts.id}"},
        "paginator": "single_page"}}
    config = {"client": {"base_url": BASE}, "resources": [{"name": "posts", "selected": False}, comments]}
    instance = tap(config)
    instance.sync_all()
    request = requests_mock.last_request
    assert request.qs == {"slug": ["s7"]}
    assert request.json() == {"post": 7, "text": "p7"}
    assert request.headers["X-Post"] == "7"
    out = capsys.readouterr().out
    assert '"_posts_id":7' in out.replace(" ", "")
    assert '"type":"RECORD","stream":"posts"' not in out.replace(" ", "")  # selected: false still feeds children


def test_row6_resolve_params_and_static_path_params(requests_mock: rm.Mocker,
                                                    tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/v1/users", json=[{"id": "u1"}])
    requests_mock.get(f"{BASE}/v1/users/u1/repos", json=[{"id": "r"}])
    config = {"client": {"base_url": BASE}, "resources": [
        {"name": "users", "endpoint": {"path": "{version}/users", "params": {"version": "v1"}}},
        {"name": "repos", "endpoint": {"path": "v1/users/{user}/repos", "paginator": "single_page",
                                       "params": {"user": {"type": "resolve", "resource": "users", "field": "id"}}}}]}
    instance = tap(config)
    instance.sync_all()
    assert urls(requests_mock) == [f"{BASE}/v1/users", f"{BASE}/v1/users/u1/repos"]


BAD_GRAPHS = [
    pytest.param(["a", {"name": "b", "endpoint": "x/{resources.nope.id}/y"}], "resources[1].endpoint",
                 "refers to non existing parent resource 'nope'", id="unknown-parent"),
    pytest.param(["a", "c", {"name": "b", "endpoint": {"path": "{resources.a.id}/{resources.c.id}/z"}}],
                 "resources[2].endpoint.path", "Multiple parent resources", id="two-parents"),
    pytest.param([{"name": "b", "endpoint": "x/{unknown.id}/y"}], "resources[0].endpoint.path",
                 "Valid expressions must start with one of: {'resources'}", id="unknown-prefix"),
    pytest.param([{"name": "b", "endpoint": {"path": "x", "params": {"p": {"type": "resolve", "resource": "a",
                                                                          "field": "id"}}}}],
                 "resources[0].endpoint.params", "not bound in path", id="unbound-resolve"),
    pytest.param([{"name": "b", "endpoint": "x/{id}"}], "resources[0].endpoint.path", "has no param",
                 id="unbound-static"),
    pytest.param(["a", {"name": "b", "include_from_parent": ["id"]}], "resources[1].include_from_parent",
                 "only allowed on a resource that depends on another", id="include-without-parent"),
]


@pytest.mark.parametrize(("resources", "where", "message"), BAD_GRAPHS)
def test_row6_graph_errors_name_the_path(resources: list[t.Any], where: str, message: str,
                                         tap: t.Callable[..., TapGenericRest]) -> None:
    with pytest.raises(DescriptionError) as caught:
        _ = tap({"client": {"base_url": BASE}, "resources": resources}).streams
    assert f": {where}: " in str(caught.value)
    assert message in str(caught.value)


PAGINATORS = [
    pytest.param({"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "after"},
                 [{"json": [{"id": 1}], "headers": {"X-Next": "n2"}}, {"json": [{"id": 2}]}],
                 ["", "?after=n2"], id="header-cursor"),
    pytest.param({"type": "offset", "limit": 1, "total_path": None, "maximum_offset": 2},
                 [{"json": [{"id": 1}]}, {"json": [{"id": 2}]}, {"json": [{"id": 3}]}],
                 ["?offset=0&limit=1", "?offset=1&limit=1"], id="offset-maximum"),
    pytest.param({"type": "page_number", "total_path": "total", "base_page": 1},
                 [{"json": {"data": [{"id": 1}], "total": 2}}, {"json": {"data": [{"id": 2}], "total": 2}}],
                 ["?page=1", "?page=2"], id="page-number-total"),
    pytest.param({"type": "cursor", "cursor_path": "next", "cursor_param": "c", "has_more_path": "more"},
                 [{"json": {"data": [{"id": 1}], "next": "x", "more": True}},
                  {"json": {"data": [{"id": 2}], "next": "y", "more": False}}],
                 ["", "?c=x"], id="cursor-has-more"),
    pytest.param("header_link",
                 [{"json": [{"id": 1}], "headers": {"Link": f'<{BASE}/items?p=2>; rel="next"'}}, {"json": [{"id": 2}]}],
                 ["", "?p=2"], id="header-link-shorthand"),
]


@pytest.mark.parametrize(("paginator", "responses", "queries"), PAGINATORS)
def test_row7_paginators(paginator: object, responses: list[dict[str, t.Any]], queries: list[str],
                         requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", responses)
    config = {"client": {"base_url": BASE, "paginator": paginator}, "resources": ["items"]}
    records = list(tap(config).streams["items"].get_records(None))
    assert [record["id"] for record in records] == list(range(1, len(queries) + 1))
    assert urls(requests_mock) == [f"{BASE}/items{query}" for query in queries]


def test_row7_paginator_null_clears_the_default(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", [{"json": {"data": [{"id": 1}], "next": f"{BASE}/items?p=2"}},
                                        {"json": {"data": [{"id": 2}]}}])
    config = {"client": {"base_url": BASE}, "resource_defaults": {"endpoint": {"paginator": "json_link"}},
              "resources": [{"name": "items", "endpoint": {"paginator": None, "data_selector": "data"}}]}
    list(tap(config).streams["items"].get_records(None))
    assert len(requests_mock.request_history) == 2  # auto detection follows the next link


def test_row7_offset_shorthand_needs_a_limit(tap: t.Callable[..., TapGenericRest]) -> None:
    with pytest.raises(DescriptionError, match=r"client.paginator: 'offset' needs a limit"):
        _ = tap({"client": {"base_url": BASE, "paginator": "offset"}, "resources": ["x"]}).streams


def test_row8_incremental_params_and_filter(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    records = [{"id": i, "updated": f"2024-01-0{i}T00:00:00Z"} for i in (1, 2, 3, 4)]
    requests_mock.get(f"{BASE}/items", json=records)
    incremental = {"cursor_path": "updated", "initial_value": "2024-01-02T00:00:00Z",
                   "end_value": "2024-01-04T00:00:00Z", "start_param": "since"}
    config = {"client": {"base_url": BASE}, "resources": [{"name": "items", "primary_key": "id", "endpoint": {
        "incremental": incremental, "params": {"q": "from {incremental.initial_value}"}}}]}
    stream = tap(config).streams["items"]
    assert stream.replication_key == "updated"
    assert [record["id"] for record in stream.get_records(None)] == [2, 3]  # [initial, end)
    assert requests_mock.last_request.qs["since"] == ["2024-01-02t00:00:00z"]


def test_row8_incremental_param_form_and_missing_cursor(requests_mock: rm.Mocker,
                                                        tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    config = {"client": {"base_url": BASE}, "resources": [{"name": "items", "endpoint": {"params": {
        "after": {"type": "incremental", "cursor_path": "ts", "initial_value": 5}}}}]}
    with pytest.raises(StreamError, match="no value for the incremental cursor 'ts'"):
        list(tap(config).streams["items"].get_records(None))
    assert requests_mock.last_request.qs == {"after": ["5"]}


def test_row9_response_actions_ignore(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/a", status_code=404, json={"error": "gone"})
    requests_mock.get(f"{BASE}/b", json={"data": [], "note": "quota exceeded"})
    config = {"client": {"base_url": BASE}, "resources": [
        {"name": "a", "endpoint": {"response_actions": [{"status_code": 404, "action": "ignore"}]}},
        {"name": "b", "endpoint": {"response_actions": [{"content": "quota", "action": "ignore"}]}}]}
    streams = tap(config).streams
    assert list(streams["a"].get_records(None)) == []
    assert list(streams["b"].get_records(None)) == []


def test_row10_braces(requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.get(f"{BASE}/items", json=[{"id": 1}])
    config = {"client": {"base_url": BASE, "headers": {"X-Raw": "{x} {{y}}"}}, "resources": [{"name": "items",
              "endpoint": {"params": {"a": "{{not_this}}", "k": "{{ config.api_key }}"}, "headers": {"X-E": "{{z}}"}}}]}
    list(tap(config, api_key="s3").streams["items"].get_records(None))
    request = requests_mock.last_request
    assert request.qs == {"a": ["{not_this}"], "k": ["s3"]}
    assert request.headers["X-Raw"] == "{x} {{y}}"  # client headers are not interpolated
    assert request.headers["X-E"] == "{z}"


@pytest.mark.parametrize(("disposition", "warned"), [
    ("merge", False), ("append", False), ({"disposition": "merge", "strategy": "upsert"}, False),
    ({"disposition": "merge", "strategy": "delete-insert"}, False), ("replace", True), ("skip", True),
    ({"disposition": "merge", "strategy": "scd2"}, True), ({"disposition": "merge", "strategy": "insert-only"}, True),
])
def test_row11_write_dispositions_singer_cannot_honour_warn(disposition: object, warned: bool,
                                                            tap: t.Callable[..., TapGenericRest],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "write_disposition": disposition}]}
    with caplog.at_level(logging.WARNING):
        _ = tap(config).description
    messages = [r.getMessage() for r in caplog.records if "write_disposition" in r.getMessage()]
    assert bool(messages) == warned, messages


def test_row11_loader_keys_names_and_empty_resources(tap: t.Callable[..., TapGenericRest],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{
        "name": "my-items/v2", "table_name": "t", "write_disposition": {"disposition": "merge", "strategy": "scd2"},
        "merge_key": "id", "max_table_nesting": 1, "schema_contract": "freeze", "parallelized": True,
        "columns": {"id": {"data_type": "bigint"}}, "schema": None}]}
    del config["resources"][0]["schema"]
    with caplog.at_level(logging.WARNING):
        description = tap(config).description
    assert description.resources[0].name == "my-items/v2"
    # table_name, merge_key, max_table_nesting, and write_disposition merge/scd2; schema_contract is applied
    assert sum("only steers dlt's loader" in r.getMessage() for r in caplog.records) == 4
    assert description.resources[0].schema_contract == SchemaContract(columns="freeze", data_type="freeze")
    assert tap({"client": {"base_url": BASE}, "resources": []}).description.resources == ()


REFUSED = [
    pytest.param({"name": "x", "processing_steps": [{"filter": "f"}]}, "resources[0].processing_steps",
                 "Python callables", id="processing-steps"),
    pytest.param({"name": "x", "endpoint": {"incremental": {"cursor_path": "t", "convert": "f"}}},
                 "resources[0].endpoint.incremental.convert", "Python callable", id="convert"),
    pytest.param({"name": "x", "endpoint": {"response_actions": [{"status_code": 404, "action": "retry_hook"}]}},
                 "resources[0].endpoint.response_actions[0]", "Python callables", id="response-hook"),
    pytest.param({"name": "x", "endpoint": {"paginator": {"type": "my_paginator"}}},
                 "resources[0].endpoint.paginator.type", "is not allowed", id="custom-paginator"),
    pytest.param({"name": "x", "endpoint": {"auth": {"type": "my_auth"}}},
                 "resources[0].endpoint.auth.type", "is not allowed", id="custom-auth"),
    pytest.param({"name": "x", "extra": 1}, "resources[0]", "unknown field(s) 'extra'", id="unknown-key"),
]


@pytest.mark.parametrize(("resource", "where", "message"), REFUSED)
def test_python_only_and_invalid_parts_are_refused(resource: dict[str, t.Any], where: str, message: str,
                                                   tap: t.Callable[..., TapGenericRest]) -> None:
    with pytest.raises(DescriptionError) as caught:
        _ = tap({"client": {"base_url": BASE}, "resources": [resource]}).description
    assert f": {where}: " in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(("data", "body", "content_type"), [
    pytest.param({"a": "1", "n": "{{ config.n }}", "b": "x y"}, "a=1&n=7&b=x+y", "application/x-www-form-urlencoded",
                 id="form"),
    pytest.param("raw {{ config.n }} {{not_this}}", "raw 7 {not_this}", None, id="raw-string"),
    pytest.param([["a", "1"], ["n", "{{ config.n }}"], ["a", "2"]], "a=1&n=7&a=2", "application/x-www-form-urlencoded",
                 id="form-pairs"),
])
def test_row9_form_and_raw_bodies(data: object, body: str, content_type: str | None, requests_mock: rm.Mocker,
                                  tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.post(f"{BASE}/search", json=[{"id": 1}])
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "endpoint": {
        "path": "search", "method": "POST", "paginator": "single_page", "data": data}}]}
    list(tap(config, n=7).streams["x"].get_records(None))
    request = requests_mock.last_request
    assert request.text == body
    assert request.headers.get("Content-Type") == content_type


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("endpoint", "body", "content_type"), [
    pytest.param({"data": {"a": "1"}, "json": {}}, "a=1", FORM, id="data-and-empty-json"),
    pytest.param({"data": {}, "json": {"b": 2}}, '{"b": 2}', "application/json", id="empty-data-and-json"),
])
def test_row9_one_body_as_dlt_chooses_it(endpoint: dict[str, t.Any], body: str, content_type: str,
                                         requests_mock: rm.Mocker, tap: t.Callable[..., TapGenericRest]) -> None:
    requests_mock.post(f"{BASE}/search", json=[{"id": 1}])
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "endpoint": {
        "path": "search", "method": "POST", "paginator": "single_page", **endpoint}}]}
    list(tap(config, n=7).streams["x"].get_records(None))
    assert requests_mock.last_request.text == body
    assert requests_mock.last_request.headers["Content-Type"] == content_type


@pytest.mark.parametrize(("config", "where", "message"), [
    ({"resources": [{"name": "x", "endpoint": {"data": {"a": "1"}, "json": {"b": 2}}}]}, "resources[0].endpoint.data",
     "Cannot use both 'json' and 'data' parameters simultaneously (dlt refuses it too)"),
    ({"resource_defaults": {"endpoint": {"json": {"b": 2}}}, "resources": [{"name": "x", "endpoint": {"data": "raw"}}]},
     "resources[0].endpoint.data", "Cannot use both 'json' and 'data'"),
    ({"resources": [{"name": "x", "endpoint": {"data": [["a", "1"], ["b"]]}}]}, "resources[0].endpoint.data[1]",
     "a list body is a form of [key, value] pairs"),
])
def test_row9_bodies_refused(config: dict[str, t.Any], where: str, message: str,
                             tap: t.Callable[..., TapGenericRest]) -> None:
    with pytest.raises(DescriptionError) as caught:
        _ = tap({"client": {"base_url": BASE}, **config}).description
    assert f"{where}: {message}" in str(caught.value)


@pytest.mark.parametrize("columns", [{"id": {"primary_key": True}, "x": {"data_type": "text"}},
                                     [{"name": "id", "primary_key": True}]])
def test_row11_columns_primary_key_maps_onto_key_properties(columns: object,
                                                            tap: t.Callable[..., TapGenericRest]) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "columns": columns}]}
    assert tap(config).description.resources[0].primary_key == ("id",)


COLUMN_HINTS = {"id": {"data_type": "bigint", "nullable": False, "primary_key": True},
                "ts": {"data_type": "timestamp"}, "updated": {"data_type": "date", "nullable": True},
                "cid": {"data_type": "json"}, "price": {"data_type": "decimal", "nullable": False},
                "flag": {"name": "ignored", "data_type": "bool"}}
HINTED = {"id": {"type": ["integer"]}, "ts": {"type": ["string", "null"], "format": "date-time"},
          "updated": {"type": ["string", "null"], "format": "date"}, "cid": {"type": ["object", "array", "null"]},
          "price": {"type": ["number"]}, "flag": {"type": ["boolean", "null"]}}


@pytest.mark.parametrize("columns", [COLUMN_HINTS, [{**hint, "name": name} for name, hint in COLUMN_HINTS.items()]])
def test_row11_columns_data_type_and_nullable_on_inferred_schema(columns: object,
                                                                 tap: t.Callable[..., TapGenericRest]) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "columns": columns}]}
    stream = tap(config).streams["x"]
    assert stream.primary_keys == ["id"]
    assert stream.schema["properties"] == {"_posts_id": {}, **HINTED}


def test_row11_columns_on_declared_schema(tmp_path: Path, tap: t.Callable[..., TapGenericRest]) -> None:
    import json

    (tmp_path / "x.json").write_text(json.dumps({"type": "object", "properties": {
        "id": {"type": ["string", "null"]}, "name": {"type": "string"}, "other": {"type": "string"}}}), "utf-8")
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "schema": "x.json", "columns": {
        "id": {"data_type": "bigint", "nullable": False}, "name": {"nullable": True},
        "blob": {"data_type": "binary"}, "at": {"data_type": "time", "nullable": False},
        "n": {"data_type": "double"}, "w": {"data_type": "wei"}, "s": {"data_type": "text"}}}]}
    assert tap(config).streams["x"].schema["properties"] == {
        "id": {"type": ["integer"]}, "name": {"type": ["string", "null"]}, "other": {"type": "string"},
        "blob": {"type": ["string", "null"]}, "at": {"type": ["string"], "format": "time"},
        "n": {"type": ["number", "null"]}, "w": {"type": ["number", "null"]}, "s": {"type": ["string", "null"]}}


@pytest.mark.parametrize(("hint", "message"), [
    ({"data_type": "varchar"}, r"resources\[0\].columns.id: data_type 'varchar' is not one of: text, bigint"),
    ({"nullable": "no"}, r"resources\[0\].columns.id: nullable must be true or false"),
])
def test_row11_columns_bad_hint_is_refused(hint: dict[str, t.Any], message: str,
                                           tap: t.Callable[..., TapGenericRest]) -> None:
    config = {"client": {"base_url": BASE}, "resources": [{"name": "x", "columns": {"id": hint}}]}
    with pytest.raises(DescriptionError, match=message):
        _ = tap(config).description
