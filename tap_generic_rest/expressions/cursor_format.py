"""The format of an incremental cursor's values: how the API writes them (our ``cursor_format``).

``%s`` is integer UNIX seconds, ``%ms`` integer UNIX milliseconds (Airbyte's names in its
``datetime_format`` / ``cursor_datetime_formats``); anything else is a strftime pattern
(``%Y-%m-%d``, ``%Y-%m-%dT%H:%M:%SZ``, ``%d/%m/%Y %H:%M``). Every start point, bookmark, lag,
``end_value`` and filter bound is read into a moment and written back in this format. Without a
declaration the format is inferred where it is clear (see :func:`infer_format`); else values are
used as they are given.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

from tap_generic_rest.expressions.datetimes import to_datetime

EPOCH_SECONDS = "%s"
EPOCH_MILLIS = "%ms"
DATE = "%Y-%m-%d"
#: RFC 3339 to the second, in UTC
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcTRs]")
#: integers from here on read as UNIX milliseconds (1973-03-03 in ms), from 10**8 on as seconds (1973)
_MILLIS_FROM = 10**11
_SECONDS_FROM = 10**8
_PROBE = dt.datetime(2024, 3, 5, 7, 8, 9, tzinfo=dt.UTC)


class CursorFormatError(ValueError):
    """A value cannot be read or written in the cursor's format."""


class CursorFormat:
    """Reads any start point (ISO 8601, the format itself, a datetime) and writes the format."""

    def __init__(self, pattern: str) -> None:
        """A format from its declaration (``%s``, ``%ms`` or a strftime pattern)."""
        self.pattern = pattern

    @property
    def is_date(self) -> bool:
        """Whether the format holds days only (lag then counts days, as dlt's for dates)."""
        return self.pattern not in (EPOCH_SECONDS, EPOCH_MILLIS) and not _TIME_DIRECTIVES.search(self.pattern)

    def read(self, value: object) -> dt.datetime:
        """``value`` (in this format, ISO 8601, a datetime or UNIX seconds) as an aware UTC moment."""
        try:
            moment = self._read(value)
        except (ValueError, OverflowError, OSError, TypeError):
            moment = None
        if moment is None:
            msg = f"{value!r} is not a date-time, nor a value in the cursor format {self.pattern!r}"
            raise CursorFormatError(msg)
        return moment

    def write(self, moment: dt.datetime) -> object:
        """``moment`` in this format (an integer for the epoch formats)."""
        moment = moment.astimezone(dt.UTC)
        if self.pattern == EPOCH_SECONDS:
            return int(moment.timestamp())
        if self.pattern == EPOCH_MILLIS:
            return int(moment.timestamp() * 1000)
        return moment.strftime(self.pattern)

    def convert(self, value: object) -> object:
        """``value`` rewritten in this format (None stays None)."""
        return None if value is None else self.write(self.read(value))

    def step_back(self, value: object, lag: float) -> object:
        """``value`` moved back ``lag`` seconds (days for a date format), in this format."""
        delta = dt.timedelta(days=lag) if self.is_date else dt.timedelta(seconds=lag)
        return self.write(self.read(value) - delta)

    def _read(self, value: object) -> dt.datetime | None:
        if isinstance(value, bool) or value is None:
            return None
        if self.pattern in (EPOCH_SECONDS, EPOCH_MILLIS) and _is_number(value):
            number = float(t.cast("t.Any", value))
            return dt.datetime.fromtimestamp(number / 1000 if self.pattern == EPOCH_MILLIS else number, tz=dt.UTC)
        if isinstance(value, str) and self.pattern not in (EPOCH_SECONDS, EPOCH_MILLIS):
            try:
                parsed = dt.datetime.strptime(value.strip(), self.pattern)
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        return to_datetime(value)


def _is_number(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"-?\d+(\.\d+)?", value.strip()))


def check_pattern(pattern: object) -> str | None:
    """Why ``pattern`` is not a cursor format (None: it is one)."""
    if not isinstance(pattern, str) or "%" not in pattern:
        return f"{pattern!r} is not a cursor format; give %s (UNIX seconds), %ms (milliseconds) or a strftime pattern"
    if pattern in (EPOCH_SECONDS, EPOCH_MILLIS):
        return None
    try:
        written = _PROBE.strftime(pattern)
        dt.datetime.strptime(written, pattern)
    except ValueError as exc:
        return f"{pattern!r} is not a strftime pattern that can be read back ({exc})"
    return None


def infer_format(spec: t.Mapping[str, t.Any], key_schema: t.Mapping[str, t.Any]) -> CursorFormat | None:
    """The declared ``cursor_format``, else one clear from ``initial_value`` or the key's schema format
    (a date, or a UNIX time in seconds or milliseconds); None: values are used as given."""
    if spec.get("cursor_format"):
        return CursorFormat(spec["cursor_format"])
    initial = spec.get("initial_value")
    if isinstance(initial, int) and not isinstance(initial, bool):
        if initial >= _MILLIS_FROM:
            return CursorFormat(EPOCH_MILLIS)
        if initial >= _SECONDS_FROM:
            return CursorFormat(EPOCH_SECONDS)
    if isinstance(initial, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", initial.strip()):
        return CursorFormat(DATE)
    if initial is None and key_schema.get("format") == "date":
        return CursorFormat(DATE)
    return None
