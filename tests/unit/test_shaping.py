"""Record shaping's pieces without HTTP: the one condition mechanism, value types, the shaped schema."""

from __future__ import annotations

import decimal

import pytest

from tap_generic_rest.description.shaping import AddedField, Shaping, shaped_schema
from tap_generic_rest.expressions.conditions import RECORD_VARIABLES, RESPONSE_VARIABLES, ContextCondition, truthy
from tap_generic_rest.expressions.templating import TemplateError, compile_string
from tap_generic_rest.streams.shaping import as_text, converted


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), (0, False), (2, True), (None, False), ("yes", True), ("false", False),
    ("False ", False), ("", False), ("null", False), ({}, False), ([1], True)])
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


def test_a_record_condition_reads_the_record_and_the_response() -> None:
    condition = ContextCondition("{{ record.n > response.min }}", RECORD_VARIABLES)
    assert condition({"record": {"n": 3}, "response": {"min": 2}}) is True
    assert condition({"record": {"n": 1}, "response": {"min": 2}}) is False


def test_a_response_condition_reads_headers() -> None:
    condition = ContextCondition("{{ headers['X-Limited'] == '1' }}", RESPONSE_VARIABLES)
    assert condition({"headers": {"X-Limited": "1"}, "response": {}}) is True


@pytest.mark.parametrize("source", ["record.a", "{{ record.a }} and more", "{{ rec.a }}", "{{ headers.a }}"])
def test_a_condition_is_exactly_one_expression_over_its_variables(source: str) -> None:
    with pytest.raises(TemplateError, match="is not one"):
        ContextCondition(source, RECORD_VARIABLES)


def test_record_is_a_template_variable_only_where_records_are_shaped() -> None:
    assert compile_string("{{record}}", lambda name: name) == "{record}"  # dlt's escaped braces elsewhere
    assert not isinstance(compile_string("{{ record.id }}", None, RECORD_VARIABLES), str)


@pytest.mark.parametrize(("value", "value_type", "expected"), [
    ("12", "integer", 12), (decimal.Decimal("12.0"), "integer", 12), ("1.5", "number", decimal.Decimal("1.5")),
    (3, "number", 3), ("true", "boolean", True), (0, "boolean", False), (12, "string", "12"), (True, "string", "true"),
    (None, "integer", None), ("x", None, "x")])
def test_values_are_converted_to_their_type(value: object, value_type: str | None, expected: object) -> None:
    assert converted(value, value_type) == expected


@pytest.mark.parametrize(("value", "value_type"), [("a", "integer"), ("1.5", "integer"), ("maybe", "boolean"),
                                                   (True, "number"), ("nan", "number")])
def test_a_value_not_of_its_type_is_refused(value: object, value_type: str) -> None:
    with pytest.raises((ValueError, decimal.InvalidOperation)):
        converted(value, value_type)


def test_a_template_without_value_type_is_text() -> None:
    assert [as_text(v) for v in (None, "a", 3, False, {"a": 1}, [1])] == [None, "a", "3", "false", '{"a": 1}', "[1]"]


def test_the_schema_declares_added_fields_and_drops_removed_ones() -> None:
    schema = {"type": "object", "required": ["id", "gone"], "properties": {
        "id": {"type": "integer"}, "gone": {"type": "string"},
        "meta": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
        "free": {"type": "object"}}}
    shaping = Shaping(added=(AddedField(("meta", "c"), 1), AddedField(("x", "y"), "t", "number"),
                             AddedField(("free", "z"), True), AddedField(("flag",), True)),
                      removed=(("gone",), ("meta", "a"), ("nothing", "here")))
    shaped = shaped_schema(schema, shaping)
    assert shaped["required"] == ["id"]
    assert shaped["properties"]["meta"]["properties"] == {"b": {"type": "string"}, "c": {"type": ["integer", "null"]}}
    assert shaped["properties"]["x"] == {"type": ["object", "null"],
                                         "properties": {"y": {"type": ["number", "null"]}}}
    assert shaped["properties"]["free"] == {"type": "object"}  # a free-form object admits the key
    assert shaped["properties"]["flag"] == {"type": ["boolean", "null"]}
    assert "gone" in schema["properties"]  # a copy
