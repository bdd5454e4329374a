"""dlt incremental loading mapped onto Singer.

``endpoint.incremental`` (or one ``type: incremental`` param) gives the replication key
(``cursor_path``), the start value (bookmark, else the ``start_date`` setting, else
``initial_value``; stepped back by ``lag``, see ``lag``) for ``{incremental.*}`` placeholders and
``start_param``/``end_param``, and dlt's record filter (cursor below the start dropped, at/above
``end_value`` dropped, range ends open or closed, a missing cursor raising, included or excluded).
Bookmarks are Singer STATE, per parent for child streams.
"""

from __future__ import annotations

import logging
import typing as t

from tap_generic_rest.description.windows import check_windows
from tap_generic_rest.expressions.cursor_format import check_pattern

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

LOGGER = logging.getLogger("tap-generic-rest")
#: incremental keys that change nothing here, and why
IGNORED = {
    "primary_key": "dlt de-duplicates boundary records by it; Singer targets upsert by the stream's key",
    "allow_external_schedulers": "no external scheduler sets the range of a Singer run",
    "row_order": "desc only lets dlt stop paginating early; every page is read and filtered",
}


def incremental_spec(endpoint: dict[str, t.Any], where: Where) -> tuple[dict[str, t.Any] | None, dict[str, t.Any]]:
    """The endpoint's incremental config (None: full table) and its params with placeholders bound; ``where``
    is the endpoint's place."""
    params = dict(endpoint.get("params") or {})
    found = [name for name, value in params.items() if isinstance(value, dict) and value.get("type") == "incremental"]
    if len(found) > 1 or (found and "incremental" in endpoint):
        raise where.at("params").error("only one incremental per endpoint (an incremental param or "
                                       "endpoint.incremental)")
    if found:
        at = where.at(f"params.{found[0]}")
        spec = {key: value for key, value in params.pop(found[0]).items() if key != "type"}
        if "end_value" in spec or "end_param" in spec:
            raise at.error("an incremental param takes no end_value/end_param; use endpoint.incremental")
        spec["start_param"] = found[0]
    elif "incremental" in endpoint:
        at, spec = where.at("incremental"), dict(endpoint["incremental"])
    else:
        return None, params
    _check(spec, at)
    if spec.get("start_param"):
        params[spec["start_param"]] = "{incremental.start_value}"
    if spec.get("end_param"):
        params[spec["end_param"]] = "{incremental.end_value}"
    return spec, params


def _check(spec: dict[str, t.Any], at: Where) -> None:
    """Refuse what Singer bookmarks cannot hold; warn of what changes nothing here."""
    if not str(spec.get("cursor_path", "")).isidentifier():
        raise at.at("cursor_path").error(f"{spec.get('cursor_path')!r} is not a top-level field name; a Singer "
                                         "replication key must be a top-level record field")
    if spec.get("last_value_func", "max") != "max":
        raise at.at("last_value_func").error("only 'max' maps onto Singer bookmarks")
    if spec.get("cursor_format") is not None and (problem := check_pattern(spec["cursor_format"])):
        raise at.at("cursor_format").error(problem)
    if "convert" in spec:
        raise at.at("convert").error("convert is a Python callable; a data description cannot hold it")
    if spec.get("end_value") is not None and spec.get("initial_value") is None:
        raise at.at("end_value").error("end_value needs an initial_value (dlt refuses it too); add initial_value")
    for key, value in (("primary_key", spec.get("primary_key")), ("allow_external_schedulers",
                       spec.get("allow_external_schedulers")), ("row_order", spec.get("row_order") == "desc")):
        if value:
            LOGGER.warning("%s is ignored: %s", at.at(key), IGNORED[key])
    if spec.get("lag") is not None and spec["lag"] < 0:
        raise at.at("lag").error(f"{spec['lag']!r} would start after the bookmark and skip records; give the "
                                 "window to re-read, in seconds (date-times), days (dates) or cursor units (numbers)")
    if spec.get("lag") and spec.get("end_value") is not None:
        LOGGER.info("%s is not applied with end_value (as in dlt)", at.at("lag"))
    check_windows(spec, at)


def record_filter(spec: dict[str, t.Any], start: object, compare: t.Callable[[object], t.Any]) -> t.Callable[
        [dict[str, t.Any]], bool]:
    """dlt's filter: keep records in [start, end_value) (ranges per range_start/range_end)."""
    key = spec["cursor_path"]
    lower = compare(start) if start is not None else None
    upper = compare(spec["end_value"]) if spec.get("end_value") is not None else None
    missing = spec.get("on_cursor_value_missing", "raise")
    open_start = spec.get("range_start", "closed") == "open"
    closed_end = spec.get("range_end", "open") == "closed"

    def keep(record: dict[str, t.Any]) -> bool:
        raw = record.get(key)
        if raw is None:
            if missing == "raise":
                msg = (f"a record has no value for the incremental cursor {key!r}; set "
                       "on_cursor_value_missing: include or exclude")
                raise ValueError(msg)
            return bool(missing == "include")
        value = compare(raw)
        try:
            if lower is not None and (value < lower or (open_start and value == lower)):
                return False
            return upper is None or value < upper or (closed_end and value == upper)
        except TypeError:  # e.g. a text cursor against a numeric initial_value (dlt raises too)
            bounds = " / ".join(repr(b) for b in (start, spec.get("end_value")) if b is not None)
            msg = (f"the incremental cursor {key!r} has the value {raw!r}, which cannot be compared with "
                   f"{bounds}; give initial_value/end_value (or start_date) of the cursor's own type")
            raise ValueError(msg) from None

    return keep
