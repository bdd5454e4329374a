"""Date-range windows of an incremental resource checked before any request: ``step`` and
``cursor_granularity`` are ISO 8601 durations, the granularity is finer than the step, the cursor is a
date-time, and ``cursor_granularity`` / ``window_concurrency`` come with a ``step``.

The windows themselves are cut per partition at sync time (``streams/windows.py``).
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.expressions.cursor_format import infer_format
from tap_generic_rest.expressions.datetimes import to_datetime
from tap_generic_rest.expressions.durations import Duration, DurationError, format_unit, parse_duration

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

#: keys that only mean something with a ``step``
_NEED_STEP = ("cursor_granularity", "window_concurrency")


def check_windows(spec: t.Mapping[str, t.Any], at: Where) -> None:
    """Refuse a window description that cannot work (``at``: the incremental's place)."""
    if "step" not in spec:
        for key in _NEED_STEP:
            if key in spec:
                raise at.at(key).error("only means something with step (the window length); add step, e.g. P30D")
        return
    step = _duration(spec["step"], at.at("step"))
    _check_date_cursor(spec, at)
    if spec.get("cursor_granularity") is not None:
        _check_finer(_duration(spec["cursor_granularity"], at.at("cursor_granularity")), step, at)
    _check_finer(window_granularity(spec, None, at), step, at)


def _check_finer(granularity: Duration, step: Duration, at: Where) -> None:
    if granularity.longest() >= step.shortest():
        raise at.at("cursor_granularity").error(
            f"{granularity.text} is not shorter than step {step.text}: windows would be empty or overlap; give a "
            "granularity finer than the step (the smallest unit of the cursor, e.g. PT1S or P1D)")


def window_granularity(spec: t.Mapping[str, t.Any], pattern: str | None, at: Where | None = None) -> Duration:
    """The declared ``cursor_granularity``, else the smallest unit of the cursor format (``pattern``, else
    the declared or inferred one); a granularity coarser than that unit is refused (the instants between a
    window's end and the next start would never be asked for)."""
    if pattern is None and (declared := infer_format(spec, {})) is not None:
        pattern = declared.pattern
    try:
        unit = format_unit(pattern)
    except DurationError as exc:
        if at is None:
            raise
        raise at.at("cursor_format").error(str(exc)) from None
    if spec.get("cursor_granularity") is None:
        return unit
    granularity = _duration(spec["cursor_granularity"], at.at("cursor_granularity") if at else None)
    if granularity.shortest() > unit.longest():
        msg = (f"{granularity.text} is coarser than the cursor's smallest unit {unit.text}: records between a "
               f"window's end and the next start would be skipped; give {unit.text} (or omit cursor_granularity)")
        if at is None:
            raise DurationError(msg)
        raise at.at("cursor_granularity").error(msg)
    return granularity


def _duration(value: object, at: Where | None) -> Duration:
    try:
        return parse_duration(value)
    except DurationError as exc:
        if at is None:
            raise
        raise at.error(str(exc)) from None


def _check_date_cursor(spec: t.Mapping[str, t.Any], at: Where) -> None:
    """A window needs date-time cursor values: a declared format, or an initial_value that is a date-time."""
    if spec.get("cursor_format") or "initial_value" not in spec:
        return
    initial = spec["initial_value"]
    if infer_format(spec, {}) is not None:
        return
    if isinstance(initial, str) and _is_datetime(initial):
        return
    raise at.at("step").error(
        f"windows need a date-time cursor, and initial_value {initial!r} is not one; give a date-time initial_value "
        "or cursor_format (%s for UNIX seconds, %ms, or a strftime pattern)")


def _is_datetime(text: str) -> bool:
    if text.strip().lstrip("-").isdigit():
        return False
    try:
        return to_datetime(text) is not None
    except ValueError:
        return False
