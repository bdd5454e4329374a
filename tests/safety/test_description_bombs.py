"""A hostile description cannot exhaust the machine (issue 22, point 3): every template bomb and a YAML
that expands through anchors ends in one line naming the limit, fast, in a memory-limited process."""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest

from tap_generic_rest.description.load import MAX_YAML_NODES
from tap_generic_rest.expressions.limits import MAX_SIZE
from tests.safety import helpers as h

if t.TYPE_CHECKING:
    from pathlib import Path

#: A bomb is refused well within this (s, generous: the machine is shared); a run is killed after KILL_AFTER.
FAST_ENOUGH = 20.0
KILL_AFTER = 60.0
BOMBS = {
    "power-tower": "{{ config.n ** 128 ** 128 ** 128 }}",
    "nested-list-builder": "{{ [[config.n] * 999999] * 999999 }}",
    "center-filter": "{{ config.word | center(300000000) }}",
    "ljust-method": "{{ config.word.ljust(300000000) }}",
    "percent-format": "{{ '%300000000s' % config.word }}",
    "format-method": "{{ config.wide.format(config.word) }}",  # in the description '{0:...}' is a placeholder
    "replace-filter": "{{ (config.word * 1000) | replace('S', 'x' * 3600) }}",
    "indent-filter": "{{ ((config.word ~ '\\n') * 300000) | indent(300) }}",
    "indent-huge-width": "{{ config.word | indent(300000000) }}",
}
LAUGHS = "\n".join(
    [f"{chr(97)}: &{chr(97)} [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9)}]" for i in range(1, 9)]
)


@pytest.fixture(scope="module")
def bomb_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, h.TapRun]:
    """Each template bomb in a query parameter, run side by side against one canned API."""
    with h.CannedApi() as api:
        api.routes = {"/items": h.Answer(200, {"data": [{"id": "1"}]})}

        def work(name: str) -> h.TapRun:
            directory = tmp_path_factory.mktemp(name)
            path = h.write_description(directory, h.resource(endpoint={"params": {"q": BOMBS[name]}}), base_url=api.url)
            config = {"api_description": str(path), "n": 2, "word": "SS", "wide": "{0:>300000000}", **h.FAST}
            return h.run_tap(config=config, directory=directory, timeout=KILL_AFTER)

        with ThreadPoolExecutor(2) as pool:
            return dict(zip(BOMBS, pool.map(work, BOMBS), strict=True))


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_template_bomb_fails_in_one_line_fast(name: str, bomb_runs: dict[str, h.TapRun]) -> None:
    run = bomb_runs[name]

    line = run.error()

    h.assert_mentions(line, "template", "not allowed")
    assert any(limit in line for limit in (f"{MAX_SIZE:,}", "128", "bits")), line
    assert run.seconds < FAST_ENOUGH, f"took {run.seconds:.1f} s"
    h.record_figure("template bombs (s)", name, run.seconds)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(LAUGHS, id="billion-laughs"),
        pytest.param(
            "client: {base_url: 'https://api.test'}\nx: &x [a, a, a, a, a, a, a, a, a]\n"
            + "\n".join(f"x{i}: &x{i} [{', '.join(['*x' if i == 1 else f'*x{i - 1}'] * 9)}]" for i in range(1, 9))
            + "\nresources: [{name: items, endpoint: {path: /items, params: {q: *x8}}}]\n",
            id="anchors-under-params",
        ),
    ],
)
def test_a_description_that_expands_through_anchors_is_refused(text: str, tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(text, encoding="utf-8")

    run = h.run_tap("--discover", config={"api_description": str(path)}, directory=tmp_path, timeout=KILL_AFTER)
    line = run.error()

    h.assert_mentions(line, str(path), f"more than {MAX_YAML_NODES:,} values", "anchors")
    assert run.seconds < FAST_ENOUGH, f"took {run.seconds:.1f} s"
