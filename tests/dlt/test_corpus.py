"""The acceptance corpus (tests/dlt/corpus): every dlt test config and docs config, taken as a user gives it.

Per group: a valid or docs config loads and builds its stream classes (no request) unless it is a
known refusal below, which must be refused with its one-line reason; an invalid config is rejected
with one line naming the path dlt names; a Python-only config is refused on import with one line
that says it is Python. Every config the loopback server can answer runs end to end, the tap's
records compared with dlt's. ``python -m tests.dlt.corpus`` prints the acceptance figure.
"""

from __future__ import annotations

import json
import re
import typing as t

import pytest

from tests.dlt.corpus import GROUPS, Outcome, entries, figure, measure, one_line, outcome
from tests.dlt.corpus import HERE as CORPUS
from tests.dlt.test_dlt_configs import canonical, run_dlt, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.dlt.server import TestServer

#: valid configs the tap refuses on purpose: id -> a fragment of the refusal (the reason)
REFUSED: dict[str, str] = {
    # dlt reads a bare `auth: http_basic`'s username from its secrets; no tap setting holds a username
    "auth_shorthand_http_basic": "http_basic needs username and no tap setting holds it",
    # api_key in a cookie: dlt accepts the config, then raises NotImplementedError on the request
    "source_configs_443": "cookie api keys are not implemented",
}
#: invalid configs: id -> the path (or the fragment) the tap's line names, as dlt's message does
INVALID: dict[str, str] = {
    "auth_config_326": "client.auth",
    "offline_1706": "resources[0].endpoint.data: Cannot use both 'json' and 'data' parameters simultaneously",
    "offline_670": "resources[1].endpoint.params: resolve param 'post_id' is not bound in path 'posts'",
    "offline_703": "resources[1].endpoint.params: placeholder {unknown.posts.id}",
    "offline_720": "resources[1].endpoint.json: placeholder {unknown.posts.id}",
    "resolve_config_374": "Multiple parent resources",
    "resolve_config_405": "Multiple parent resources",
    "resolve_config_525": "cycle chicken -> egg -> chicken",
    "resolve_config_557": "cycle chicken -> egg -> chicken",
    "source_configs_119": "resources[0].endpoint.path: {org}",
    "source_configs_28": "missing required field 'resources'",
    "source_configs_33": "missing required field 'client'",
    # dlt: the api_key secret is missing; the tap: the api_key setting it then reads is missing
    "source_configs_39": "missing setting(s) api_key",
    "source_configs_63": "missing setting(s) api_key",
    "source_configs_74": "client: unknown field(s) 'invalid_key'",
    "source_configs_85": "client.paginator: 'invalid_paginator' is not allowed",
    "source_configs_96": "non existing parent resource 'issuess'",
    "paginator_shorthand_offset": "client.paginator: 'offset' needs a limit",
    "docs_basic_1428": "resources[0]: unknown field(s) 'params'",
}
DOMAIN = re.compile(r"\b(?:[A-Za-z0-9-]+\.)+(?:com|org|net|io|co|dev|app)\b")
#: the words a Python-only refusal must hold
PYTHON_ONLY = ("is Python", "not data")


def test_the_corpus_files_are_well_formed() -> None:
    ids = [entry["id"] for group in GROUPS for entry in entries(group)]
    assert len(ids) == len(set(ids))
    for group in GROUPS:
        for entry in entries(group):
            assert entry["source"]
            assert ("python" if group == "python_only" else "config") in entry
    assert {entry["id"] for entry in entries("invalid")} == set(INVALID)
    assert set(REFUSED) <= {entry["id"] for entry in entries("valid")}


def test_no_real_host_or_vendor_name() -> None:
    """Every domain in the corpus is an example.com host (the project names no vendor and no real host)."""
    for group in GROUPS:
        text = (CORPUS / f"{group}.json").read_text(encoding="utf-8")
        assert [domain for domain in DOMAIN.findall(text) if not re.fullmatch(r"(.+\.)?example\.com", domain)] == []
        for entry in entries(group):
            base_url = (entry.get("config", {}).get("client") or {}).get("base_url", "")
            host = base_url.split("://", 1)[-1].split("/", 1)[0]
            assert host == "" or host == "example.com" or host.endswith(".example.com"), entry["id"]


def _by_id(group: str) -> list[t.Any]:
    return [pytest.param(entry, id=entry["id"]) for entry in entries(group)]


@pytest.mark.parametrize("entry", [*_by_id("valid"), *_by_id("docs")])
def test_valid_configs_load(entry: dict[str, t.Any]) -> None:
    result = outcome("valid", entry)
    if entry["id"] in REFUSED:
        assert not result.accepted
        assert one_line(result.message)
        assert REFUSED[entry["id"]] in result.message
    else:
        assert result.accepted, result.message
        assert len(result.streams) == len(entry["config"]["resources"])


@pytest.mark.parametrize("entry", _by_id("invalid"))
def test_invalid_configs_are_rejected_with_the_path(entry: dict[str, t.Any]) -> None:
    result = outcome("invalid", entry)
    assert not result.accepted
    assert one_line(result.message)
    assert INVALID[entry["id"]] in result.message
    assert "sensitive-secret" not in result.message


@pytest.mark.parametrize("entry", _by_id("python_only"))
def test_python_only_configs_are_refused_on_import(entry: dict[str, t.Any]) -> None:
    result = outcome("python_only", entry)
    assert not result.accepted
    assert one_line(result.message)
    assert all(words in result.message for words in PYTHON_ONLY), result.message
    assert "pipeline.py:" in result.message  # names the line


def test_acceptance_figure(capsys: pytest.CaptureFixture[str]) -> None:
    results = measure()
    line = figure(results)
    with capsys.disabled():
        print(f"\n{line}")
    expected_valid = sum(1 for entry in entries("valid") if entry["id"] not in REFUSED)
    assert line == (f"accepted {expected_valid} of {len(entries('valid'))} valid dlt test configs, "
                    f"{len(entries('docs'))} of {len(entries('docs'))} docs configs; python-only refused "
                    f"clearly {len(entries('python_only'))} of {len(entries('python_only'))}; invalid "
                    f"rejected {len(INVALID)} of {len(INVALID)}")
    assert all(isinstance(result, Outcome) for group in results.values() for result in group)


#: the paths the loopback server answers in the shapes of dlt's own mock API
_LOOPBACK_PATH = re.compile(r"^posts(/\{[^}]*\}(/comments)?)?/?$")
#: loopback-shaped configs whose records are not compared, and why
E2E_EXCLUDED: dict[str, str] = {
    **dict.fromkeys(("offline_1898", "offline_499_0", "offline_499_1", "offline_499_2", "offline_499_3",
                     "paginator_config_88", "source_configs_432"),
                    "a page without its total: dlt raises; the tap pages on (the built-in APIs' contracts "
                    "4.1/6.2 stop on a missing total or an empty page)"),
    **dict.fromkeys(("offline_2038", "offline_499_4", "offline_499_5", "offline_499_6", "offline_499_7"),
                    "incremental on `id`: the loopback's comment ids are strings, dlt's mock's integers"),
    "configuration_301": "primary_key 'a_pk' is in no record: the tap stops with one line, dlt loads anyway",
}


def _paths(config: dict[str, t.Any]) -> t.Iterator[str]:
    for resource in config["resources"]:
        endpoint = resource if isinstance(resource, str) else resource.get("endpoint", resource["name"])
        yield endpoint if isinstance(endpoint, str) else endpoint.get("path", resource["name"])


def loopback_shaped() -> list[str]:
    """Valid corpus configs the loopback server can answer: api.example.com, no auth, dlt's mock paths."""
    return [entry["id"] for entry in entries("valid")
            if entry["config"]["client"]["base_url"] == "https://api.example.com"
            and "auth" not in json.dumps(entry["config"])
            and all(_LOOPBACK_PATH.match(path) for path in _paths(entry["config"]))]


def rebased(config: dict[str, t.Any], server: TestServer) -> dict[str, t.Any]:
    """The config with its example.com base URL replaced by the loopback server's."""
    text = json.dumps(config).replace("https://api.example.com", server.url)
    return t.cast("dict[str, t.Any]", json.loads(text))


def test_the_e2e_exclusions_are_loopback_shaped() -> None:
    assert set(E2E_EXCLUDED) <= set(loopback_shaped())
    assert len(loopback_shaped()) - len(E2E_EXCLUDED) >= 30


@pytest.mark.parametrize("case", [case for case in loopback_shaped() if case not in E2E_EXCLUDED])
def test_corpus_records_equal_dlts(case: str, server: TestServer, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Every loopback-shaped corpus config, run by the tap and by dlt on the same server: same records."""
    entry = next(entry for entry in entries("valid") if entry["id"] == case)
    config = rebased(entry["config"], server)
    records, _ = run_tap(config, tmp_path, capsys)
    expected = {name: rows for name, rows in run_dlt(config).items() if rows}
    assert canonical(records) == canonical(expected)


def test_a_list_body_is_a_form_with_repeated_keys(server: TestServer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """dlt's ``data`` as (key, value) pairs (offline_1684_2, offline_1842) is sent as one form, as dlt does."""
    config = {"client": {"base_url": server.url}, "resources": [
        {"name": "posts", "selected": False, "endpoint": "plain/posts"},
        {"name": "search", "endpoint": {"path": "search", "method": "POST", "paginator": "single_page", "data": [
            ["post", "{resources.posts.id}"], ["kind", "form"], ["post", "{resources.posts.id}_again"],
            ["braces", "{{kept}}"]]}}]}
    records, _ = run_tap(config, tmp_path, capsys)
    assert records["search"][0]["form"] == {"post": ["1", "1_again"], "kind": ["form"], "braces": ["{kept}"]}
    assert canonical(records) == canonical(run_dlt(config))


def test_incremental_config_values_as_placeholders(server: TestServer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``{incremental.lag}`` and ``{incremental.cursor_path}`` are the config's own values (offline_1139)."""
    config = {"client": {"base_url": server.url}, "resources": [{"name": "echo", "endpoint": {
        "path": "echo/incremental", "params": {"lag": "{incremental.lag}", "by": "{incremental.cursor_path}",
                                               "since": "{incremental.start_value}"},
        "incremental": {"cursor_path": "id", "initial_value": 0, "lag": 3600}}}]}
    records, _ = run_tap(config, tmp_path, capsys)
    assert records["echo"][0]["query"] == {"lag": "3600", "by": "id", "since": "0"}
    assert canonical(records) == canonical(run_dlt(config))


@pytest.fixture(scope="module")
def server() -> t.Iterator[TestServer]:
    from tests.dlt.server import TestServer

    with TestServer() as running:
        yield running


@pytest.mark.parametrize(("auth", "settings", "sent"), [
    pytest.param("bearer", {"access_token": "t-1"}, {"Authorization": "Bearer t-1"}, id="bearer-shorthand"),
    pytest.param("api_key", {"api_key": "k-1"}, {"Authorization": "k-1"}, id="api-key-shorthand"),
    pytest.param({"type": "http_basic", "username": "me"}, {"password": "p"},
                 {"Authorization": "Basic bWU6cA=="}, id="basic-password-left-out"),
])
def test_credentials_dlt_reads_from_secrets_read_the_tap_setting(
        auth: object, settings: dict[str, str], sent: dict[str, str], server: TestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """auth_shorthand_*, source_configs_444/445: what dlt takes from its secrets comes from the settings."""
    config = {"client": {"base_url": server.url, "auth": auth}, "resources": [{"name": "echo", "endpoint": "echo"}]}
    records, _ = run_tap(config, tmp_path, capsys, **settings)
    assert records["echo"][0]["headers"] == sent
