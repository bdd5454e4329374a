"""GenericStream against bare responses: headers, parents, errors, retries, records, incremental."""

from __future__ import annotations

import base64
import logging
import typing as t

import pytest

from tap_generic_rest import __version__
from tap_generic_rest.errors import StreamError

if t.TYPE_CHECKING:
    import requests_mock as rm

    from tap_generic_rest.tap import TapGenericRest

URL = "https://api.test/items"
TOKEN = "tok-9f8e7d6c5b4a"
BEARER = {"type": "bearer", "token": "{{ config.api_key }}"}
KIDS = "https://api.test/apps"


def ids(*names: str) -> list[dict[str, str]]:
    return [{"id": name} for name in names]


@pytest.fixture
def items_tap(make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """A tap with one ``items`` resource at /items (bearer auth); ``fields`` change the resource."""

    def make(config: dict[str, t.Any] | None = None, **fields: t.Any) -> TapGenericRest:
        return make_tap(resource(**fields), auth=BEARER, config={"api_key": TOKEN, **(config or {})})

    return make


@pytest.fixture
def read_items(items_tap: t.Callable[..., TapGenericRest]) -> t.Callable[..., list[dict[str, t.Any]]]:
    def read(config: dict[str, t.Any] | None = None, **fields: t.Any) -> list[dict[str, t.Any]]:
        return list(items_tap(config, **fields).streams["items"].get_records(None))

    return read


@pytest.fixture
def make_family(make_tap: t.Callable[..., TapGenericRest], resource: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``apps`` (at /apps) and its child ``kids`` at ``kids_path``, ``app_id`` from the app's ``id``."""

    def make(kids_path: str = "/apps/{resources.apps.id}/kids") -> TapGenericRest:
        kids = resource("kids", kids_path, parent_fields={"app_id": "id"}, endpoint={"paginator": "single_page"})
        return make_tap(resource("apps", "/apps"), kids, auth=BEARER, config={"api_key": TOKEN})

    return make


# -- requests ------------------------------------------------------------------------------------------


def test_default_headers_and_bearer_auth(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, json={"data": ids("1")})
    assert read_items() == ids("1")
    headers = requests_mock.last_request.headers
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == f"tap-generic-rest/{__version__}"
    assert headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(("password", "expected"), [("pw", b"key-123:pw"), ("", b"key-123:")])
def test_basic_auth_header(
    requests_mock: rm.Mocker, records_of: t.Callable[..., t.Any], password: str, expected: bytes
) -> None:
    requests_mock.get(URL, json={"data": []})
    auth = {"type": "http_basic", "username": "{{ config.api_key }}", "password": "{{ config.password }}"}
    records_of(auth=auth, config={"api_key": "key-123", "password": password})
    assert requests_mock.last_request.headers["Authorization"] == "Basic " + base64.b64encode(expected).decode()


def test_server_side_start_point_is_integer_seconds(
    requests_mock: rm.Mocker,
    records_of: t.Callable[..., t.Any],
    resource: t.Callable[..., t.Any],
    schema: t.Callable[..., t.Any],
) -> None:
    requests_mock.post(URL, json={"data": []})
    search = resource(
        schema="search.json",
        endpoint={"method": "POST", "json": {"value": "{incremental.start_value}"},
                  "incremental": {"cursor_path": "updated_at"}},
    )
    records_of(
        search,
        schemas={"search.json": schema("id", "updated_at", types={"updated_at": {"type": ["integer", "null"]}})},
        config={"start_date": "2024-06-27T00:00:00.900Z"},
    )
    assert requests_mock.last_request.json() == {"value": 1719446400}


# -- parents and children ------------------------------------------------------------------------------


@pytest.mark.parametrize("kids_path", ["/apps/{resources.apps.id}/kids", "apps/{resources.apps.id}/kids"])
def test_parent_value_is_percent_encoded_and_added_to_child_records(
    requests_mock: rm.Mocker, make_family: t.Callable[..., TapGenericRest], sync: t.Callable[..., t.Any], kids_path: str
) -> None:
    requests_mock.get(KIDS, json={"data": ids("a/../b?x#y")})
    requests_mock.get(f"{KIDS}/a%2F..%2Fb%3Fx%23y/kids", json={"data": [{"id": "k1", "app_id": "server's"}]})
    emitted = sync(make_family(kids_path))
    assert [request.url for request in requests_mock.request_history] == [KIDS, f"{KIDS}/a%2F..%2Fb%3Fx%23y/kids"]
    assert emitted == {"apps": ids("a/../b?x#y"), "kids": [{"id": "k1", "app_id": "a/../b?x#y"}]}


def test_child_404_skips_that_parent_with_a_warning(
    requests_mock: rm.Mocker,
    make_family: t.Callable[..., TapGenericRest],
    sync: t.Callable[..., t.Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    requests_mock.get(KIDS, json={"data": ids("gone", "here")})
    requests_mock.get(
        f"{KIDS}/gone/kids",
        status_code=404,
        reason="Not Found",
        json={"code": "not_found", "detail": "Entity not found"},
    )
    requests_mock.get(f"{KIDS}/here/kids", json={"data": ids("k1")})
    with caplog.at_level(logging.WARNING):
        emitted = sync(make_family())
    assert emitted == {"apps": ids("gone", "here"), "kids": [{"id": "k1", "app_id": "here"}]}
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        f"stream kids: HTTP 404 Not Found from GET {KIDS}/gone/kids: "
        '{"code": "not_found", "detail": "Entity not found"}; '
        "check base_url and the resource's endpoint.path; skipping parent {'app_id': 'gone'}"
    ]


def test_top_level_404_is_an_error(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, status_code=404, reason="Not Found", text="no such route")
    with pytest.raises(StreamError) as caught:
        read_items()
    assert str(caught.value) == (
        f"stream items: HTTP 404 Not Found from GET {URL}: no such route; "
        "check base_url and the resource's endpoint.path"
    )


# -- retries (contract 1.3) ----------------------------------------------------------------------------


def test_429_with_retry_after_then_success(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(
        URL, [{"status_code": 429, "headers": {"Retry-After": "0"}, "json": {}}, {"json": {"data": ids("1")}}]
    )
    assert read_items() == ids("1")
    assert requests_mock.call_count == 2


def test_three_503_then_success(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, [{"status_code": 503, "json": {}}] * 3 + [{"json": {"data": ids("1")}}])
    assert read_items() == ids("1")
    assert requests_mock.call_count == 4


def test_four_503_fail_naming_status_and_url(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, status_code=503, reason="Service Unavailable", json={"error": "server_error"})
    with pytest.raises(StreamError) as caught:
        read_items()
    assert requests_mock.call_count == 4
    assert str(caught.value) == (
        f'stream items: HTTP 503 Service Unavailable from GET {URL}: {{"error": "server_error"}}; '
        "the API answered with an error (gave up after 4 attempts)"
    )


def test_max_retries_setting(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, status_code=500, json={})
    with pytest.raises(StreamError, match=r"\(gave up after 2 attempts\)$"):
        read_items({"max_retries": 1})
    assert requests_mock.call_count == 2


def test_backoff_waits(items_tap: t.Callable[..., TapGenericRest]) -> None:
    class FailureError(Exception):
        def __init__(self, retry_after: str | None) -> None:
            self.response = type("R", (), {"headers": {"Retry-After": retry_after} if retry_after else {}})()

    waits = items_tap({"backoff_factor": 2}).streams["items"].backoff_wait_generator()
    next(waits)
    sent = [waits.send(FailureError(header)) for header in (None, None, "7", None)]
    assert sent == [2.0, 4.0, 7.0, 16.0]


def test_401_fails_at_once_without_the_token(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(
        URL,
        status_code=401,
        reason="Unauthorized",
        json={"code": "authentication_failed", "detail": f"bad token {TOKEN}"},
    )
    with pytest.raises(StreamError) as caught:
        read_items()
    assert requests_mock.call_count == 1
    message = str(caught.value)
    assert TOKEN not in message
    assert message == (
        f'stream items: HTTP 401 Unauthorized from GET {URL}: {{"code": "authentication_failed", '
        '"detail": "bad token ****"}; check the credential settings (api_key)'
    )


def test_401_hides_a_credential_from_a_custom_setting(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest]
) -> None:
    secret = "custom-secret-3c2b1a"
    requests_mock.get(URL, status_code=401, reason="Unauthorized", json={"detail": f"bad token {secret}"})
    tap = make_tap(auth={"type": "bearer", "token": "{{ config.github_token }}"}, config={"github_token": secret})
    with pytest.raises(StreamError) as caught:
        list(tap.streams["items"].get_records(None))
    assert secret not in str(caught.value)


def test_oauth_invalid_token_renews_the_token_once(
    requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest]
) -> None:
    token_url = "https://api.test/oauth/token"
    requests_mock.post(token_url, [{"json": {"access_token": name, "expires_in": 3600}} for name in ("t1", "t2")])
    requests_mock.get(URL, [{"status_code": 401, "json": {"error": "invalid_token"}}, {"json": {"data": ids("1")}}])
    auth = {
        "type": "oauth2_client_credentials",
        "client_id": "{{ config.client_id }}",
        "client_secret": "{{ config.client_secret }}",
        "access_token_url": token_url,
    }
    tap = make_tap(auth=auth, config={"client_id": "client-id-5e6f", "client_secret": "client-secret-5e6f"})
    assert list(tap.streams["items"].get_records(None)) == ids("1")
    data_requests = [request for request in requests_mock.request_history if request.url == URL]
    assert [request.headers["Authorization"] for request in data_requests] == ["Bearer t1", "Bearer t2"]


# -- responses and records -----------------------------------------------------------------------------


def test_non_json_body_is_a_clear_error(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, text="<html>oops</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(StreamError) as caught:
        read_items()
    assert str(caught.value) == (
        f"stream items: response from {URL}: the response is not valid JSON (text/html, 17 bytes, starts with "
        "b'<html>oops</html>'); check base_url and that the endpoint returns JSON"
    )


def test_data_selector_matching_nothing(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, json={"items": [], "total": 0})
    with pytest.raises(StreamError) as caught:
        read_items()
    assert str(caught.value) == (
        f"stream items: response from {URL}: data_selector 'data' matched nothing (the response has: items, total); "
        "fix endpoint.data_selector"
    )


def test_scalar_records(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, json={"tags": ["Customer", "SEO"]})
    records = read_items(primary_key="tag", records={"scalar_key": "tag"}, endpoint={"data_selector": "tags"})
    assert records == [{"tag": "Customer"}, {"tag": "SEO"}]


def test_scalar_without_scalar_key(requests_mock: rm.Mocker, read_items: t.Callable[..., t.Any]) -> None:
    requests_mock.get(URL, json={"data": ["Customer"]})
    with pytest.raises(StreamError) as caught:
        read_items()
    assert str(caught.value) == (
        f"stream items: response from {URL}: a selected item is str 'Customer', not an object; point data_selector "
        "at a list of objects, or set records.scalar_key"
    )


def test_missing_primary_key_value(
    requests_mock: rm.Mocker, items_tap: t.Callable[..., TapGenericRest], sync: t.Callable[..., t.Any]
) -> None:
    requests_mock.get(URL, json={"data": [{"id": "1"}, {"name": "no id"}]})
    with pytest.raises(StreamError) as caught:
        sync(items_tap())
    assert str(caught.value) == (
        f"stream items: response from {URL}: a record has no value for primary key 'id' (record keys: name); "
        "fix primary_key in the description"
    )


# -- client-side incremental (contract 1.5) ------------------------------------------------------------

UPDATED = [
    {"id": "fraction-after", "updatedAt": "2024-05-01T12:00:00.5Z"},
    {"id": "equal", "updatedAt": "2024-05-01T12:00:00Z"},
    {"id": "before", "updatedAt": "2024-05-01T11:59:59.999Z"},
    {"id": "offset-equal", "updatedAt": "2024-05-01T14:00:00+02:00"},
    {"id": "offset-before", "updatedAt": "2024-05-01T13:59:59+02:00"},
    {"id": "null", "updatedAt": None},
]
KEPT = ["fraction-after", "equal", "offset-equal", "null"]


@pytest.fixture
def incremental_tap(requests_mock: rm.Mocker, items_tap: t.Callable[..., TapGenericRest]) -> t.Callable[..., t.Any]:
    """A client-side incremental ``items`` stream from 2024-05-01T12:00:00Z serving ``records``."""

    def make(records: list[dict[str, t.Any]]) -> TapGenericRest:
        requests_mock.get(URL, json={"data": records})
        return items_tap({"start_date": "2024-05-01T12:00:00Z"}, endpoint={"incremental": {
            "cursor_path": "updatedAt", "on_cursor_value_missing": "include"}})

    return make


def test_client_side_filter_compares_instants(incremental_tap: t.Callable[..., TapGenericRest]) -> None:
    records = incremental_tap([*UPDATED, {"id": "absent"}]).streams["items"].get_records(None)
    assert [record["id"] for record in records] == [*KEPT, "absent"]


def test_client_side_filter_in_a_sync(
    incremental_tap: t.Callable[..., TapGenericRest], sync: t.Callable[..., t.Any]
) -> None:
    assert [record["id"] for record in sync(incremental_tap(UPDATED))["items"]] == KEPT


def test_record_without_replication_key_is_emitted_in_a_sync(
    incremental_tap: t.Callable[..., TapGenericRest], sync: t.Callable[..., t.Any]
) -> None:
    assert [record["id"] for record in sync(incremental_tap([{"id": "absent"}]))["items"]] == ["absent"]


@pytest.mark.parametrize("deselected", [(), ("name",), ("name", "tag")])
def test_deselected_properties_are_not_emitted(
    deselected: tuple[str, ...], requests_mock: rm.Mocker, make_tap: t.Callable[..., TapGenericRest],
    sync: t.Callable[..., t.Any],
) -> None:
    """A catalog that deselects properties: they leave every record; with none deselected all stay."""
    from tap_generic_rest.tap import TapGenericRest
    requests_mock.get(URL, json={"data": [{"id": "1", "name": "a", "tag": "t", "app_id": "x"}]})
    catalog = make_tap().catalog_dict
    for entry in catalog["streams"][0]["metadata"]:
        if entry["breadcrumb"] == []:
            entry["metadata"]["selected"] = True
        elif entry["breadcrumb"][-1] in deselected:
            entry["metadata"]["selected"] = False
    tap = TapGenericRest(config=dict(make_tap().config), catalog=catalog, parse_env_config=False)
    [record] = sync(tap)["items"]
    assert set(record) == {"id", "name", "tag", "app_id"} - set(deselected)
