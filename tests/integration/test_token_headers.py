"""OAuth token requests carry the contract's headers, like every data request (contract §1)."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest import __version__
from tests.conftest import sandbox_config

if t.TYPE_CHECKING:
    from generic_rest_sandbox import Sandbox


@pytest.mark.parametrize(("settings", "agent"), [
    ({}, f"tap-generic-rest/{__version__}"),
    ({"user_agent": "acceptance-run/7"}, "acceptance-run/7"),
])
def test_token_request_sends_accept_and_user_agent(
    settings: dict[str, str], agent: str, own_sandbox: Sandbox, run_tap: t.Callable[..., t.Any]
) -> None:
    records, _ = run_tap(sandbox_config(own_sandbox, "oauth_offset", **settings))
    assert len(records["resource_name"]) == own_sandbox.expected_counts("oauth_offset")["resource_name"]
    requests = own_sandbox.requests("oauth_offset")
    tokens = [r for r in requests if r.path.endswith("/oauth/token")]
    assert len(tokens) == 1
    assert len(requests) > len(tokens)
    for request in requests:  # the token request and every data request alike
        assert request.header("Accept") == "application/json", request.path
        assert request.header("User-Agent") == agent, request.path
