"""Date-range windows without HTTP: ISO 8601 durations, the cut of a range (exact, no overlap, no gap),
and the checks of ``step`` / ``cursor_granularity`` / ``window_concurrency`` (one line, exact path)."""

from __future__ import annotations

import datetime as dt
import itertools
import typing as t

import pytest

from tap_generic_rest.description.load import parse_description
from tap_generic_rest.errors import DescriptionError
from tap_generic_rest.expressions.durations import DurationError, add_months, format_unit, parse_duration
from tap_generic_rest.streams.windows import cut

if t.TYPE_CHECKING:
    from pathlib import Path

UTC = dt.UTC
DAY, SECOND = dt.timedelta(days=1), dt.timedelta(seconds=1)


@pytest.mark.parametrize(("text", "months", "span"), [
    ("P30D", 0, 30 * DAY), ("PT6H", 0, dt.timedelta(hours=6)), ("P1M", 1, dt.timedelta(0)),
    ("P1Y2M3DT4H5M6S", 14, dt.timedelta(days=3, hours=4, minutes=5, seconds=6)), ("P2W", 0, 14 * DAY),
    ("PT0.001S", 0, dt.timedelta(milliseconds=1)),
])
def test_iso_durations_are_read(text: str, months: int, span: dt.timedelta) -> None:
    duration = parse_duration(text)
    assert (duration.months, duration.span) == (months, span)


@pytest.mark.parametrize("text", ["30D", "P", "PT", "P1.5M", "P0D", "p30d", "P30DT", 30, None])
def test_what_is_not_a_positive_duration_is_refused(text: object) -> None:
    with pytest.raises(DurationError, match="duration"):
        parse_duration(text)


def test_calendar_months_clamp_the_day() -> None:
    jan31 = dt.datetime(2024, 1, 31, 10, tzinfo=UTC)
    assert add_months(jan31, 1) == dt.datetime(2024, 2, 29, 10, tzinfo=UTC)
    assert add_months(jan31, 13) == dt.datetime(2025, 2, 28, 10, tzinfo=UTC)
    assert add_months(jan31, -2) == dt.datetime(2023, 11, 30, 10, tzinfo=UTC)
    assert parse_duration("P1M").after(jan31, 2) == dt.datetime(2024, 3, 31, 10, tzinfo=UTC), "counted from the start"


@pytest.mark.parametrize(("pattern", "unit"), [
    (None, "PT1S"), ("%s", "PT1S"), ("%ms", "PT0.001S"), ("%Y-%m-%d", "P1D"), ("%Y-%m-%dT%H:%M", "PT1M"),
    ("%Y-%m-%dT%H:%M:%S.%fZ", "PT0.000001S"), ("%d/%m/%Y %H", "PT1H"),
])
def test_the_default_granularity_is_the_formats_smallest_unit(pattern: str | None, unit: str) -> None:
    assert format_unit(pattern).text == unit


def test_a_format_without_a_day_has_no_granularity() -> None:
    with pytest.raises(DurationError, match="writes no day"):
        format_unit("%Y-%m")


def test_a_range_is_cut_without_overlap_or_gap() -> None:
    start, end = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 3, 5, 12, tzinfo=UTC)
    windows = list(cut(start, end, parse_duration("P30D"), parse_duration("PT1S")))
    assert [(first.isoformat(), last.isoformat()) for first, last, _, _ in windows] == [
        ("2024-01-01T00:00:00+00:00", "2024-01-30T23:59:59+00:00"),
        ("2024-01-31T00:00:00+00:00", "2024-02-29T23:59:59+00:00"),
        ("2024-03-01T00:00:00+00:00", "2024-03-05T12:00:00+00:00")]
    for (_, last, resume, final), (following, _, _, _) in itertools.pairwise(windows):
        assert not final
        assert last + SECOND == following == resume, "the next window starts one granularity after, the bookmark there"
    assert windows[-1][2:] == (end, True), "after the last window the bookmark is the range's end"


def test_an_empty_or_single_instant_range() -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert list(cut(moment, moment - SECOND, parse_duration("P1D"), parse_duration("PT1S"))) == []
    assert list(cut(moment, moment, parse_duration("P1D"), parse_duration("PT1S"))) == [(moment, moment, moment, True)]


PREFIX = "invalid API description test: resources[0].endpoint.incremental."


def load_error(root: Path, **incremental: t.Any) -> str:
    spec = {"cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z", **incremental}
    document = {"client": {"base_url": "https://api.test"},
                "resources": [{"name": "items", "endpoint": {"path": "/items", "incremental": spec}}]}
    with pytest.raises(DescriptionError) as caught:
        parse_description(document, origin="test", root=root)
    return str(caught.value)


@pytest.mark.parametrize(("incremental", "expected"), [
    ({"step": "30 days"}, "step: '30 days' is not an ISO 8601 duration; write e.g. P30D (30 days)"),
    ({"step": "P1D", "cursor_granularity": "1s"}, "cursor_granularity: '1s' is not an ISO 8601 duration"),
    ({"step": "PT1S"}, "cursor_granularity: PT1S is not shorter than step PT1S: windows would be empty or overlap"),
    ({"step": "P1D", "cursor_format": "%Y-%m-%d"}, "cursor_granularity: P1D is not shorter than step P1D"),
    ({"step": "P30D", "cursor_granularity": "PT1H"}, "cursor_granularity: PT1H is coarser than the cursor's smallest "
                                                    "unit PT1S: records between a window's end and the next start"),
    ({"step": "P3M", "cursor_granularity": "P1M", "cursor_format": "%Y-%m-%d"}, "cursor_granularity: P1M is coarser"),
    ({"step": "P30D", "initial_value": 0}, "step: windows need a date-time cursor, and initial_value 0 is not one"),
    ({"step": "P30D", "initial_value": "abc"}, "step: windows need a date-time cursor, and initial_value 'abc'"),
    ({"step": "P30D", "cursor_format": "%Y-%m"}, "cursor_format: the cursor format '%Y-%m' writes no day"),
    ({"cursor_granularity": "PT1S"}, "cursor_granularity: only means something with step (the window length)"),
    ({"window_concurrency": 4}, "window_concurrency: only means something with step"),
    ({"step": "P30D", "window_concurrency": 0}, "window_concurrency: 0 is too small; use a number of at least 1"),
    ({"step": 30}, "step: expected string, got int 30"),
])
def test_a_bad_window_is_one_line_at_its_exact_path(tmp_path: Path, incremental: dict[str, t.Any],
                                                    expected: str) -> None:
    message = load_error(tmp_path, **incremental)
    assert message.startswith(PREFIX + expected), message
    assert "\n" not in message


def test_windows_on_dates_seconds_and_milliseconds_load(tmp_path: Path) -> None:
    for incremental in ({"cursor_format": "%Y-%m-%d", "step": "P7D"}, {"initial_value": 1700000000, "step": "PT6H"},
                        {"initial_value": 1700000000000, "step": "PT1H", "cursor_granularity": "PT0.001S"},
                        {"cursor_format": "%s", "step": "P1M", "window_concurrency": 3}):
        spec = {"cursor_path": "updated_at", "initial_value": "2024-01-01", **incremental}
        document = {"client": {"base_url": "https://api.test"},
                    "resources": [{"name": "items", "endpoint": {"path": "/items", "incremental": spec}}]}
        assert parse_description(document, origin="test", root=tmp_path).resources[0].incremental == spec
