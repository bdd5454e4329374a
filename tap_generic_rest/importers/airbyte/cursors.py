"""``DatetimeBasedCursor`` -> ``endpoint.incremental`` (dlt's incremental with our window keys).

``cursor_field`` -> ``cursor_path``; ``datetime_format`` -> ``cursor_format`` (``cursor_datetime_formats``'
first entry when it differs: the records' format, with a warning); ``start_datetime`` -> ``initial_value``
(``{{ config.start_date }}`` is the tap's own ``start_date`` setting: left out); ``end_datetime`` ->
``end_value`` (``now_utc()`` / ``today_utc()`` is the default: left out); ``step`` -> ``step``;
``cursor_granularity`` -> ``cursor_granularity``; ``lookback_window`` -> ``lag`` (seconds);
``start_time_option`` / ``end_time_option`` -> ``start_param`` / ``end_param`` (request parameters) or
``{incremental.start_value}`` / ``{incremental.end_value}`` in headers and bodies; ``is_data_feed``: every
page is read and records filtered (warned); ``is_client_side_incremental``: nothing is sent, records are
filtered (as always). ``partition_field_start``/``_end`` name ``stream_interval``'s ends.
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.expressions.macros import parse_duration
from tap_generic_rest.importers.airbyte.requesters import inject, translate
from tap_generic_rest.importers.airbyte.variables import Scope

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

HANDLED = ("cursor_field", "datetime_format", "cursor_datetime_formats", "start_datetime", "end_datetime", "step",
           "cursor_granularity", "lookback_window", "start_time_option", "end_time_option", "is_data_feed",
           "is_client_side_incremental", "partition_field_start", "partition_field_end")
IGNORED = {"is_compare_strictly": "the start is inclusive, as dlt's", "global_substream_cursor": "one bookmark "
           "per partition is kept", "clamping": "windows are not aligned to calendar units",
           "allow_catalog_defined_cursor_field": "the cursor field is the description's"}
_NOW = re.compile(r"^\s*\{\{\s*(now_utc\(\)|today_utc\(\))(\.strftime\([^)]*\))?\s*\}\}\s*$")
_START_DATE = re.compile(r"^\s*\{\{\s*config(\[['\"]start_date['\"]\]|\.start_date)\s*\}\}\s*$")
_UNSUPPORTED_FORMATS = ("%s_as_float", "%epoch_microseconds")


def interval_keys(cursor: object) -> dict[str, tuple[str, ...]]:
    """The ``stream_slice`` keys of the window's ends (``start_time``/``end_time`` unless renamed)."""
    if not isinstance(cursor, dict) or cursor.get("type") != "DatetimeBasedCursor":
        return {}
    return {str(cursor.get("partition_field_start") or "start_time"): ("interval", "start_time"),
            str(cursor.get("partition_field_end") or "end_time"): ("interval", "end_time")}


def map_cursor(cursor: object, endpoint: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    """Our ``incremental`` (None: none or refused); writes start/end options into ``endpoint``."""
    if not isinstance(cursor, dict):
        return None
    if cursor.get("type") == "IncrementingCountCursor":
        return _counting(cursor, endpoint, stream, path)
    if cursor.get("type") != "DatetimeBasedCursor":
        stream.refuse(path, f"{cursor.get('type')} is not supported (DatetimeBasedCursor and IncrementingCountCursor "
                      "are)")
        return None
    stream.check_options(cursor, path, HANDLED, IGNORED)
    spec: dict[str, t.Any] = {"cursor_path": str(cursor.get("cursor_field") or "")}
    _format(cursor, spec, stream, path)
    _start_end(cursor, spec, stream, path)
    for key in ("step", "cursor_granularity"):
        if cursor.get(key):
            spec[key] = _duration_text(cursor[key], stream, f"{path}.{key}")
    if cursor.get("lookback_window"):
        text = _duration_text(cursor["lookback_window"], stream, f"{path}.lookback_window")
        if text:
            spec["lag"] = _seconds(text, stream, f"{path}.lookback_window")
    if cursor.get("is_data_feed"):
        stream.warn(f"{path}.is_data_feed", "every page is read and its records filtered by the cursor (no early "
                    "stop at the first old record)")
    if not cursor.get("is_client_side_incremental"):
        _options(cursor, spec, endpoint, stream, path)
    return {key: value for key, value in spec.items() if value is not None}


def _format(cursor: dict[str, t.Any], spec: dict[str, t.Any], stream: Stream, path: str) -> None:
    fmt = str(cursor.get("datetime_format") or "")
    formats = [str(f) for f in cursor.get("cursor_datetime_formats") or []]
    if formats and formats[0] != fmt:
        stream.warn(f"{path}.cursor_datetime_formats", f"the records' format {formats[0]!r} is the cursor_format; "
                    f"requests send the window's ends in it too (datetime_format {fmt!r} is not kept)")
        fmt = formats[0]
    if fmt in _UNSUPPORTED_FORMATS:
        stream.refuse(f"{path}.datetime_format", f"the format {fmt} is not supported (%s, %ms and strftime are)")
    elif fmt:
        spec["cursor_format"] = fmt


def _start_end(cursor: dict[str, t.Any], spec: dict[str, t.Any], stream: Stream, path: str) -> None:
    for key, target in (("start_datetime", "initial_value"), ("end_datetime", "end_value")):
        value = cursor.get(key)
        if isinstance(value, dict):
            for extra in ("min_datetime", "max_datetime"):
                if value.get(extra):
                    stream.refuse(f"{path}.{key}.{extra}", f"{extra} is not supported")
            value = value.get("datetime")
        if value is None or (isinstance(value, str) and (_NOW.match(value) or _START_DATE.match(value))):
            continue
        scope = Scope(stream, cursor.get("$parameters") or {}, placeholders=False)
        spec[target] = translate(value, scope, f"{path}.{key}")


def _duration_text(value: object, stream: Stream, path: str) -> str | None:
    text = str(value)
    if "{{" in text:
        stream.refuse(path, f"{text!r}: an interpolated duration is not supported (write an ISO 8601 duration)")
        return None
    if re.fullmatch(r"P(\d+Y)?(\d+M)?", text) and text != "P":  # years/months: ISO, kept as written
        return text
    try:
        parse_duration(text)
    except ValueError as exc:
        stream.refuse(path, str(exc))
        return None
    return text


def _seconds(text: str, stream: Stream, path: str) -> float | int | None:
    try:
        seconds = parse_duration(text).total_seconds()
    except ValueError:
        stream.refuse(path, f"lookback_window {text!r} in months or years is not supported (write days)")
        return None
    return int(seconds) if seconds.is_integer() else seconds


def _options(cursor: dict[str, t.Any], spec: dict[str, t.Any], endpoint: dict[str, t.Any], stream: Stream,
             path: str) -> None:
    for key, param, placeholder in (("start_time_option", "start_param", "{incremental.start_value}"),
                                    ("end_time_option", "end_param", "{incremental.end_value}")):
        option = cursor.get(key)
        if not isinstance(option, dict):
            continue
        if option.get("inject_into") == "request_parameter" and option.get("field_name") and not \
                option.get("field_path"):
            spec[param] = str(option["field_name"])
        else:
            inject(endpoint, option, placeholder, stream, f"{path}.{key}")


def _counting(cursor: dict[str, t.Any], endpoint: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any]:
    """``IncrementingCountCursor``: an integer cursor (``start_value`` -> ``initial_value``)."""
    stream.check_options(cursor, path, ("cursor_field", "start_value", "start_value_option"),
                         {"allow_catalog_defined_cursor_field": "the cursor field is the description's"})
    spec: dict[str, t.Any] = {"cursor_path": str(cursor.get("cursor_field") or "")}
    if cursor.get("start_value") is not None:
        scope = Scope(stream, cursor.get("$parameters") or {}, placeholders=False)
        spec["initial_value"] = translate(cursor["start_value"], scope, f"{path}.start_value")
    _options({"start_time_option": cursor.get("start_value_option")}, spec, endpoint, stream, path)
    return spec
