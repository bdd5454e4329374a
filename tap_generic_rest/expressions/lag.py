"""dlt's incremental ``lag``: the start value stepped back by an attribution window.

As dlt (``dlt/extract/incremental/lag.py``, ``last_value_func`` max): a date-time cursor steps back
``lag`` seconds, a date (``2024-01-31``, ``20240131``) ``lag`` days, a number by ``lag`` (an
integer stays an integer); a string keeps its own format. The result never crosses the initial
value (here: the ``start_date`` setting, else ``initial_value``), so a first run is unchanged.
Records inside the window are read and emitted again (Singer targets upsert them by key); the
bookmark never moves backwards (``streams.window``). With ``end_value`` dlt turns lag off; so
does the tap.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

_DATE_FORMATS = {re.compile(r"^\d{4}-\d{2}-\d{2}$"): "%Y-%m-%d", re.compile(r"^\d{8}$"): "%Y%m%d"}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|z|[+-]\d{2}:?\d{2})?$")


class LagError(ValueError):
    """The cursor value cannot be stepped back (not a date-time, date or number)."""


def lag_active(spec: t.Mapping[str, t.Any]) -> bool:
    """Whether the incremental config's lag applies (set, not zero, no end_value)."""
    return bool(spec.get("lag")) and spec.get("end_value") is None


def apply_lag(
    value: object,
    lag: float,
    floor: object,
    compare: t.Callable[[object], t.Any],
    step: t.Callable[[object, float], object] | None = None,
) -> object:
    """``value`` stepped back by ``lag`` (by ``step``: a cursor format's), never below ``floor`` (compared
    through ``compare``)."""
    if value is None:
        return None
    lagged = (step or _step_back)(value, lag)
    if floor is not None and compare(lagged) <= compare(floor):
        return floor
    return lagged


def _step_back(value: object, lag: float) -> object:
    if isinstance(value, bool):
        raise LagError(_unsupported(value))
    if isinstance(value, int):
        return int(value - lag)
    if isinstance(value, float):
        return value - lag
    if isinstance(value, dt.datetime):
        return value - dt.timedelta(seconds=lag)
    if isinstance(value, dt.date):
        return value - dt.timedelta(days=lag)
    if isinstance(value, str):
        return _step_back_text(value.strip(), lag)
    raise LagError(_unsupported(value))


def _step_back_text(text: str, lag: float) -> str:
    for pattern, fmt in _DATE_FORMATS.items():
        if pattern.match(text):
            day = dt.datetime.strptime(text, fmt).date()
            return (day - dt.timedelta(days=lag)).strftime(fmt)
    match = _DATETIME.match(text)
    if not match:
        raise LagError(_unsupported(text))
    zulu = text[-1] in "Zz"
    moment = dt.datetime.fromisoformat(text[:-1] + "+00:00" if zulu else text) - dt.timedelta(seconds=lag)
    timespec = ("microseconds" if match.group(3) else "seconds" if match.group(2) else
                "minutes" if match.group(1) else "hours")
    shown = moment.isoformat(sep=text[10], timespec=timespec)
    if zulu:
        return shown.removesuffix("+00:00") + text[-1]
    if match.group(4) and ":" not in match.group(4):  # +0100 kept without the colon
        return shown[:-3] + shown[-2:]
    return shown


def _unsupported(value: object) -> str:
    return (f"incremental lag needs a date-time, date or number cursor; {value!r} ({type(value).__name__}) "
            "is none of these (strings must be ISO 8601 dates or date-times)")
