"""Where requests go: parent values stay inside their path segment, credentials stay on their host,
TLS verification stays on.

The CLI's ``main`` runs in this process against requests-mock, whose request history is exactly
what would have gone over the wire.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import urlsplit

import pytest
import requests_mock as rm

from tap_generic_rest.settings import CONFIG_SCHEMA
from tap_generic_rest.tap import TapGenericRest
from tests.safety.helpers import (
    BASE_URL,
    FAST,
    assert_mentions,
    child,
    object_schema,
    resource,
    run_cli,
    write_description,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.safety.helpers import TapRun

HOSTILE_ID = "a/../b?x#y"
KIDS = {"kids.json": object_schema("id", "app_id")}
TOKEN = "bearer-token-for-api-test"
KEY = "header-key-for-api-test"
BEARER_SETTING = {"type": "bearer", "token": "{{ config.access_token }}"}
NEXT_URL = {"paginator": {"type": "json_link", "next_url_path": "next"}}


@pytest.fixture
def api(requests_mock: rm.Mocker) -> rm.Mocker:
    """requests-mock answering 404 wherever no test route matches (later routes win)."""
    requests_mock.register_uri(rm.ANY, rm.ANY, status_code=404, json={"error": "no route"})
    return requests_mock


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> t.Callable[..., TapRun]:
    """Sync a description of ``resources`` through the CLI, with ``settings`` added to the config."""

    def run(*resources: dict[str, t.Any], auth: dict[str, t.Any] | None = None, **settings: t.Any) -> TapRun:
        path = write_description(tmp_path, *resources, auth=auth, schemas=KIDS)
        return run_cli(capsys, config={"api_description": str(path), **FAST, **settings}, directory=tmp_path)

    return run


def paths(api: rm.Mocker) -> list[str]:
    """The raw paths requested, in order (requests-mock's ``.path`` would lower-case them)."""
    return [urlsplit(request.url).path for request in api.request_history]


# -- parent values in child paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    "child_path", ["/apps/{resources.apps.id}/kids", "apps/{resources.apps.id}/kids"], ids=["placeholder", "template"]
)
def test_a_parent_id_is_percent_encoded_into_one_path_segment(
    child_path: str, api: rm.Mocker, cli: t.Callable[..., TapRun]
) -> None:
    api.get(f"{BASE_URL}/apps", json={"data": [{"id": HOSTILE_ID}]})
    api.get(re.compile(r"^https://api\.test/apps/[^/]+/kids$"), json={"data": [{"id": "k1"}]})

    run = cli(resource("apps", "/apps"), child("kids", "apps", child_path, schema="kids.json")).succeeded()

    assert [request.url for request in api.request_history] == [
        f"{BASE_URL}/apps",
        f"{BASE_URL}/apps/a%2F..%2Fb%3Fx%23y/kids",
    ]
    assert run.records("kids") == [{"id": "k1", "app_id": HOSTILE_ID}]  # the record keeps the raw value


def test_a_parent_id_in_a_query_parameter_is_encoded(api: rm.Mocker, cli: t.Callable[..., TapRun]) -> None:
    api.get(f"{BASE_URL}/apps", json={"data": [{"id": HOSTILE_ID}]})
    api.get(f"{BASE_URL}/kids", json={"data": [{"id": "k1"}]})
    kids = child("kids", "apps", "/kids", schema="kids.json", endpoint={"params": {"app": "{resources.apps.id}"}})

    cli(resource("apps", "/apps"), kids).succeeded()

    assert api.request_history[-1].url == f"{BASE_URL}/kids?app=a%2F..%2Fb%3Fx%23y"
    assert api.request_history[-1].qs == {"app": [HOSTILE_ID]}


@pytest.mark.parametrize("parent_id", ["..", "."])
def test_a_dot_segment_parent_id_cannot_leave_its_path_segment(
    parent_id: str, api: rm.Mocker, cli: t.Callable[..., TapRun]
) -> None:
    api.get(f"{BASE_URL}/apps", json={"data": [{"id": parent_id}]})
    api.get(re.compile(r"^https://api\.test/.*kids$"), json={"data": [{"id": "k1"}]})

    run = cli(resource("apps", "/apps"), child("kids", "apps", schema="kids.json"))

    assert all(path == "/apps" or re.fullmatch(r"/apps/[^/]+/kids", path) for path in paths(api)), paths(api)
    if run.returncode:
        run.error()


# -- next URLs and redirects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.test/steal",
        "//evil.test/steal",
        "https://api.test:8443/steal",
        "https://api.test@evil.test/steal",
    ],
)
def test_a_next_url_on_another_host_is_refused(next_url: str, api: rm.Mocker, cli: t.Callable[..., TapRun]) -> None:
    api.get(f"{BASE_URL}/items", json={"data": [{"id": "1"}], "next": next_url})

    run = cli(resource(endpoint=NEXT_URL), auth=BEARER_SETTING, access_token=TOKEN)

    line = run.error()
    assert_mentions(
        line,
        "stream items: ",
        "points at another scheme or host than https://api.test/items",
        "refusing to send credentials",
    )
    assert [request.netloc for request in api.request_history] == ["api.test"]
    assert TOKEN not in run.stderr


def test_a_next_url_downgrading_to_http_is_refused(api: rm.Mocker, cli: t.Callable[..., TapRun]) -> None:
    api.get(f"{BASE_URL}/items", json={"data": [{"id": "1"}], "next": "http://api.test/items?page=2"})

    run = cli(resource(endpoint=NEXT_URL), auth=BEARER_SETTING, access_token=TOKEN)

    assert [request.scheme for request in api.request_history] == ["https"]
    run.error()


def test_a_redirect_to_another_host_does_not_carry_the_api_key(api: rm.Mocker, cli: t.Callable[..., TapRun]) -> None:
    api.get(f"{BASE_URL}/items", status_code=302, headers={"Location": "https://evil.test/collect"})
    api.get("https://evil.test/collect", json={"data": [{"id": "stolen"}]})

    cli(resource(), auth={"type": "api_key", "name": "X-API-Key", "key": "api_key"}, api_key=KEY)

    leaked = [
        request.url
        for request in api.request_history
        if request.netloc == "evil.test" and request.headers.get("X-API-Key")
    ]
    assert not leaked


def test_a_redirect_to_another_host_does_not_carry_the_bearer_token(
    api: rm.Mocker, cli: t.Callable[..., TapRun]
) -> None:
    """requests drops Authorization on a cross-host redirect (the tap relies on it for Bearer and Basic)."""
    api.get(f"{BASE_URL}/items", status_code=302, headers={"Location": "https://evil.test/collect"})
    api.get("https://evil.test/collect", json={"data": [{"id": "1"}]})

    cli(resource(), auth=BEARER_SETTING, access_token=TOKEN)

    assert all(
        "Authorization" not in request.headers for request in api.request_history if request.netloc == "evil.test"
    )


# -- TLS --------------------------------------------------------------------------------------------

INSECURE_SETTINGS = {"verify": False, "verify_ssl": False, "ssl_verify": False, "insecure": True, "tls_verify": False}


def test_no_setting_can_turn_tls_verification_off() -> None:
    names = set(CONFIG_SCHEMA["properties"])

    assert not names & set(INSECURE_SETTINGS)
    assert not [name for name in names if re.search(r"verif|insecure|ssl|tls|cert", name)]


@pytest.mark.parametrize("settings", [{}, INSECURE_SETTINGS], ids=["defaults", "unknown-insecure-settings"])
def test_requests_verify_tls(settings: dict[str, t.Any], api: rm.Mocker, cli: t.Callable[..., TapRun]) -> None:
    api.get(f"{BASE_URL}/items", json={"data": [{"id": "1"}]})

    cli(resource(), **settings).succeeded()

    assert api.request_history
    assert all(request.verify is True for request in api.request_history)


def test_the_sessions_verify_tls(api: rm.Mocker, tmp_path: Path) -> None:
    """The stream's session and the OAuth token session keep ``verify`` on."""
    auth = {
        "type": "oauth2_client_credentials",
        "client_id": "{{ config.client_id }}",
        "client_secret": "{{ config.client_secret }}",
        "access_token_url": f"{BASE_URL}/oauth/token",
    }
    api.post(f"{BASE_URL}/oauth/token", json={"access_token": "issued-token-1", "expires_in": 3600})
    api.get(f"{BASE_URL}/items", json={"data": [{"id": "1"}]})
    path = write_description(tmp_path, resource(), auth=auth)
    config = {"api_description": str(path), "client_id": "cid-123", "client_secret": "csecret-123", **INSECURE_SETTINGS}
    tap = TapGenericRest(config=config, parse_env_config=False)
    stream = tap.streams["items"]

    list(stream.get_records(None))

    assert stream.requests_session.verify is True
    assert stream.authenticator._token_session.verify is True  # type: ignore[attr-defined]
    token_request, data_request = api.request_history
    assert token_request.verify not in (False, None, "")  # True, or the CA bundle of REQUESTS_CA_BUNDLE
    assert data_request.verify is True
