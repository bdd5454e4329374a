"""Cursor formats: reading any start point, writing the API's format, inference, pattern checks."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_generic_rest.expressions.cursor_format import CursorFormat, CursorFormatError, check_pattern, infer_format

START = "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(("pattern", "value", "written"), [
    ("%s", START, 1704067200),
    ("%s", "1704067200", 1704067200),
    ("%ms", START, 1704067200000),
    ("%ms", 1704067200123, 1704067200123),
    ("%Y-%m-%d", START, "2024-01-01"),
    ("%Y-%m-%d", "2024-01-31", "2024-01-31"),
    ("%Y-%m-%dT%H:%M:%SZ", "2024-01-01T01:00:00+01:00", "2024-01-01T00:00:00Z"),
    ("%d/%m/%Y %H:%M", "31/12/2023 23:59", "31/12/2023 23:59"),
    ("%d/%m/%Y %H:%M", dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC), "02/01/2024 03:04"),
])
def test_convert(pattern: str, value: object, written: object) -> None:
    assert CursorFormat(pattern).convert(value) == written


def test_unreadable_values_raise_a_format_error() -> None:
    with pytest.raises(CursorFormatError, match="'soon' is not a date-time, nor a value in the cursor format '%s'"):
        CursorFormat("%s").convert("soon")
    assert CursorFormat("%s").convert(None) is None


def test_step_back_counts_seconds_days_and_milliseconds() -> None:
    assert CursorFormat("%ms").step_back(1704067200000, 2) == 1704067198000
    assert CursorFormat("%s").step_back(1704067200, 60) == 1704067140
    assert CursorFormat("%Y-%m-%d").step_back("2024-01-03", 2) == "2024-01-01"


@pytest.mark.parametrize(("spec", "schema", "pattern"), [
    ({"cursor_format": "%d.%m.%Y"}, {}, "%d.%m.%Y"),
    ({"initial_value": 1704067200}, {}, "%s"),
    ({"initial_value": 1704067200000}, {}, "%ms"),
    ({"initial_value": "2024-01-01"}, {}, "%Y-%m-%d"),
    ({}, {"format": "date"}, "%Y-%m-%d"),
    ({"initial_value": 0}, {"type": "integer"}, None),  # an id or counter: used as given
    ({"initial_value": START}, {}, None),  # ISO date-times: used as given
    ({}, {"format": "date-time"}, None),
])
def test_infer_format(spec: dict[str, object], schema: dict[str, object], pattern: str | None) -> None:
    found = infer_format(spec, schema)
    assert (found.pattern if found else None) == pattern


@pytest.mark.parametrize(("pattern", "problem"), [
    ("%s", None), ("%ms", None), ("%Y-%m-%dT%H:%M:%S.%f%z", None),
    ("epoch", "'epoch' is not a cursor format"), (12, "12 is not a cursor format"),
    ("%Q", "'%Q' is not a strftime pattern that can be read back"),
])
def test_check_pattern(pattern: object, problem: str | None) -> None:
    found = check_pattern(pattern)
    assert found == problem if problem is None else (found or "").startswith(problem)
