"""Date-times in descriptions: reading RFC 3339 / UNIX seconds, and ``format_datetime`` for templates."""

from __future__ import annotations

import datetime as dt


def to_datetime(value: object) -> dt.datetime | None:
    """Read an RFC 3339 string, UNIX seconds or a datetime as an aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").isdigit():
            return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def format_datetime(value: object, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> object:
    """Format a date-time for a request. ``%s`` gives integer UNIX seconds.

    A missing value (undefined or null) formats as the UNIX epoch, the contracts' "no start point".
    """
    moment = to_datetime(value) if not _is_undefined(value) else None
    moment = (moment or dt.datetime.fromtimestamp(0, tz=dt.UTC)).astimezone(dt.UTC)
    if fmt == "%s":
        return int(moment.timestamp())
    return moment.strftime(fmt)


def _is_undefined(value: object) -> bool:
    return type(value).__name__.endswith("Undefined")
