"""Each manifest of the corpus maps to exactly the description expected (the mapping of each component).

Extension keys of issues 18/19 (``partitions``, ``add_fields``, ``error_handler``, ``decoder``, ``report_job``,
new auth types, window keys) are checked on the emitted dict; the end-to-end cases are in test_e2e.py.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.manifest import Imported, import_manifest
from tests.airbyte.helpers import MANIFESTS


def mapped(name: str) -> Imported:
    return import_manifest(MANIFESTS / f"{name}.yaml")


def resources(name: str) -> dict[str, dict[str, t.Any]]:
    result = mapped(name)
    assert result.issues.refusals == []
    return {resource["name"]: resource for resource in result.description["resources"]}


def test_cursor_pages_children_refs_parameters_and_spec() -> None:
    result = mapped("cursor_and_children")
    assert result.issues.refusals == []
    assert result.issues.warnings == ["check: ignored (the tap checks a connection by --discover)"]
    assert result.description == {
        "client": {"base_url": "https://example.invalid", "auth": {
            "type": "api_key", "api_key": "{{ config.credentials_api_key }}", "name": "X-Api-Key",
            "location": "header"}},
        "resources": [
            {"name": "posts", "primary_key": "id", "endpoint": {
                "path": "{{ config.base_url }}/cursor/posts", "data_selector": "results",  # from $parameters
                "paginator": {"type": "cursor", "cursor_path": "cursors.next", "cursor_param": "cursor",
                              "stop_condition": "response.cursors.next is none"}}},
            {"name": "comments", "primary_key": "id", "endpoint": {
                "path": "{{ config.base_url }}/posts/{resources.posts.id}/comments", "data_selector": "data",
                "paginator": "single_page"}},
        ]}
    assert [(s.name, s.secret, s.required) for s in result.settings] == [
        ("base_url", False, True), ("credentials_api_key", True, False)]


def test_offset_and_page_number_paginators() -> None:
    items = resources("offset_pages")["items"]
    assert items["endpoint"]["paginator"] == {"type": "offset", "limit": 5, "offset_param": "offset",
                                              "total_path": None, "limit_param": "limit"}
    assert items["primary_key"] == "id"  # [[id]]
    assert items["endpoint"]["data_selector"] == "data"
    pages = resources("page_numbers")
    for name in ("articles", "briefs"):
        assert pages[name]["endpoint"]["paginator"] == {"type": "page_number", "base_page": 0, "page": 0,
                                                        "page_param": "page", "total_path": None}
        assert pages[name]["endpoint"]["params"] == {"per_page": 5}  # page_size_option, page size from a #/ ref
        assert pages[name]["endpoint"]["headers"] == {"X-Version": "2"}
    assert pages["briefs"]["endpoint"]["path"] == "{{ config.base_url }}/page_number_no_total/posts"


def test_link_header_next_url_and_next_page_token_parameter() -> None:
    found = resources("links")
    assert found["linked"]["endpoint"]["paginator"] == {"type": "header_link", "links_next_key": "next"}
    assert found["linked"]["endpoint"]["data_selector"] == "$"
    assert found["followed"]["endpoint"]["paginator"] == {"type": "json_link", "next_url_path": "next",
                                                          "stop_condition": "not response.next"}
    assert found["flagged"]["endpoint"]["paginator"] == {
        "type": "cursor", "cursor_path": "next_cursor", "cursor_param": "after",
        "stop_condition": "not response.has_more or (response.data | length) == 0"}
    assert "params" not in found["flagged"]["endpoint"]  # the token parameter became cursor_param


def test_datetime_cursors() -> None:
    found = resources("windows")
    assert found["metrics"]["endpoint"] == {
        "path": "/metrics", "data_selector": "rows", "paginator": "single_page",
        "params": {"granularity": "daily",
                   "window": "{{ stream_interval.start_time }}..{{ stream_interval.end_time }}"},
        "headers": {"X-From": "{incremental.start_value}"},
        "incremental": {"cursor_path": "day", "cursor_format": "%Y-%m-%d", "initial_value": "{{ config.earliest }}",
                        "end_value": "{{ config.latest }}", "step": "P30D", "cursor_granularity": "P1D",
                        "lag": 172800, "end_param": "until"}}
    assert found["metrics"]["primary_key"] == ["day", "metric"]
    events = found["events"]["endpoint"]
    assert events["incremental"] == {"cursor_path": "created", "cursor_format": "%s",
                                     "initial_value": "{{ day_delta(-30, format='%Y-%m-%dT%H:%M:%SZ') }}"}
    assert events["data_selector"] == "$.data[*].events"
    assert "params" not in events  # client-side incremental sends nothing
    assert any("is_data_feed" in line for line in mapped("windows").issues.warnings)


def test_start_date_and_now_are_the_taps_defaults() -> None:
    changes = resources("dated")["changes"]
    assert changes["endpoint"]["incremental"] == {"cursor_path": "updated_at", "cursor_format": "%Y-%m-%dT%H:%M:%SZ",
                                                  "start_param": "since"}
    assert mapped("dated").schemas["changes"]["properties"]["updated_at"]["format"] == "date-time"


def test_partitions_grouping_filter_and_transformations() -> None:
    found = resources("partitions_and_shaping")
    orders = found["orders"]
    assert orders["endpoint"]["path"] == "/regions/{region}/orders"
    assert orders["endpoint"]["params"] == {"channel": "{channel}"}
    assert orders["partitions"] == [{"name": "region", "values": ["eu", "us"]},
                                    {"name": "channel", "values": "{{ config.channels }}"}]
    assert orders["record_filter"] == "{{ record.status != 'deleted' and record.total > config.min_total }}"
    assert orders["add_fields"] == [
        {"path": ["source", "region"], "value": "{{ stream_partition.region }}"},
        {"path": ["total_cents"], "value": "{{ record.total * 100 }}", "value_type": "integer"}]
    assert orders["remove_fields"] == [["internal"], ["meta", "debug"]]
    assert found["line_items"]["endpoint"]["params"] == {"order_ids": "{resources.orders.id}"}
    assert found["line_items"]["group_parents"] == {"size": 20, "style": "join", "separator": ",",
                                                    "deduplicate": True}
    notes = found["order_notes"]
    assert notes["endpoint"]["headers"] == {"X-Order": "{resources.orders.id}"}
    assert notes["parent_fields"] == {"name": "customer.name"}  # extra_fields read by a template
    assert notes["add_fields"] == [{"path": ["customer_name"], "value": "{{ stream_slice.name }}"}]
    assert any("incremental_dependency" in line for line in mapped("partitions_and_shaping").issues.warnings)


def test_auth_flows() -> None:
    found = resources("auth_flows")
    assert found["refreshed"]["endpoint"]["auth"] == {
        "type": "oauth2_refresh_token", "access_token_url": "https://auth.example.com/oauth/token",
        "client_id": "{{ config.client_id }}", "client_secret": "{{ config.client_secret }}",
        "refresh_token": "{{ config.refresh_token }}", "scopes": ["read", "write"],
        "refresh_request_body": {"audience": "reports"}}
    assert found["sessions"]["endpoint"]["auth"] == {
        "type": "session_token", "login": {"method": "POST", "path": "https://auth.example.com/login", "json": {
            "username": "{{ config.username }}", "password": "{{ config.password }}"}},
        "session_token_path": "session.token", "expiration_duration": "PT1H",
        "inject": {"type": "header", "name": "X-Session"}}
    assert found["signed"]["endpoint"]["auth"] == {
        "type": "jwt", "secret_key": "{{ config.secret_key }}", "algorithm": "HS256", "token_duration": 600,
        "header_prefix": "Bearer", "jwt_headers": {"kid": "{{ config.key_id }}", "typ": "JWT"},
        "jwt_payload": {"iss": "{{ config.issuer }}", "aud": "api.example.com", "scope": "read"}}
    assert found["keyed"]["endpoint"]["auth"] == {"type": "api_key", "api_key": "{{ config.api_key }}",
                                                  "name": "key", "location": "query"}
    assert "auth" not in found["open"]["endpoint"]
    assert found["open"]["endpoint"]["path"] == "/open"  # path from $parameters.name


def test_error_handlers_and_decoders() -> None:
    found = resources("errors_and_decoders")
    exports = found["exports"]["endpoint"]
    assert exports["decoder"] == {"type": "csv", "delimiter": ";", "encoding": "latin-1", "compression": "gzip"}
    assert exports["error_handler"] == {
        "max_retries": 5,
        "backoff_strategies": [
            {"type": "wait_time_from_header", "header": "X-Wait", "regex": "([0-9.]+)",
             "max_waiting_time_in_seconds": 120},
            {"type": "wait_until_time_from_header", "header": "X-Reset", "min_wait": 1},
            {"type": "exponential", "factor": 2}],
        "response_filters": [
            {"http_codes": [403], "error_message_contains": "quota", "action": "rate_limited",
             "error_message": "quota exhausted: {{ response.error.message }}"},
            {"predicate": "{{ response.error.code == 'GONE' and headers[\"X-Reason\"] == 'archived' }}",
             "action": "ignore"},
            {"http_codes": [500], "action": "retry"}]}
    activity = found["activity"]["endpoint"]
    assert activity["decoder"] == {"type": "jsonl"}
    assert activity["error_handler"] == {"backoff_strategies": [{"type": "constant", "backoff_time_in_seconds": 10}]}


def test_report_job() -> None:
    report = resources("report_job")["sales_report"]
    assert "endpoint" not in report
    assert report["report_job"] == {
        "create": {"method": "POST", "path": "https://reports.example.com/v2/reports",
                   "json": {"kind": "sales", "currency": "{{ config.currency }}"}},
        "job_id_path": "report_id",
        "poll": {"method": "GET", "path": "https://reports.example.com/v2/reports/{job_id}", "status_path": "state",
                 "timeout": 900},
        "status_mapping": {"completed": ["done"], "failed": ["error"], "running": ["queued", "running"],
                           "timeout": ["expired"]},
        "download": {"url_path": "result.url", "decoder": {"type": "csv", "compression": "gzip"}}}
