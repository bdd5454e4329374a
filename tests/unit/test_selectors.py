"""data_selector: where a response holds its records."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.expressions.selectors import Selector, SelectorNotFoundError, SelectorSyntaxError, dig

DOCUMENT = {
    "data": [{"id": "1"}, {"id": "2"}],
    "conversation_parts": {"type": "list", "conversation_parts": [{"id": "p1"}]},
    "result": {"items": [{"id": "a"}, {"id": "b"}]},
    "single": {"id": "only"},
    "nothing": None,
    "tags": ["Customer", "SEO"],
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("data", [{"id": "1"}, {"id": "2"}], id="key"),
        pytest.param("conversation_parts.conversation_parts", [{"id": "p1"}], id="dotted"),
        pytest.param("$.result.items[*]", [{"id": "a"}, {"id": "b"}], id="jsonpath-wildcard"),
        pytest.param("$.result.items", [{"id": "a"}, {"id": "b"}], id="jsonpath-list"),
        pytest.param("$.data[?(@.id == '2')]", [{"id": "2"}], id="jsonpath-filter"),
        pytest.param("single", [{"id": "only"}], id="object-is-one-item"),
        pytest.param("nothing", [], id="null-is-empty"),
        pytest.param("tags", ["Customer", "SEO"], id="scalars"),
    ],
)
def test_select(source: str, expected: list[t.Any]) -> None:
    assert Selector(source).select(DOCUMENT) == expected


@pytest.mark.parametrize("source", ["$", "", None, []])
def test_whole_response(source: str | list[t.Any] | None) -> None:
    assert Selector(source).select({"id": "x"}) == [{"id": "x"}]
    assert Selector(source).select([{"id": "x"}, {"id": "y"}]) == [{"id": "x"}, {"id": "y"}]


@pytest.mark.parametrize("source", ["records", "data.items", "single.id.deeper", "$.records[*]"])
def test_missing_path_is_an_error_unless_allowed(source: str) -> None:
    with pytest.raises(SelectorNotFoundError) as caught:
        Selector(source).select(DOCUMENT)
    assert str(caught.value) == source
    assert Selector(source).select(DOCUMENT, allow_missing=True) == []


def test_jsonpath_wildcard_over_empty_list_selects_nothing() -> None:
    assert Selector("$.result.items[*]").select({"result": {"items": []}}) == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("data..items", "'data..items' has an empty key; write keys separated by single dots, e.g. 'data.items'"),
        (".data", "'.data' has an empty key; write keys separated by single dots, e.g. 'data.items'"),
        (["data"], "expected a key, a dotted path, a JSONPath or '$', got ['data']"),
    ],
)
def test_syntax_errors(source: str | list[str], message: str) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        Selector(source)
    assert str(caught.value) == message


def test_bad_jsonpath_is_a_syntax_error() -> None:
    with pytest.raises(SelectorSyntaxError, match=r"^'\$\.\[\[' is not a valid JSONPath expression \("):
        Selector("$.[[")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("pages.next.starting_after", "c2"), ("pages.missing", None), ("done", True), ("done.deeper", None)],
)
def test_dig(path: str, expected: object) -> None:
    assert dig({"pages": {"next": {"starting_after": "c2"}}, "done": True}, path) == expected
