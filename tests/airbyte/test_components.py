"""Single components mapped (small manifests built here): the variants the corpus files do not show."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import pytest

from tap_generic_rest.importers.airbyte.manifest import Imported, import_manifest

STREAM: dict[str, t.Any] = {
    "type": "DeclarativeStream", "name": "things", "primary_key": "id",
    "retriever": {"type": "SimpleRetriever",
                  "requester": {"type": "HttpRequester", "url_base": "https://api.example.com", "path": "/things"},
                  "record_selector": {"type": "RecordSelector",
                                      "extractor": {"type": "DpathExtractor", "field_path": ["data"]}}}}


def imported(**changes: t.Any) -> Imported:
    """A one-stream manifest with ``changes`` ("retriever.paginator": {...}) applied."""
    stream = copy.deepcopy(STREAM)
    for dotted, value in changes.items():
        node = stream
        *keys, last = dotted.split("__")
        for key in keys:
            node = node[key]
        node[last] = value
    return import_manifest(Path("manifest.yaml"), {"version": "6.0.0", "type": "DeclarativeSource",
                                                   "streams": [stream]})


def endpoint(**changes: t.Any) -> dict[str, t.Any]:
    result = imported(**changes)
    assert result.issues.refusals == []
    return t.cast("dict[str, t.Any]", result.description["resources"][0]["endpoint"])


def option(where: str, name: str) -> dict[str, str]:
    return {"type": "RequestOption", "inject_into": where, "field_name": name}


def cursor(value: str, token: object = None, **more: t.Any) -> dict[str, t.Any]:
    paginator = {"type": "DefaultPaginator",
                 "pagination_strategy": {"type": "CursorPagination", "cursor_value": value, **more}}
    return paginator if token is None else {**paginator, "page_token_option": token}


@pytest.mark.parametrize(("paginator", "expected"), [
    (cursor("{{ last_record['id'] }}", option("request_parameter", "after")),
     {"type": "cursor", "cursor_path": "data[-1].id", "cursor_param": "after"}),
    (cursor("{{ response.meta.next }}", {"type": "RequestOption", "inject_into": "body_json",
                                        "field_path": ["page", "cursor"]}),
     {"type": "cursor", "cursor_path": "meta.next", "cursor_body_path": "page.cursor"}),
    (cursor("{{ headers['X-Next'] }}", option("request_parameter", "cursor")),
     {"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "cursor"}),
    ({"type": "DefaultPaginator", "page_token_option": option("request_parameter", "p"),
      "pagination_strategy": {"type": "PageIncrement", "start_from_page": 1}},
     {"type": "page_number", "base_page": 1, "page": 1, "page_param": "p", "total_path": None}),
    ({"type": "DefaultPaginator", "page_token_option": option("body_json", "offset"),
      "page_size_option": option("body_json", "size"),
      "pagination_strategy": {"type": "OffsetIncrement", "page_size": 100}},
     {"type": "offset", "limit": 100, "offset_body_path": "offset", "total_path": None, "limit_body_path": "size"}),
    ({"type": "NoPagination"}, "single_page"),
])
def test_paginators(paginator: dict[str, t.Any], expected: object) -> None:
    assert endpoint(retriever__paginator=paginator)["paginator"] == expected


@pytest.mark.parametrize(("paginator", "refusal"), [
    (cursor("{{ response.next }}", option("header", "X-Cursor")),
     "streams[0].retriever.paginator.page_token_option: a page token in a header or form body is not supported"),
    (cursor("{{ response.pages | last }}", option("request_parameter", "c")),
     "streams[0].retriever.paginator.pagination_strategy.cursor_value: cursor_value '{{ response.pages | last }}' "
     "is not supported (a response field, the last record's field or a header is)"),
    (cursor("{{ response.next }}"), "streams[0].retriever.paginator.page_token_option: no page_token_option and no "
     "request parameter reads next_page_token: where the token goes is unknown"),
    ({"type": "DefaultPaginator", "page_token_option": option("request_parameter", "offset"),
      "pagination_strategy": {"type": "OffsetIncrement"}},
     "streams[0].retriever.paginator.pagination_strategy.page_size: OffsetIncrement without a literal page_size is "
     "not supported (the offset steps by it)"),
    (cursor("{{ response.next }}", option("request_parameter", "c"), decoder={"type": "XmlDecoder"}),
     "streams[0].retriever.paginator.pagination_strategy.decoder: the option 'decoder' of CursorPagination is not "
     "supported"),
])
def test_paginator_refusals(paginator: dict[str, t.Any], refusal: str) -> None:
    assert imported(retriever__paginator=paginator).issues.refusals == [refusal]


def test_post_bodies_and_url() -> None:
    found = endpoint(retriever__requester={
        "type": "HttpRequester", "url": "https://other.example.com/graphql", "http_method": "POST",
        "request_body": {"type": "RequestBodyGraphQL", "value": {"query": "{ things { id } }"}}})
    assert found["method"] == "POST"
    assert found["json"] == {"query": "{{ things {{ id }} }}"}  # literal braces escaped for our brace rule
    assert found["path"] == "https://other.example.com/graphql"
    form = endpoint(retriever__requester__request_body_data={"q": "x", "since": "{{ config['since'] }}"})
    assert form["data"] == {"q": "x", "since": "{{ config.since }}"}


def test_oauth_client_credentials_with_scopes() -> None:
    result = imported(retriever__requester__authenticator={"type": "SelectiveAuthenticator",
                                                           "authenticators": {}, "authenticator_selection_path": []})
    assert result.issues.refusals == ["streams[0].retriever.requester.authenticator: SelectiveAuthenticator is not "
                                      "supported"]
    auth = imported(retriever__requester__authenticator={
        "type": "OAuthAuthenticator", "grant_type": "client_credentials",
        "token_refresh_endpoint": "https://api.example.com/token", "client_id": "{{ config.client_id }}",
        "client_secret": "{{ config.client_secret }}", "scopes": ["a", "b"], "refresh_request_body": {"x": "1"}},
    ).description["client"]["auth"]
    assert auth == {"type": "oauth2_client_credentials", "access_token_url": "https://api.example.com/token",
                    "client_id": "{{ config.client_id }}", "client_secret": "{{ config.client_secret }}",
                    "access_token_request_data": {"x": "1", "scope": "a b"}}


@pytest.mark.parametrize(("cursor_changes", "refusal"), [
    ({"datetime_format": "%s_as_float"}, "incremental_sync.datetime_format: the format %s_as_float is not supported"),
    ({"lookback_window": "P1M"}, "incremental_sync.lookback_window: lookback_window 'P1M' in months or years"),
    ({"step": "{{ config['step'] }}"}, "incremental_sync.step: \"{{ config['step'] }}\": an interpolated duration"),
    ({"start_datetime": {"type": "MinMaxDatetime", "datetime": "2024-01-01", "min_datetime": "2023-01-01"}},
     "incremental_sync.start_datetime.min_datetime: min_datetime is not supported"),
])
def test_cursor_refusals(cursor_changes: dict[str, t.Any], refusal: str) -> None:
    incremental = {"type": "DatetimeBasedCursor", "cursor_field": "updated", "datetime_format": "%Y-%m-%d",
                   "start_datetime": "2024-01-01", **cursor_changes}
    refusals = imported(incremental_sync=incremental).issues.refusals
    assert len(refusals) == 1
    assert refusals[0].startswith(f"streams[0].{refusal}")


@pytest.mark.parametrize(("decoder", "expected"), [
    ({"type": "XmlDecoder"}, {"type": "xml"}),
    ({"type": "ZipfileDecoder", "decoder": {"type": "JsonlDecoder"}}, {"type": "jsonl", "compression": "zip"}),
    ({"type": "GzipDecoder", "decoder": {"type": "JsonDecoder"}}, {"type": "json", "compression": "gzip"}),
])
def test_decoders(decoder: dict[str, t.Any], expected: dict[str, t.Any]) -> None:
    assert endpoint(retriever__decoder=decoder)["decoder"] == expected


def test_substream_request_option_in_the_body_and_the_parent_is_kept_once() -> None:
    parent = copy.deepcopy(STREAM)
    child = copy.deepcopy(STREAM)
    child["name"] = "details"
    child["retriever"]["partition_router"] = {
        "type": "SubstreamPartitionRouter", "parent_stream_configs": [{
            "type": "ParentStreamConfig", "stream": parent, "parent_key": "meta/id", "partition_field": "thing",
            "request_option": {"type": "RequestOption", "inject_into": "body_json", "field_path": ["filter", "id"]}}]}
    result = import_manifest(Path("manifest.yaml"), {"version": "6", "type": "DeclarativeSource",
                                                     "streams": [parent, child]})
    assert result.issues.refusals == []
    assert [resource["name"] for resource in result.description["resources"]] == ["things", "details"]
    assert result.description["resources"][1]["endpoint"]["json"] == {"filter": {"id": "{resources.things.meta.id}"}}


def test_incrementing_count_cursor() -> None:
    found = endpoint(incremental_sync={"type": "IncrementingCountCursor", "cursor_field": "seq", "start_value": 100,
                                       "start_value_option": option("request_parameter", "after_seq")})
    assert found["incremental"] == {"cursor_path": "seq", "initial_value": 100, "start_param": "after_seq"}
