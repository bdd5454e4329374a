"""Credentials stay home and out of the output: the OAuth secret follows no redirect to another host,
and every setting a description places in a request is masked in logs and errors (issue 22, points 1-2)."""

from __future__ import annotations

import typing as t

import pytest

from tests.safety.helpers import FAST, Answer, CannedApi, assert_mentions, resource, run_tap, write_description

if t.TYPE_CHECKING:
    from pathlib import Path

CLIENT_SECRET = "oauth-client-secret-7731"
SETTING_VALUE = "MYKEY000"


def test_the_oauth_secret_does_not_follow_a_redirect_to_another_host(tmp_path: Path) -> None:
    with CannedApi() as home, CannedApi() as elsewhere:
        elsewhere.routes["/oauth/token"] = Answer(200, {"access_token": "stolen", "expires_in": 3600})
        for status in (307, 308):
            home.routes["/oauth/token"] = Answer(status, {}, headers={"Location": f"{elsewhere.url}/oauth/token"})
            auth = {"type": "oauth2_client_credentials", "client_id": "{{ config.client_id }}",
                    "client_secret": "{{ config.client_secret }}", "access_token_url": f"{home.url}/oauth/token"}
            description = write_description(tmp_path, resource(), base_url=home.url, auth=auth)
            config = {"api_description": str(description), "client_id": "cid-1", "client_secret": CLIENT_SECRET,
                      **FAST}

            line = run_tap(config=config, directory=tmp_path).error()

            assert_mentions(line, "OAuth token request", "redirected", "another scheme or host")
            assert not elsewhere.received, elsewhere.everything_received()
            assert CLIENT_SECRET not in line


@pytest.mark.parametrize(
    ("endpoint", "where"),
    [
        ({"params": {"key": "{{ config.my_key }}"}}, "query"),
        ({"path": "/accounts/{{ config.my_key }}/items"}, "path"),
        ({"headers": {"X-Key": "{{ config.my_key }}"}, "params": {"echo": "{{ config.my_key }}"}}, "header"),
    ],
)
def test_settings_a_description_places_in_requests_are_masked(
    endpoint: dict[str, t.Any], where: str, tmp_path: Path
) -> None:
    with CannedApi() as api:
        for path in ("/items", f"/accounts/{SETTING_VALUE}/items"):
            api.routes[path] = Answer(503, {"error": f"busy, you sent {SETTING_VALUE}"})
        path = endpoint.pop("path", "/items")
        description = write_description(tmp_path, resource(path=path, endpoint=endpoint), base_url=api.url)
        config = {"api_description": str(description), "my_key": SETTING_VALUE, **FAST}

        run = run_tap(config=config, directory=tmp_path)
        line = run.error()

        assert api.received, "the tap sent no request"
        assert SETTING_VALUE in api.everything_received()  # the setting was sent ...
        assert "Retrying" in run.stderr, run.stderr[-2000:]
        assert SETTING_VALUE not in run.stderr + run.stdout, f"{where}: {run.stderr[-2000:]}"  # ... never shown
        assert "****" in line
