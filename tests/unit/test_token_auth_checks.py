"""The auth types of issue 19 checked before any request: description errors at their exact path (secrets masked),
the refresh-token store's rules (atomic, 0600, preferred while it continues the setting's chain), and the settings
their values read."""

from __future__ import annotations

import json
import stat
import typing as t

import pytest
import requests

from tap_generic_rest.description.load import parse_description
from tap_generic_rest.errors import AuthError, DescriptionError
from tap_generic_rest.http.auth import build_auth
from tap_generic_rest.http.renewing import Injection, RenewingAuthenticator
from tap_generic_rest.http.session_token import duration_seconds
from tap_generic_rest.http.token_store import RefreshTokenStore
from tap_generic_rest.run.runtime import SharedAuthenticator

if t.TYPE_CHECKING:
    from pathlib import Path

PREFIX = "invalid API description test: "
ONE_PLACE = ("client.auth: session_token reads the token from one place: set session_token_path (a dotted path into "
             "the login response's JSON) or session_token_header (a response header), ")
LOGIN = {"path": "/login", "json": {"user": "{{ config.username }}", "password": "{{ config.password }}"}}


def error_of(auth: object, tmp_path: Path) -> str:
    (tmp_path / "items.json").write_text(json.dumps({"type": "object", "properties": {"id": {"type": "string"}}}))
    doc = {"client": {"base_url": "https://api.test", "auth": auth},
           "resources": [{"name": "items", "primary_key": "id", "schema": "items.json", "endpoint": {"path": "/i"}}]}
    with pytest.raises(DescriptionError) as caught:
        parse_description(doc, origin="test", root=tmp_path)
    return str(caught.value).removeprefix(PREFIX)


@pytest.mark.parametrize(("auth", "expected"), [
    pytest.param({"type": "session_token", "session_token_path": "token"},
                 "client.auth: missing required field 'login'; add it", id="no-login"),
    pytest.param({"type": "session_token", "login": LOGIN},
                 f"{ONE_PLACE}one of them",
                 id="no-token-place"),
    pytest.param({"type": "session_token", "login": LOGIN, "session_token_path": "t", "session_token_header": "X"},
                 f"{ONE_PLACE}not both", id="both-places"),
    pytest.param({"type": "session_token", "login": {"json": {}}, "session_token_path": "t"},
                 "client.auth.login: missing required field 'path'; add it", id="no-login-path"),
    pytest.param({"type": "session_token", "login": LOGIN, "session_token_path": "t", "expiration_duration": "1h"},
                 "client.auth.expiration_duration: '1h' is not an ISO 8601 duration of weeks, days, hours, minutes or "
                 "seconds; use e.g. PT1H", id="bad-duration"),
    pytest.param({"type": "session_token", "login": LOGIN, "session_token_path": "t", "inject": {"type": "body"}},
                 "client.auth.inject.type: 'body' is not allowed; use one of: header, param", id="bad-inject"),
    pytest.param("session_token", "client.auth: session_token needs its login request and session_token_path (or "
                 "session_token_header); write the auth as an object, e.g. {type: session_token, login: {path: "
                 "/login, json: ...}, session_token_path: token}", id="session-shorthand"),
    pytest.param({"type": "oauth2_refresh_token", "client_auth": "header"},
                 "client.auth.client_auth: 'header' is not allowed; use one of: body, basic", id="bad-client-auth"),
    pytest.param({"type": "oauth2_refresh_token", "refresh_token": "rt-literal-secret", "grant": "x"},
                 "client.auth: unknown field(s) 'grant'; allowed: access_token_name, access_token_url, client_auth, "
                 "client_id, client_secret, default_token_expiration, expires_in_name, refresh_request_body, "
                 "refresh_token, refresh_token_name, refresh_token_store, scopes, type", id="unknown-refresh-field"),
    pytest.param({"type": "jwt", "algorithm": "HS1"},
                 "client.auth.algorithm: 'HS1' is not allowed; use one of: HS256, HS384, HS512, RS256, RS384, RS512, "
                 "PS256, PS384, PS512, ES256, ES256K, ES384, ES512, ES521, EdDSA", id="unknown-algorithm"),
    pytest.param({"type": "jwt", "secret_key": "a-literal-key-99", "token_duration": 0},
                 "client.auth.token_duration: 0 is too small; use a number of at least 1", id="zero-duration"),
])
def test_bad_auths_name_the_exact_path(auth: object, expected: str, tmp_path: Path) -> None:
    assert error_of(auth, tmp_path) == expected


def test_a_literal_secret_is_masked_in_a_description_error(tmp_path: Path) -> None:
    line = error_of({"type": "jwt", "secret_key": ["a-literal-key-99"]}, tmp_path)
    assert line.startswith("client.auth.secret_key: expected string") and "a-literal-key-99" not in line


def test_jwt_algorithms_are_pyjwts_but_none() -> None:
    import jwt.algorithms

    from tap_generic_rest.description.schema import FORMAT_SCHEMA
    from tap_generic_rest.http.jwt_token import ALGORITHMS

    assert set(ALGORITHMS) == set(jwt.algorithms.get_default_algorithms()) - {"none"}
    assert FORMAT_SCHEMA["definitions"]["jwt_algorithm"]["enum"] == list(ALGORITHMS)


def test_every_setting_the_login_and_claims_read_is_required() -> None:
    session = build_auth({"type": "session_token", "login": LOGIN, "session_token_path": "t"})
    assert session.settings() == {"password": True, "username": True}
    assert session.missing({"username": "u"}) == ["password"]
    signed = build_auth({"type": "jwt", "secret_key": "{{ config.secret_key }}",
                         "jwt_payload": {"iss": "{{ config.issuer }}"}})
    assert signed.settings() == {"secret_key": True, "issuer": True}


@pytest.mark.parametrize(("text", "seconds"), [("PT1H", 3600), ("P1DT30M", 88200), ("PT0.5S", 0.5), ("P2W", 1209600)])
def test_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_the_store_is_written_atomically_owner_only_and_read_back(tmp_path: Path) -> None:
    store = RefreshTokenStore(str(tmp_path / "new" / "rt.json"), "configured-token")
    store.check()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert store.load() is None
    store.save("rotated-1")
    store.save("rotated-2")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["rt.json"]  # no temporary file left
    assert RefreshTokenStore(str(store.path), "configured-token").load() == "rotated-2"
    assert RefreshTokenStore(str(store.path), "a-new-authorization").load() is None  # the setting is newer


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "cannot be read (JSONDecodeError)"),
    ('{"refresh_token": ""}', "holds no refresh_token; delete the file to start again from the refresh_token setting"),
])
def test_a_broken_store_is_one_line_without_its_content(content: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "rt.json"
    path.write_text(content)
    with pytest.raises(AuthError) as caught:
        RefreshTokenStore(str(path), "configured").check()
    assert str(caught.value) == f"refresh_token_store {path}: {expected}"


def test_a_store_whose_folder_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(AuthError, match=r"refresh_token_store .*/file/rt\.json: cannot create its folder \("):
        RefreshTokenStore(str(tmp_path / "file" / "rt.json"), "configured").check()


class Sessions(RenewingAuthenticator):
    """Hands out session-1, session-2, ... as a query parameter."""

    def __init__(self) -> None:
        super().__init__(Injection("param", "sid", ""))
        self.count = 0

    def obtain(self) -> tuple[str, float | None]:
        self.count += 1
        return f"session-{self.count}", None


def test_workers_refused_with_the_same_session_renew_it_once() -> None:
    shared = SharedAuthenticator(Sessions())
    first = shared(requests.Request("GET", "https://api.test/items?page=1").prepare())
    second = shared(requests.Request("GET", "https://api.test/items?page=2").prepare())
    assert first.url == "https://api.test/items?page=1&sid=session-1"
    shared.renew(first)
    shared.renew(second)  # refused with the same session: already renewed
    third = shared(requests.Request("GET", "https://api.test/items?page=3").prepare())
    assert third.url == "https://api.test/items?page=3&sid=session-2"
    shared.renew(third)
    assert shared(requests.Request("GET", "https://api.test/items").prepare()).url.endswith("sid=session-3")


def test_the_algorithm_alone_names_alg_in_the_jwt_header() -> None:
    import jwt

    from tap_generic_rest.http.jwt_token import JwtSigner

    signer = JwtSigner(key="k" * 32, algorithm="HS256", duration=60, where="client.auth.secret_key",
                       headers={"alg": "none", "kid": "key-1"}, payload={"iss": "me"})
    token, lifetime = signer.signed()
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
    assert 0 < lifetime <= 60


def test_a_bare_type_name_reads_every_credential_from_its_setting(tmp_path: Path) -> None:
    (tmp_path / "items.json").write_text(json.dumps({"type": "object", "properties": {"id": {"type": "string"}}}))
    doc = {"client": {"base_url": "https://api.test", "auth": "oauth2_refresh_token"},
           "resources": [{"name": "items", "primary_key": "id", "schema": "items.json", "endpoint": {"path": "/i"}}]}
    auth = parse_description(doc, origin="test", root=tmp_path).auth
    assert auth.settings() == {"client_id": True, "client_secret": True, "refresh_token": True, "token_url": True}
    assert auth.missing({"client_id": "c", "refresh_token": "r"}) == ["client_secret", "token_url"]


def test_pyjwt_and_cryptography_load_only_for_a_jwt() -> None:
    import subprocess
    import sys

    code = "import sys, tap_generic_rest.tap; print(sorted({'jwt', 'cryptography'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert loaded.strip() == "[]"  # ~0.4 s of start-up that runs without a JWT do not pay
