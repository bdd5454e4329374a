"""Hostile templates in a description: a clear one-line error, or a harmless rendering; never a leak
of environment values, file contents or Python internals into a request, and never a hang.

Ordinary cases run the CLI's ``main`` in this process against requests-mock (under an alarm, so a
hang fails the test) and inspect every request it would have sent. Cases that burn CPU or memory
run ``python -m tap_generic_rest`` in a memory-limited subprocess that is killed after a timeout.
"""

from __future__ import annotations

import signal
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote_plus

import pytest
import requests_mock as rm

from tap_generic_rest.expressions.templating import compile_string
from tests.safety.helpers import (
    FAST,
    Answer,
    CannedApi,
    TapRun,
    assert_mentions,
    resource,
    run_cli,
    run_tap,
    write_description,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CANARY = "canary-env-value-5b1e9d"
#: What must never reach a request: the canary environment variable, /etc/passwd, the output of
#: `id`, Python object representations and memory addresses.
LEAK_PATTERNS = (
    CANARY,
    "root:",
    "/bin/",
    "uid=",
    "<class",
    "<function",
    "<built-in",
    "<bound",
    "<module",
    " at 0x",
    "TemplateReference",
    "__globals__",
    "environ",
)
#: In-process runs get this long before the alarm fails them.
ALARM_SECONDS = 10
#: Subprocess runs are killed after this long.
HANG_SECONDS = 5.0
REPR_BUG = (
    "templating.py renders method objects: '{{ config.items }}' sends \"<built-in method items of dict object "
    'at 0x...>" (a Python repr with a memory address) in the request; the sandbox should refuse '
    "callables as values"
)
RECURSION_BUG = (
    "templating.py Template.render does not catch RecursionError: a recursive macro ends the sync with "
    "a traceback instead of one line"
)
POWER_BUG = (
    "templating.py: Jinja folds constants when compiling, and the sandbox does not intercept '**' "
    "(SandboxedEnvironment.intercepted_binops is empty): '{{ 10 ** 5000 }}' raises ValueError (int too "
    "large to repr) out of Template.__init__, uncaught by description.py, a traceback at load"
)


@dataclass(frozen=True)
class Hostile:
    """A hostile template placed in one part of the endpoint."""

    name: str
    template: str
    part: t.Literal["params", "json", "path"]
    bug: str | None = None

    def resource(self) -> dict[str, t.Any]:
        if self.part == "path":
            return resource(path="/items/" + self.template)
        if self.part == "json":
            return resource(endpoint={"method": "POST", "json": {"q": self.template}})
        return resource(endpoint={"params": {"q": self.template}})

    def param(self) -> t.Any:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.name, marks=marks)


IN_PROCESS = [
    Hostile("config-class-globals", "{{ config.__class__.__init__.__globals__ }}", "params"),
    Hostile("str-mro-subclasses", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "json"),
    Hostile("include-etc-passwd", "{% include '/etc/passwd' %}", "params"),
    Hostile("import-etc-passwd", "{% import '/etc/passwd' as p %}{{ p }}", "json"),
    Hostile("extends-etc-passwd", "{% extends '/etc/passwd' %}", "path"),
    Hostile("range-10-to-the-10-list", "{{ range(10**10)|list }}", "json"),
    Hostile("config-mutation", "{{ config.update({'base_url': 'https://evil.test'}) }}", "params"),
    Hostile("format-string-attribute", "{{ '{0.__class__.__init__.__globals__}'.format(config) }}", "params"),
    Hostile("attr-filter-dunder", "{{ config|attr('__class__') }}", "json"),
    Hostile("format_datetime-globals", "{{ config and format_datetime.__globals__ }}", "params"),
    Hostile(
        "method-repr",
        "{{ config.items }}",
        "params",
    ),
    Hostile(
        "recursive-macro",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "params",
    ),
    Hostile(
        "power-too-large-to-print",
        "{{ 10 ** 5000 }}",
        "params",
    ),
]
SUBPROCESS = [
    Hostile(
        "power-hangs-at-load",
        "{{ 10 ** 100000000 }}",
        "params",
    ),
    Hostile(
        "string-times-10-to-the-10",
        "{{ 'x' * 10 ** 10 }}",
        "json",  # under the 2 GB limit a MemoryError, which templating.py turns into one line
    ),
]


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail an in-process run that takes longer than ALARM_SECONDS."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the tap hung for {ALARM_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(ALARM_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def assert_harmless(run: TapRun, sent: list[str]) -> None:
    """The run failed with one clear line about the template, or succeeded; no request leaked anything."""
    if run.returncode:
        assert_mentions(run.error(), "template")
    else:
        run.succeeded()
    leaks = [(pattern, text) for text in sent for pattern in LEAK_PATTERNS if pattern in text]
    assert not leaks, leaks


def request_texts(requests_mock: rm.Mocker) -> list[str]:
    """Every request as text: method, URL (raw and decoded), headers and body."""
    texts = []
    for request in requests_mock.request_history:
        headers = "\n".join(f"{key}: {value}" for key, value in request.headers.items())
        text = f"{request.method} {request.url}\n{headers}\n\n{request.text or ''}"
        texts.append(text + "\n" + unquote_plus(text))
    return texts


@pytest.mark.parametrize("case", [case.param() for case in IN_PROCESS])
def test_hostile_template_fails_clearly_or_renders_harmlessly(
    case: Hostile,
    capsys: pytest.CaptureFixture[str],
    requests_mock: rm.Mocker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    alarm: None,
) -> None:
    monkeypatch.setenv("SAFETY_CANARY", CANARY)
    requests_mock.register_uri(rm.ANY, rm.ANY, json={"data": [{"id": "1"}]})  # any URL, to see where it goes
    path = write_description(tmp_path, case.resource())

    run = run_cli(capsys, config={"api_description": str(path), **FAST}, directory=tmp_path)

    assert_harmless(run, request_texts(requests_mock))
    assert all(request.netloc == "api.test" for request in requests_mock.request_history)
    if run.returncode:  # a template that fails, fails before its request is sent
        assert requests_mock.request_history == []


def test_a_template_error_names_the_template(
    capsys: pytest.CaptureFixture[str], requests_mock: rm.Mocker, tmp_path: Path
) -> None:
    path = write_description(tmp_path, Hostile("x", "{{ config.x + }}", "params").resource())

    line = run_cli(capsys, config={"api_description": str(path), **FAST}, directory=tmp_path).error()

    assert_mentions(line, "template '{{ config.x + }}' does not parse")


@pytest.mark.parametrize("source", ["{{ lipsum.__globals__ }}", "{{ self._TemplateReference__context }}",
                                    "{% include '/etc/passwd' %}"])
def test_braces_without_a_template_variable_are_never_evaluated(source: str) -> None:
    """dlt's rule: ``{{ x }}`` naming no template variable is literal text, so it never reaches Jinja."""
    assert compile_string(source) == source


@pytest.fixture(scope="module")
def subprocess_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[TapRun, list[str]]]:
    """The CPU- and memory-hungry cases, run side by side against one canned API."""
    with CannedApi() as api:
        api.routes = {"/items": Answer(200, {"data": [{"id": "1"}]})}

        def work(case: Hostile) -> TapRun:
            directory = tmp_path_factory.mktemp(case.name)
            path = write_description(directory, case.resource())
            config = {"api_description": str(path), "base_url": api.url, **FAST}
            return run_tap(config=config, directory=directory, timeout=HANG_SECONDS, env={"SAFETY_CANARY": CANARY})

        with ThreadPoolExecutor(len(SUBPROCESS)) as pool:
            runs = list(pool.map(work, SUBPROCESS))
        sent = [request.text() for request in api.received]
    return {case.name: (run, sent) for case, run in zip(SUBPROCESS, runs, strict=True)}


@pytest.mark.parametrize("case", [case.param() for case in SUBPROCESS])
def test_resource_hungry_template_fails_clearly_and_fast(
    case: Hostile, subprocess_runs: dict[str, tuple[TapRun, list[str]]]
) -> None:
    run, sent = subprocess_runs[case.name]

    assert_harmless(run, sent)
