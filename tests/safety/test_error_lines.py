"""Every error line is bounded and says what is really wrong (issue 22, point 8)."""

from __future__ import annotations

import sys
import typing as t

import pytest

from tap_generic_rest.errors import MAX_LINE
from tap_generic_rest.expressions.sandbox import TemplateError, evaluate
from tap_generic_rest.tap import TapGenericRest
from tests.safety import helpers as h

if t.TYPE_CHECKING:
    from pathlib import Path


def test_an_error_about_a_huge_url_is_one_bounded_line(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        description = h.write_description(tmp_path, h.resource())
        config = {"api_description": str(description), "base_url": f"{api.url}/{'v' * 1_000_000}", **h.FAST}

        run = h.run_tap(config=config, directory=tmp_path)
        line = run.error()

    assert len(line) <= MAX_LINE + 100, f"{len(line)} characters"
    h.assert_mentions(line, "stream items", "HTTP 414", "characters cut", "/items: ", "the API answered with an error")
    assert len(run.stderr) < 20 * MAX_LINE, f"stderr has {len(run.stderr)} characters"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"data": [{"id": ' + b"7" * 5000 + b"}]}",
         (f"an integer with more than {sys.get_int_max_str_digits()} digits",)),
        (b"[" * 10_000 + b"]" * 10_000, ("nests arrays or objects deeper than the JSON parser allows",)),
    ],
    ids=["5000-digit-integer", "10000-deep"],
)
def test_a_body_python_cannot_read_is_not_called_invalid_json(
    body: bytes, expected: tuple[str, ...], tmp_path: Path
) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, body)
        description = h.write_description(tmp_path, h.resource(), base_url=api.url)

        line = h.run_tap(config={"api_description": str(description), **h.FAST}, directory=tmp_path).error()

    h.assert_mentions(line, "stream items", *expected)
    assert "not valid JSON" not in line


@pytest.mark.parametrize("state", ['"hello"', "[1, 2]", "42"])
def test_a_state_that_is_not_an_object_says_so(state: str, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(state, encoding="utf-8")
    description = h.write_description(tmp_path, h.resource())

    line = h.run_tap("--state", str(tmp_path / "state.json"), config={"api_description": str(description)},
                   directory=tmp_path).error()

    h.assert_mentions(line, "invalid --state", "not a state object")
    assert "was not found" not in line


def test_a_template_out_of_memory_says_so() -> None:
    def exhausted(**variables: object) -> object:
        raise MemoryError

    with pytest.raises(TemplateError) as caught:
        evaluate("template '{{ config.x }}'", exhausted, {})

    assert "ran out of memory" in str(caught.value)
    assert "failed: ;" not in str(caught.value)


def test_running_out_of_memory_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def exhausted(self: TapGenericRest) -> None:
        raise MemoryError

    monkeypatch.setattr(TapGenericRest, "sync_all", exhausted)
    description = h.write_description(tmp_path, h.resource())

    line = h.run_cli(capsys, config={"api_description": str(description)}, directory=tmp_path).error()

    h.assert_mentions(line, "ran out of memory")
