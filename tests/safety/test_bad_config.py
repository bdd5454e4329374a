"""Bad settings and bad descriptions, through the real CLI: one clear line, fast, and no request.

Every case points ``base_url`` at a fresh sandbox and checks, for ``python -m tap_generic_rest``:
a non-zero exit; exactly one ``tap-generic-rest: error:`` line on stderr that names the setting
or the description path and says the fix; no traceback; well under a few seconds of wall time
(the tap's own share, wall time minus the ``--about`` start-up, is recorded for the summary);
and not a single request at the sandbox.
"""

from __future__ import annotations

import contextlib
import queue
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from generic_rest_sandbox import Sandbox

from tap_generic_rest.description.load import BUILTIN_APIS
from tests.conftest import sandbox_config
from tests.safety.helpers import (
    FAST,
    TapRun,
    assert_mentions,
    child,
    record_figure,
    resource,
    run_tap,
    write_description,
)

if t.TYPE_CHECKING:
    from pathlib import Path

#: A setting value that removes the setting from the config.
DROP = "<drop>"
#: Replaced by the test's directory in settings and expected fragments.
DIR = "<dir>"
#: The wall-time limit of a failing run (interpreter start-up included) on a loaded machine.
WALL_SECONDS = 5.0
#: CLI runs at a time (each a separate interpreter; each worker has its own sandbox).
WORKERS = 3


@dataclass(frozen=True)
class Bad:
    """One bad input: a built-in API's sandbox config with ``settings`` changed, or an own description."""

    name: str
    expect: tuple[str, ...]
    settings: dict[str, t.Any] = field(default_factory=dict)
    api: str | None = "avatars"
    resources: tuple[dict[str, t.Any], ...] = ()
    text: str | None = None  # the description file's content, instead of ``resources``
    file_name: str = "api.yaml"
    args: tuple[str, ...] = ()
    config_file: t.Literal["json", "garbage", "missing"] = "json"
    bug: str | None = None

    def config(self, sandbox: Sandbox, directory: Path) -> dict[str, t.Any]:
        """The tap config of this case."""
        if self.api is not None:
            base = sandbox_config(sandbox, self.api, **FAST)
        else:
            path = write_description(directory, *self.resources)
            if self.text is not None:
                path = directory / self.file_name
                path.write_text(self.text, encoding="utf-8")
            base = {"api_description": str(path), "base_url": sandbox.base_url("avatars"), **FAST}
        merged = {**base, **self.settings}
        return {
            key: value.replace(DIR, str(directory)) if isinstance(value, str) else value
            for key, value in merged.items()
            if value != DROP
        }

    def param(self) -> t.Any:
        """This case as a pytest parameter (an engine bug is a strict xfail)."""
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.name, marks=marks)


def own(name: str, *resources: dict[str, t.Any], expect: tuple[str, ...], **fields: t.Any) -> Bad:
    """A case with an own description."""
    return Bad(name, expect, api=None, resources=resources, **fields)


WHERE = "invalid API description <dir>/api.yaml: "
CYCLE = (
    resource("a", "/a/{resources.b.id}/x"),
    resource("b", "/b/{resources.a.id}/x"),
)
UNKNOWN_PAGINATOR = resource(endpoint={"paginator": {"type": "link_header"}})

SETTINGS_CASES = [
    Bad(
        "unknown-api",
        ("unknown api 'nope'", "use one of: " + ", ".join(BUILTIN_APIS), "api_description"),
        {"api": "nope"},
    ),
    Bad("unknown-api-discover", ("unknown api 'nope'",), {"api": "nope"}, args=("--discover",)),
    Bad(
        "api-and-api_description",
        ("set exactly one of the settings api", "api_description", "both are set"),
        {"api_description": f"{DIR}/api.yaml"},
    ),
    Bad("neither-api-nor-api_description", ("set exactly one of the settings api", "neither is set"), {"api": DROP}),
    Bad("max_retries-not-an-integer", ("invalid settings", "config['max_retries']", "integer"), {"max_retries": "x"}),
    Bad(
        "request_timeout-not-a-number",
        ("invalid settings", "config['request_timeout']", "number"),
        {"request_timeout": "fast"},
    ),
    Bad(
        "base_url-not-a-url", ("invalid setting base_url 'not a url'", "use an http(s) URL"), {"base_url": "not a url"}
    ),
    Bad("base_url-ftp", ("invalid setting base_url 'ftp://x'", "use an http(s) URL"), {"base_url": "ftp://x"}),
    Bad(
        "avatars-without-api_key",
        ("missing setting(s) api_key", "avatars", "TAP_GENERIC_REST_API_KEY"),
        {"api_key": DROP},
    ),
    Bad("avatars-with-empty-api_key", ("missing setting(s) api_key", "TAP_GENERIC_REST_API_KEY"), {"api_key": ""}),
    Bad(
        "support-without-access_token",
        ("missing setting(s) access_token", "support", "TAP_GENERIC_REST_ACCESS_TOKEN"),
        {"access_token": DROP},
        api="support",
    ),
    Bad(
        "oauth_offset-without-client_id",
        ("missing setting(s) client_id", "oauth_offset", "TAP_GENERIC_REST_CLIENT_ID"),
        {"client_id": DROP},
        api="oauth_offset",
    ),
    # discovery infers oauth_offset's schema from records, so it needs the credentials as well
    Bad(
        "oauth_offset-without-client_id-discover",
        ("missing setting(s) client_id", "TAP_GENERIC_REST_CLIENT_ID"),
        {"client_id": DROP},
        api="oauth_offset",
        args=("--discover",),
    ),
    Bad(
        "api_description-file-missing",
        ("invalid API description <dir>/nope.yaml", "cannot read the file", "No such file"),
        {"api": DROP, "api_description": f"{DIR}/nope.yaml"},
    ),
    Bad(
        "api_description-is-a-directory",
        ("invalid API description <dir>", "cannot read the file"),
        {"api": DROP, "api_description": DIR},
    ),
    Bad(
        "start_date-yesterday",
        ("start_date", "yesterday"),
        {"start_date": "yesterday"},
        api="support",
    ),
    Bad(
        "start_date-month-13",
        ("start_date", "2024-13-45"),
        {"start_date": "2024-13-45"},
        api="webhooks",
    ),
    Bad(
        "request_timeout-zero",
        ("request_timeout",),
        {"request_timeout": 0},
    ),
    Bad("max_concurrency-zero", ("invalid setting max_concurrency 0", "at least 1"), {"max_concurrency": 0}),
    Bad("max_concurrency-negative", ("invalid setting max_concurrency -3", "at least 1"), {"max_concurrency": -3}),
    Bad(
        "max_concurrency-not-an-integer",
        ("invalid settings", "config['max_concurrency']", "integer"),
        {"max_concurrency": 2.5},
    ),
    Bad(
        "max_retries-negative",
        ("max_retries",),
        {"max_retries": -1},
    ),
    Bad(
        "config-file-not-json",
        ("config",),
        config_file="garbage",
    ),
    Bad(
        "config-file-missing",
        ("config",),
        config_file="missing",
    ),
]

DESCRIPTION_CASES = [
    own(
        "description-not-yaml",
        text="client: [base_url: x\n  - : :\n",
        expect=(WHERE, "not valid YAML", "line 1, column 9"),
    ),
    own(
        "description-not-yaml-discover",
        text="client: [base_url: x\n  - : :\n",
        args=("--discover",),
        expect=(WHERE, "not valid YAML"),
    ),
    own(
        "description-json-not-json",
        text='{"client": ',
        file_name="api.json",
        expect=("invalid API description <dir>/api.json: ", "not valid JSON"),
        settings={"api_description": f"{DIR}/api.json"},
    ),
    own("description-empty", text="", expect=(WHERE, "expected object")),
    own(
        "unknown-paginator-type",
        UNKNOWN_PAGINATOR,
        expect=(WHERE, "resources[0].endpoint.paginator.type", "'link_header' is not allowed", "use one of: "),
    ),
    own(
        "unknown-auth-type",
        text="client: {base_url: 'https://api.test', auth: {type: digest}}\n"
        "resources: [{name: items, primary_key: id, endpoint: {path: /items}}]\n",
        expect=(WHERE, "client.auth.type", "'digest' is not allowed", "oauth2_client_credentials"),
    ),
    own(
        "auth-without-its-setting-name",
        text="client: {base_url: 'https://api.test', auth: {type: http_basic}}\n"
        "resources: [{name: items, primary_key: id, endpoint: {path: /items}}]\n",
        expect=(WHERE, "client.auth", "http_basic needs username", "username: me"),
    ),
    own(
        "unknown-parent",
        resource(),
        child("kids", "nobody"),
        expect=(WHERE, "resources[1].endpoint", "non existing parent resource 'nobody'", "resources: items, kids"),
    ),
    own("parent-cycle", *CYCLE, expect=(WHERE, "resources[0].endpoint", "cycle a -> b -> a")),
    own("parent-cycle-discover", *CYCLE, args=("--discover",), expect=(WHERE, "cycle a -> b -> a")),
    own(
        "placeholder-without-source",
        resource(path="/apps/{app_id}/items"),
        expect=(WHERE, "resources[0].endpoint.path", "{app_id} in the path has no param of that name"),
    ),
    own(
        "stream_slice-without-source",
        resource(endpoint={"params": {"app": "{{ stream_slice.app_id }}"}}),
        expect=(WHERE, "resources[0].endpoint.params", "placeholder 'app_id' has no source", "{resources."),
    ),
    own(
        "selector-syntax-error",
        resource(endpoint={"data_selector": "data..items"}),
        expect=(WHERE, "resources[0].endpoint.data_selector", "'data..items' has an empty key", "'data.items'"),
    ),
    own(
        "jsonpath-syntax-error",
        resource(endpoint={"data_selector": "$.data[?(@.x ==]"}),
        expect=(WHERE, "resources[0].endpoint.data_selector", "not a valid JSONPath"),
    ),
    own(
        "template-syntax-error",
        resource(endpoint={"params": {"since": "{{ config.start_date | }}"}}),
        expect=(WHERE, "resources[0].endpoint.params.since", "does not parse"),
    ),
    own(
        "schema-file-missing",
        resource(schema="nope.json"),
        expect=(WHERE, "resources[0].schema", "schema file 'nope.json' not found", "<dir>/nope.json"),
    ),
    own(
        "primary-key-not-in-schema",
        resource(primary_key="uuid"),
        expect=(
            WHERE,
            "resources[0].schema",
            "'uuid' is a key or an added field but not a property of items.json",
            "properties: id, name",
        ),
    ),
    own(
        "replication_key-without-incremental",
        resource(endpoint={"incremental": {"initial_value": 0}}),
        expect=(WHERE, "resources[0].endpoint.incremental", "missing required field 'cursor_path'"),
    ),
    own(
        "duplicate-resource-names",
        resource(),
        resource(),
        expect=(WHERE, "resources[1].name", "duplicate resource name 'items'", "names must be unique"),
    ),
    own(
        "misspelt-field",
        {**resource(), "primay_key": "id"},
        expect=(WHERE, "resources[0]", "unknown field(s) 'primay_key'", "primary_key"),
    ),
]


CASES = SETTINGS_CASES + DESCRIPTION_CASES


@dataclass(frozen=True)
class Outcome:
    """What one bad input did."""

    run: TapRun
    requests: list[str]  # the paths the sandbox received
    directory: Path | None = None


def attempt(case: Bad, sandbox: Sandbox, directory: Path) -> Outcome:
    """Run the CLI on one case against ``sandbox`` (its log reset first)."""
    sandbox.reset_log()
    config = case.config(sandbox, directory)
    if case.config_file == "json":
        run = run_tap(*case.args, config=config, directory=directory)
    else:
        config_path = directory / "config.json"
        if case.config_file == "garbage":
            config_path.write_text("{api: avatars", encoding="utf-8")
        run = run_tap(*case.args, config_path=config_path)
    return Outcome(run, [request.path for request in sandbox.requests()], directory)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's outcome. The cases run WORKERS at a time, each worker with its own sandbox, and
    ``--about`` runs in the same batch measure the interpreter start-up under the same load."""
    directories = {case.name: tmp_path_factory.mktemp(case.name) for case in CASES}
    with contextlib.ExitStack() as stack:
        idle: queue.Queue[Sandbox] = queue.Queue()
        for _ in range(WORKERS):
            idle.put(stack.enter_context(Sandbox(port=0)))

        def work(case: Bad | None) -> Outcome:
            if case is None:
                return Outcome(run_tap("--about"), [])
            sandbox = idle.get()
            try:
                return attempt(case, sandbox, directories[case.name])
            finally:
                idle.put(sandbox)

        batch: list[Bad | None] = [None] * WORKERS + list(CASES)
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(work, batch))
    startup = min(outcome.run.seconds for outcome in results[:WORKERS])
    for case, outcome in zip(CASES, results[WORKERS:], strict=True):
        if case.bug is None:
            title = f"bad inputs ({WORKERS} CLI runs at a time)"
            record_figure(f"{title}, wall seconds", case.name, outcome.run.seconds)
            record_figure(
                f"{title}, tap seconds (wall minus --about start-up)",
                case.name,
                max(outcome.run.seconds - startup, 0.0),
            )
    return {case.name: outcome for case, outcome in zip(CASES, results[WORKERS:], strict=True)}


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_bad_input_fails_fast_with_one_clear_line_and_no_request(case: Bad, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.name]
    directory = str(outcome.directory)

    line = outcome.run.error()

    assert_mentions(line, *(fragment.replace(DIR, directory) for fragment in case.expect))
    assert outcome.requests == [], "requests reached the API"
    assert outcome.run.seconds < WALL_SECONDS, f"{outcome.run.seconds:.2f} s"


def test_the_cases_cover_the_brief() -> None:
    """At least 22 bad inputs, of which a few in discovery mode."""
    assert len(CASES) >= 22
    assert sum("--discover" in case.args for case in CASES) >= 3
    assert len({case.name for case in CASES}) == len(CASES)
