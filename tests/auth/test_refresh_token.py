"""``type: oauth2_refresh_token`` over real HTTP: expiry and renewal, one renewal on a 401, rotation across two runs
through the store, client authentication in the body or with HTTP Basic, and no token in any output."""

from __future__ import annotations

import json
import stat
import typing as t
from urllib.parse import parse_qs

import pytest

from tests.auth.helpers import ids, sync
from tests.auth.server import CLIENT_ID, CLIENT_SECRET, FIRST_REFRESH_TOKEN, AuthServer, AuthServerState

if t.TYPE_CHECKING:
    from pathlib import Path

ALL_IDS = list(range(1, 13))
AUTH = {"type": "oauth2_refresh_token", "access_token_url": "/oauth/token"}
SETTINGS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": FIRST_REFRESH_TOKEN}


def refresh_auth(server: AuthServer, **fields: t.Any) -> dict[str, t.Any]:
    return {**AUTH, "access_token_url": f"{server.url}/oauth/token", **fields}


def token_requests(server: AuthServer) -> list[dict[str, list[str]]]:
    return [parse_qs(body) for _, _, _, body in server.state.requests_to("/oauth/token")]


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_client_authenticates_in_the_body_or_with_basic(client_auth: str, tmp_path: Path) -> None:
    with AuthServer(AuthServerState(client_auth=client_auth)) as server:
        run = sync(server, tmp_path, refresh_auth(server, client_auth=client_auth, scopes=["read", "write"],
                                                  refresh_request_body={"audience": "items"}), **SETTINGS).succeeded()
        assert ids(run) == ALL_IDS
        (form,) = token_requests(server)
        assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == [FIRST_REFRESH_TOKEN]
        assert form["scope"] == ["read write"] and form["audience"] == ["items"]
        assert ("client_secret" in form) == (client_auth == "body")


def test_the_wrong_client_authentication_is_one_line(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(client_auth="basic")) as server:
        line = sync(server, tmp_path, refresh_auth(server), **SETTINGS).error()
        assert "HTTP 401 invalid_client; check the client_id and client_secret settings" in line
        assert not server.state.requests_to("/items")


def test_the_token_is_renewed_before_it_expires(tmp_path: Path) -> None:
    state = AuthServerState(expires_in=2, delay=0.5, pages=6)
    with AuthServer(state) as server:
        run = sync(server, tmp_path, refresh_auth(server), **SETTINGS).succeeded()
        assert [record["id"] for record in run.records("items")] == list(range(1, 25))
        assert len(token_requests(server)) >= 2  # 6 pages of 0.5 s outlast a 2 s token
        assert not [r for r in state.requests_to("/items") if r[2]["authorization"].removeprefix("Bearer ")
                    not in state.issued]


def test_a_401_renews_the_token_once(tmp_path: Path) -> None:
    state = AuthServerState(revoke_after_page=1)  # the API revokes every access token after page 1
    with AuthServer(state) as server:
        run = sync(server, tmp_path, refresh_auth(server), **SETTINGS).succeeded()
        assert ids(run) == ALL_IDS
        assert len(token_requests(server)) == 2
        assert "renewing it and retrying once" in run.stderr


def test_a_401_also_after_renewal_is_one_line(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(refuse_all=True)) as server:
        line = sync(server, tmp_path, refresh_auth(server), **SETTINGS).error()
        assert "HTTP 401" in line and "(also with a renewed token)" in line
        assert len(token_requests(server)) == 2
        assert len(server.state.requests_to("/items")) == 2


def test_a_rotated_refresh_token_is_used_by_the_next_run(tmp_path: Path) -> None:
    store = tmp_path / "state" / "refresh_token.json"
    with AuthServer(AuthServerState(rotate=True)) as server:
        settings = {**SETTINGS, "refresh_token_store": str(store)}
        first = sync(server, tmp_path, refresh_auth(server), **settings).succeeded()
        assert ids(first) == ALL_IDS
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        kept = json.loads(store.read_text())["refresh_token"]
        assert kept in server.state.refresh_tokens and FIRST_REFRESH_TOKEN not in server.state.refresh_tokens
        assert kept not in first.stderr

        second = sync(server, tmp_path, refresh_auth(server), **settings).succeeded()  # the config is unchanged
        assert ids(second) == ALL_IDS
        assert [form["refresh_token"] for form in token_requests(server)] == [[FIRST_REFRESH_TOKEN], [kept]]
        assert json.loads(store.read_text())["refresh_token"] in server.state.refresh_tokens


def test_without_a_store_the_next_run_fails_in_one_line_naming_the_fix(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(rotate=True)) as server:
        first = sync(server, tmp_path, refresh_auth(server), **SETTINGS).succeeded()
        assert "refresh_token_store is not set" in first.stderr
        line = sync(server, tmp_path, refresh_auth(server), **SETTINGS).error()
        assert "HTTP 400 invalid_grant" in line and "refresh_token_store" in line


def test_a_new_refresh_token_setting_wins_over_an_older_store(tmp_path: Path) -> None:
    store = tmp_path / "refresh_token.json"
    store.write_text(json.dumps({"refresh_token": "stale-rotated-token", "seeded_from": "0" * 64}))
    with AuthServer(AuthServerState()) as server:
        run = sync(server, tmp_path, refresh_auth(server), **SETTINGS, refresh_token_store=str(store)).succeeded()
        assert ids(run) == ALL_IDS
        assert [form["refresh_token"] for form in token_requests(server)] == [[FIRST_REFRESH_TOKEN]]


def test_token_requests_retry_429_and_5xx_honouring_retry_after(tmp_path: Path) -> None:
    state = AuthServerState(token_failures=[429, 503])
    with AuthServer(state) as server:
        run = sync(server, tmp_path, {**AUTH, "client_auth": "body"}, **SETTINGS).succeeded()  # a path: base_url's
        assert ids(run) == ALL_IDS
        assert len(token_requests(server)) == 3
        assert run.stderr.count("OAuth token request to " + server.url + "/oauth/token: retrying in 1.0 s") == 2
