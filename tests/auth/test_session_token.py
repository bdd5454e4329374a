"""``type: session_token`` over real HTTP: a login request with credentials from settings, the session token read
from the JSON (a dotted path) or a header, sent as a header or a query parameter, renewed when
``expiration_duration`` passes or on a 401 (once), and a refused login in one line without the password."""

from __future__ import annotations

import json
import typing as t

from tests.auth.helpers import ITEMS, PAGINATOR, assert_no_secrets, ids, sync
from tests.auth.server import PASSWORD, USERNAME, AuthServer, AuthServerState
from tests.safety.helpers import FAST, resource, run_tap, write_description

if t.TYPE_CHECKING:
    from pathlib import Path

ALL_IDS = list(range(1, 13))
CREDENTIALS = {"username": USERNAME, "password": PASSWORD}
LOGIN = {"method": "POST", "path": "/login",
         "json": {"username": "{{ config.username }}", "password": "{{ config.password }}"}}


def session_auth(**fields: t.Any) -> dict[str, t.Any]:
    return {"type": "session_token", "login": LOGIN, "session_token_path": "data.session", **fields}


def logins(server: AuthServer) -> list[dict[str, t.Any]]:
    return [json.loads(body) for _, _, _, body in server.state.requests_to("/login")]


def test_login_then_the_session_on_every_request(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="session")) as server:
        run = sync(server, tmp_path, session_auth(), **CREDENTIALS).succeeded()
        assert ids(run) == ALL_IDS
        assert logins(server) == [{"username": USERNAME, "password": PASSWORD}]
        sessions = {headers["authorization"] for _, _, headers, _ in server.state.requests_to("/items")}
        assert sessions == {"Bearer session-1-xxxxxxxx"}


def test_a_session_from_a_header_sent_as_a_query_parameter(tmp_path: Path) -> None:
    auth = {"type": "session_token", "login": LOGIN, "session_token_header": "X-Session",
            "inject": {"type": "param", "name": "session"}}
    with AuthServer(AuthServerState(mode="session")) as server:
        run = sync(server, tmp_path, auth, **CREDENTIALS).succeeded()
        assert ids(run) == ALL_IDS
        targets = [target for _, target, _, _ in server.state.requests_to("/items")]
        assert all("session=session-1-" in target for target in targets), targets


def test_debug_logs_mask_the_session_in_urls(tmp_path: Path) -> None:
    auth = session_auth(inject={"type": "param", "name": "session"}, expiration_duration="PT1S")
    with AuthServer(AuthServerState(mode="session", session_ttl=1, delay=0.4, pages=4)) as server:
        run = sync(server, tmp_path, auth, env={"TAP_GENERIC_REST_LOGLEVEL": "DEBUG"}, **CREDENTIALS).succeeded()
        assert ids(run) == list(range(1, 17))
        assert len(logins(server)) >= 2
        assert "session=****" in run.stderr  # the debug lines name each URL: its session masked (and checked above)


def test_the_session_is_renewed_when_it_expires(tmp_path: Path) -> None:
    state = AuthServerState(mode="session", session_ttl=2, delay=0.5, pages=6)
    with AuthServer(state) as server:
        run = sync(server, tmp_path, session_auth(expiration_duration="PT2S"), **CREDENTIALS).succeeded()
        assert ids(run) == list(range(1, 25))
        assert len(logins(server)) >= 2
        assert "renewing it" not in run.stderr  # renewed before the server refused it


def test_a_401_logs_in_again_once(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="session", revoke_after_page=2)) as server:
        run = sync(server, tmp_path, session_auth(), **CREDENTIALS).succeeded()
        assert ids(run) == ALL_IDS
        assert len(logins(server)) == 2


def test_a_refused_login_is_one_line_without_the_password(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="session")) as server:
        line = sync(server, tmp_path, session_auth(), username=USERNAME, password="wrong-password-123").error()
        assert line.endswith("login request POST " + server.url + "/login failed: HTTP 401 Unauthorized; "
                             "check the settings it sends (password, username)")
        assert not server.state.requests_to("/items")


def test_no_token_at_the_path_is_one_line(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="session")) as server:
        line = sync(server, tmp_path, session_auth(session_token_path="data.token"), **CREDENTIALS).error()
        assert "has no session token at session_token_path 'data.token'" in line


def test_a_login_on_another_host_is_refused_before_any_request(tmp_path: Path) -> None:
    auth = session_auth(login={**LOGIN, "path": "http://elsewhere.test/login"})
    with AuthServer(AuthServerState(mode="session")) as server:
        line = sync(server, tmp_path, auth, **CREDENTIALS).error()
        assert "client.auth.login.path: http://elsewhere.test/login is not on the API's scheme, host and port" in line
        assert not server.state.received


def test_an_endpoint_auth_logs_in_again_once_on_a_401(tmp_path: Path) -> None:
    items = resource(endpoint={"paginator": PAGINATOR, "auth": session_auth()})
    with AuthServer(AuthServerState(mode="session", revoke_after_page=2)) as server:
        path = write_description(tmp_path, items, base_url=server.url, schemas={"items.json": ITEMS})
        run = run_tap(config={"api_description": str(path), **FAST, **CREDENTIALS}, directory=tmp_path).succeeded()
        assert ids(run) == ALL_IDS
        assert len(logins(server)) == 2
        assert_no_secrets(run, server)
