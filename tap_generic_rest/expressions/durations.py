"""ISO 8601 durations (``P30D``, ``PT6H``, ``P1M``, ``PT0.001S``) for date-range windows: read, added to a
moment (calendar months and years clamp the day: 31 January + ``P1M`` is the last day of February), and
the smallest unit of a cursor format (the default ``cursor_granularity``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tap_generic_rest.expressions.cursor_format import EPOCH_MILLIS, EPOCH_SECONDS

_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
#: strftime directives, finest first, with the unit they write (seconds)
_UNITS = ((r"%f", 1e-6), (r"%[STXcs]", 1.0), (r"%[MR]", 60.0), (r"%[HI]", 3600.0), (r"%[dj]", 86400.0))
#: a month counted at its shortest and longest, to compare durations
_MONTH_DAYS = (28, 31)


class DurationError(ValueError):
    """Not an ISO 8601 duration."""


@dataclass(frozen=True)
class Duration:
    """Calendar months (years are 12) plus an exact time span."""

    months: int
    span: dt.timedelta
    text: str

    def after(self, moment: dt.datetime, times: int = 1) -> dt.datetime:
        """``moment`` plus ``times`` this duration (months first, the day clamped to the month's last)."""
        return add_months(moment, self.months * times) + self.span * times

    def before(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` minus this duration."""
        return add_months(moment, -self.months) - self.span

    def shortest(self) -> dt.timedelta:
        """Its length with the shortest months."""
        return dt.timedelta(days=_MONTH_DAYS[0] * self.months) + self.span

    def longest(self) -> dt.timedelta:
        """Its length with the longest months."""
        return dt.timedelta(days=_MONTH_DAYS[1] * self.months) + self.span


def parse_duration(text: object) -> Duration:
    """``text`` (``PnYnMnWnDTnHnMnS``) as a positive :class:`Duration`."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        msg = (f"{text!r} is not an ISO 8601 duration; write e.g. P30D (30 days), PT6H (6 hours), P1M (a calendar "
               "month), PT1S (a second)")
        raise DurationError(msg)
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    months = int(parts["years"]) * 12 + int(parts["months"])
    span = dt.timedelta(weeks=parts["weeks"], days=parts["days"], hours=parts["hours"], minutes=parts["minutes"],
                        seconds=parts["seconds"])
    if months == 0 and span <= dt.timedelta(0):
        msg = f"{text!r} is an empty duration; give a positive one, e.g. P1D"
        raise DurationError(msg)
    return Duration(months, span, str(text).strip())


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` moved ``months`` calendar months, the day clamped to the target month's last."""
    if not months:
        return moment
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    day = min(moment.day, (following - dt.date(year, month + 1, 1)).days)
    return moment.replace(year=year, month=month + 1, day=day)


def format_unit(pattern: str | None) -> Duration:
    """The smallest unit a cursor format writes (the default ``cursor_granularity``); no format: RFC 3339
    seconds."""
    if pattern == EPOCH_MILLIS:
        return Duration(0, dt.timedelta(milliseconds=1), "PT0.001S")
    if pattern is None or pattern == EPOCH_SECONDS:
        return Duration(0, dt.timedelta(seconds=1), "PT1S")
    for directive, seconds in _UNITS:
        if re.search(directive, pattern):
            return Duration(0, dt.timedelta(seconds=seconds), _iso(seconds))
    msg = f"the cursor format {pattern!r} writes no day; windows need a format with a day (%d or %j) or finer"
    raise DurationError(msg)


def _iso(seconds: float) -> str:
    for size, unit in ((86400, "D"), (3600, "H"), (60, "M")):
        if seconds >= size and seconds % size == 0:
            return f"P{int(seconds // size)}D" if unit == "D" else f"PT{int(seconds // size)}{unit}"
    return "PT" + f"{seconds:.6f}".rstrip("0").rstrip(".") + "S"
