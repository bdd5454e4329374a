"""Airbyte's macros and filters as template helpers, in the sandbox and its limits."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_generic_rest.expressions.macros import parse_duration
from tap_generic_rest.expressions.sandbox import is_template_expression
from tap_generic_rest.expressions.templating import TemplateError, compile_string, render_tree

CONFIG = {"config": {"start": "2024-05-01T12:00:00Z", "key": "user", "days": 3}}


def render(source: str) -> object:
    return render_tree(compile_string(source), CONFIG)


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ format_datetime(config.start, '%Y-%m-%d') }}", "2024-05-01"),
    ("{{ format_datetime(config.start, '%ms') }}", 1714564800000),
    ("{{ format_datetime('01/05/2024', '%Y-%m-%d', '%d/%m/%Y') }}", "2024-05-01"),
    ("{{ timestamp(config.start) }}", 1714564800),
    ("{{ (str_to_datetime(config.start) + duration('P1DT2H')).isoformat() }}", "2024-05-02T14:00:00+00:00"),
    ("{{ max(config.days, 5) }}-{{ min(config.days, 5) }}", "5-3"),
    ("{{ config.key | base64encode }}", "dXNlcg=="),
    ("{{ (config.key | base64encode) | base64decode }}{{ config.key | hash('sha256') | length }}", "user64"),
    ("{{ config.key | hash }}", "ee11cbb19052e40b07aac0ca060c23ee"),
    ("{{ config.start | regex_search('([0-9]{4})-') }}", "2024"),
    ("{{ config.start | regex_search('T([0-9]+):') }}", "12"),
    ("{{ config.start | regex_search('(?:ab)?2024') }}", "2024"),
])
def test_macros_and_filters(source: str, expected: object) -> None:
    assert render(source) == expected


def test_now_and_day_delta_without_a_variable_are_templates() -> None:
    assert is_template_expression(" now_utc() ")
    assert not is_template_expression("not_this")  # dlt's literal braces stay literal
    today = dt.datetime.now(tz=dt.UTC).date()
    assert render("{{ today_utc() }}") == today
    assert render("{{ day_delta(-1, '%Y-%m-%d') }}") == (today - dt.timedelta(days=1)).isoformat()
    assert isinstance(render("{{ now_utc() }}"), dt.datetime)


@pytest.mark.parametrize(("text", "seconds"), [("P1D", 86400), ("PT1S", 1), ("P2W", 1209600), ("PT1H30M", 5400),
                                               ("P1DT0.5S", 86400.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["P1M", "P1Y", "1D", "P", "PT", "P1DT"])
def test_durations_without_a_fixed_length_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)


@pytest.mark.parametrize(("source", "message"), [
    ("{{ config.key | hash('crc') }}", "hash type 'crc'"),
    ("{{ config.key | base64decode }}", "not base64"),
    ("{{ config.key | regex_search('a' * 600) }}", "longer than 500"),
    ("{{ config.key | regex_search('(a+)+$') }}", "repeats a group"),
    ("{{ config.key | regex_search('(a|aa)*b') }}", "repeats a group"),
    ("{{ config.key | regex_search('(x{2,})+') }}", "repeats a group"),
    ("{{ (config.key * 30000) | regex_search('u') }}", "at most 100,000 characters"),
])
def test_helpers_fail_in_one_line(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render(source)


def test_helpers_reach_no_internals() -> None:
    assert render("{{ now_utc().__class__ }}") is None
    with pytest.raises(TemplateError, match="unsafe"):
        render("{{ duration('P1D').__class__.__mro__ }}")
