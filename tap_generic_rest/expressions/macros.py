"""The helpers templates may call (Airbyte's macros and filters, under their names), each bounded.

Macros: ``now_utc()`` (an aware UTC date-time), ``today_utc()`` (a date), ``day_delta(days, fmt)`` (now plus
``days``, formatted), ``duration('P1D')`` (a time delta), ``format_datetime(value, fmt, input_format)``
(``%s``: UNIX seconds, ``%ms``: milliseconds), ``str_to_datetime(text)``, ``timestamp(value)`` (UNIX
seconds), ``max``/``min``. Filters: ``hash(kind, salt)`` (md5, sha1, sha256, sha512), ``base64encode``,
``base64decode``, ``regex_search(pattern)`` (the first group, else the match, else none; at most 500
characters of pattern over 100,000 of text, and no repeated group that repeats or alternates itself, such as
``(a+)+``: Python's regular expressions cannot be stopped once running). No helper
reaches files, the network, the environment or Python internals.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import typing as t

from tap_generic_rest.expressions.datetimes import format_datetime as _format
from tap_generic_rest.expressions.datetimes import to_datetime

_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_HASHES = frozenset({"md5", "sha1", "sha256", "sha512"})
#: the longest pattern regex_search compiles and the longest text it searches (bounded work)
_MAX_PATTERN = 500
_MAX_SEARCHED = 100_000
#: a repeated group that itself repeats or alternates ((a+)+, (a|aa)*): exponential backtracking
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}|](?:[^()\\]|\\.)*\)[+*{]")


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (``P1D``, ``PT1S``, ``P2W``).

    Years and months have no fixed length: they raise ValueError.
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        msg = f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds (e.g. P1D, PT1H)"
        raise ValueError(msg)
    weeks, days, hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def now_utc() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(tz=dt.UTC)


def today_utc() -> dt.date:
    """Today's date in UTC."""
    return now_utc().date()


def day_delta(days: float, fmt: str = "%Y-%m-%dT%H:%M:%S.%f%z") -> object:
    """Now plus ``days`` (negative: before), formatted."""
    return format_datetime(now_utc() + dt.timedelta(days=days), fmt)


def format_datetime(value: object, fmt: str = "%Y-%m-%dT%H:%M:%SZ", input_format: str | None = None) -> object:
    """``value`` (a date-time, RFC 3339 text, UNIX seconds; ``input_format`` reads other text) as ``fmt``."""
    if input_format and isinstance(value, str):
        value = _read(value, input_format)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if fmt == "%ms":
        moment = to_datetime(value)
        return int(moment.timestamp() * 1000) if moment else 0
    return _format(value, fmt)


def _read(text: str, input_format: str) -> dt.datetime:
    if input_format == "%s":
        return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
    if input_format == "%ms":
        return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
    moment = dt.datetime.strptime(text, input_format)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def str_to_datetime(text: str) -> dt.datetime:
    """RFC 3339 text (or a date) as an aware UTC date-time."""
    moment = to_datetime(text)
    if moment is None:
        msg = f"{text!r} is not a date-time"
        raise ValueError(msg)
    return moment


def timestamp(value: object) -> int:
    """UNIX seconds of a date-time, RFC 3339 text or number."""
    moment = to_datetime(value if not isinstance(value, str) or not value.strip().isdigit() else int(value))
    if moment is None:
        msg = f"{value!r} is not a date-time"
        raise ValueError(msg)
    return int(moment.timestamp())


def hash_filter(value: object, kind: str = "md5", salt: str | None = None) -> str:
    """The hex digest of ``value`` (text) by ``kind``, salted when asked."""
    if kind not in _HASHES:
        msg = f"hash type {kind!r} is not one of: {', '.join(sorted(_HASHES))}"
        raise ValueError(msg)
    digest = hashlib.new(kind)
    digest.update(str(value).encode())
    if salt:
        digest.update(str(salt).encode())
    return digest.hexdigest()


def base64encode(value: object) -> str:
    """Base64 of ``value``'s UTF-8 text."""
    return base64.b64encode(str(value).encode()).decode()


def base64decode(value: object) -> str:
    """The UTF-8 text of base64 ``value``."""
    try:
        return base64.b64decode(str(value)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        msg = f"not base64 text: {exc}"
        raise ValueError(msg) from None


def regex_search(value: object, pattern: str) -> str | None:
    """The first group of ``pattern``'s first match in ``value`` (the whole match without groups), or None."""
    if len(pattern) > _MAX_PATTERN:
        msg = f"the pattern is longer than {_MAX_PATTERN} characters"
        raise ValueError(msg)
    if _NESTED.search(pattern):
        msg = f"the pattern {pattern!r} repeats a group that repeats or alternates itself (it could run for ever)"
        raise ValueError(msg)
    text = str(value)
    if len(text) > _MAX_SEARCHED:
        msg = f"regex_search searches at most {_MAX_SEARCHED:,} characters, not {len(text):,}"
        raise ValueError(msg)
    match = re.search(pattern, text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)


MACROS: dict[str, t.Callable[..., object]] = {
    "now_utc": now_utc, "today_utc": today_utc, "day_delta": day_delta, "duration": parse_duration,
    "format_datetime": format_datetime, "str_to_datetime": str_to_datetime, "timestamp": timestamp,
    "max": max, "min": min,
}
FILTERS: dict[str, t.Callable[..., object]] = {
    "hash": hash_filter, "base64encode": base64encode, "base64decode": base64decode, "regex_search": regex_search,
}
