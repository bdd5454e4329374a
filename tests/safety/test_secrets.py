"""Secrets never appear in any output: Singer messages, DEBUG logs, the catalog, ``--about``, errors.

Each scenario runs ``python -m tap_generic_rest`` with ``TAP_GENERIC_REST_LOGLEVEL=DEBUG`` (the SDK
reads ``<PLUGIN>_LOGLEVEL``), succeeding or failing, against the sandbox or a canned API that
echoes the credentials it received in its error bodies. Every secret is searched for in every
output, raw and percent-encoded: each credential setting of every scenario, the OAuth access
tokens the sandbox issued and every credential the APIs received (Bearer tokens, the base64 of
Basic ``user:password``, API keys in headers and query parameters).
"""

from __future__ import annotations

import base64
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from generic_rest_sandbox import Sandbox

from tap_generic_rest.settings import SECRET_SETTINGS
from tests.conftest import sandbox_config
from tests.safety.helpers import FAST, Answer, CannedApi, Received, TapRun, resource, run_tap, write_description

if t.TYPE_CHECKING:
    from pathlib import Path

DEBUG = {"TAP_GENERIC_REST_LOGLEVEL": "DEBUG"}
WORKERS = 3
QUERY_KEY = "qp-secret-value-4242"
SPECIAL_KEY = "s3cr3t/with+special=chars&x"


def echo(status: int) -> t.Callable[[Received], Answer]:
    """An API that answers ``status`` with everything the request carried (a careless API)."""

    def answer(request: Received) -> Answer:
        return Answer(status, {"error": "denied", "you_sent": request.target, "headers": request.headers})

    return answer


@dataclass(frozen=True)
class Scenario:
    """One run: a built-in API against the sandbox, or an own description against the canned API."""

    name: str
    api: str | None = None
    settings: dict[str, t.Any] = field(default_factory=dict)
    auth: dict[str, t.Any] | None = None  # own description: its client.auth
    path: str = "/echo401"  # own description: the endpoint
    args: tuple[str, ...] = ()
    fails: bool = False
    bug: str | None = None

    def config(self, sandbox: Sandbox, canned: CannedApi, directory: Path) -> dict[str, t.Any]:
        if self.api is not None:
            return sandbox_config(sandbox, self.api, **{**FAST, **self.settings})
        description = write_description(directory, resource(path=self.path), auth=self.auth)
        return {"api_description": str(description), "base_url": canned.url, **FAST, **self.settings}

    def param(self) -> t.Any:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.name, marks=marks)


def query_key(name: str) -> dict[str, str]:
    return {"type": "api_key", "name": name, "location": "query", "api_key": "{{ config.api_key }}"}


SCENARIOS = [
    Scenario("avatars-sync", "avatars"),
    Scenario("marketing-sync-basic-with-password", "marketing", {"password": "marketing-pa55word-x"}),
    Scenario("support-sync", "support"),
    Scenario("oauth_offset-sync", "oauth_offset"),
    Scenario("avatars-discover", "avatars", args=("--discover",)),
    Scenario("oauth_offset-discover-infers-with-requests", "oauth_offset", args=("--discover",)),
    Scenario("about-json", "oauth_offset", args=("--about", "--format", "json")),
    Scenario("avatars-wrong-api_key-401", "avatars", {"api_key": "wrong-avatars-key-77"}, fails=True),
    Scenario("support-wrong-access_token-401", "support", {"access_token": "wrong-access-token-77"}, fails=True),
    Scenario(
        "oauth_offset-wrong-client_secret", "oauth_offset", {"client_secret": "wrong-client-secret-77"}, fails=True
    ),
    Scenario("query-param-key-401", auth=query_key("api_key"), settings={"api_key": QUERY_KEY}, fails=True),
    Scenario(
        "query-param-key-500-retried",
        auth=query_key("api_key"),
        path="/echo500",
        settings={"api_key": QUERY_KEY},
        fails=True,
    ),
    Scenario(
        "bearer-echoed-401",
        auth={"type": "bearer", "token": "{{ config.access_token }}"},
        settings={"access_token": "echoed-bearer-token-1"},
        fails=True,
    ),
    Scenario(
        "header-key-echoed-401",
        auth={"type": "api_key", "name": "X-API-Key", "key": "api_key"},
        settings={"api_key": "echoed-header-key-1"},
        fails=True,
    ),
    Scenario(
        "basic-echoed-401",
        auth={"type": "http_basic", "username": "{{ config.api_key }}", "password": "{{ config.password }}"},
        settings={"api_key": "echo-user", "password": "echo-password-1"},
        fails=True,
    ),
    Scenario(
        "query-param-special-chars-named-key",
        auth=query_key("key"),
        path="/echo500",
        settings={"api_key": SPECIAL_KEY},
        fails=True,
    ),
    Scenario(
        "query-param-special-chars-debug-log",
        auth=query_key("api_key"),
        path="/echo500",
        settings={"api_key": SPECIAL_KEY},
        fails=True,
    ),
]


@dataclass
class Outcomes:
    """Every scenario's run, and every secret that was configured or went over the wire."""

    runs: dict[str, TapRun]
    secrets: set[str]
    issued_tokens: set[str]
    wire: list[str]  # every request the canned API received, as text


def credentials_seen(headers: t.Mapping[str, str | None], target: str) -> set[str]:
    """The credentials in a request: Authorization token, X-API-Key, secret-looking query values."""
    found = set()
    authorization = headers.get("authorization") or ""
    if " " in authorization:
        found.add(authorization.split(" ", 1)[1])
    if headers.get("x-api-key"):
        found.add(str(headers["x-api-key"]))
    found |= {value for key, value in parse_qsl(urlsplit(target).query) if key in {"api_key", "key"}}
    return found


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Run every scenario (WORKERS at a time) against one sandbox and one canned API."""
    with Sandbox(port=0) as sandbox, CannedApi() as canned:
        canned.routes = {"/echo401": echo(401), "/echo500": echo(500)}
        configs = {s.name: s.config(sandbox, canned, tmp_path_factory.mktemp(s.name)) for s in SCENARIOS}

        def work(scenario: Scenario) -> TapRun:
            directory = tmp_path_factory.mktemp(f"{scenario.name}-run")
            return run_tap(*scenario.args, config=configs[scenario.name], directory=directory, env=DEBUG)

        with ThreadPoolExecutor(WORKERS) as pool:
            runs = dict(zip(configs, pool.map(work, SCENARIOS), strict=True))
        wire = [
            (r.header("authorization"), r.path + "?" + "&".join(f"{k}={v[0]}" for k, v in r.query.items()))
            for r in sandbox.requests()
        ]
        secrets = {str(config[name]) for config in configs.values() for name in SECRET_SETTINGS if config.get(name)}
        secrets |= {
            base64.b64encode(f"{config['api_key']}:{config.get('password') or ''}".encode()).decode()
            for config in configs.values()
            if config.get("api_key")
        }
        issued = {auth.split(" ", 1)[1] for auth, _ in wire if auth and auth.startswith("Bearer sandbox-token-")}
        for auth, target in wire:
            secrets |= credentials_seen({"authorization": auth}, target)
        for request in canned.received:
            secrets |= credentials_seen(request.headers, request.target)
        return Outcomes(runs, secrets, issued, [request.text() for request in canned.received])


def forms(secret: str) -> set[str]:
    """A secret as it may be written: raw, percent-encoded, form-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}


@pytest.mark.parametrize("scenario", [scenario.param() for scenario in SCENARIOS])
def test_no_secret_in_any_output(scenario: Scenario, outcomes: Outcomes) -> None:
    run = outcomes.runs[scenario.name]
    if scenario.fails:
        run.error()
    else:
        run.succeeded()
    if "--about" not in scenario.args:
        assert "| DEBUG" in run.stderr, "DEBUG logging was not on"

    leaked = {
        (where, form)
        for secret in outcomes.secrets
        for form in forms(secret)
        for where, text in (("stdout", run.stdout), ("stderr", run.stderr))
        if form in text
    }

    assert not leaked, f"secrets in the output: {sorted(leaked)}"


def test_the_search_covers_real_credentials(outcomes: Outcomes) -> None:
    """The secrets searched for include what really went over the wire, so the search means something."""
    assert outcomes.issued_tokens, "no OAuth token was issued"
    assert outcomes.issued_tokens <= outcomes.secrets
    basic = base64.b64encode(b"sandbox-api-key:marketing-pa55word-x").decode()
    assert basic in outcomes.secrets
    assert any(f"api_key={QUERY_KEY}" in request for request in outcomes.wire)
    assert SPECIAL_KEY in outcomes.secrets


def test_a_query_parameter_secret_is_masked_in_the_error_line(outcomes: Outcomes) -> None:
    line = outcomes.runs["query-param-key-401"].error()

    assert "api_key=%2A%2A%2A%2A" in line or "api_key=****" in line
    assert QUERY_KEY not in line
