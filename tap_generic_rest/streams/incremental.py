"""Incremental streams: start points in the replication key's own type (lag applied), the client-side
filter, and a bookmark that never moves backwards."""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_generic_rest.description.incremental import record_filter
from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.lag import LagError, apply_lag, lag_active
from tap_generic_rest.expressions.templating import to_datetime
from tap_generic_rest.streams.base import StreamBase, context_key

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context, Record


class IncrementalStream(StreamBase):
    """Start points per partition, fixed when the partition's sync begins."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Set up the per-partition start points."""
        super().__init__(*args, **kwargs)
        self._start_points: dict[tuple[tuple[str, t.Any], ...], object] = {}
        #: with lag: each partition's bookmark when its sync began (comparable), which it never goes below
        self._bookmark_floors: dict[tuple[tuple[str, t.Any], ...], object] = {}

    def fix_start_point(self, context: Context | None) -> None:
        """Fix a partition's start point for this sync (a sorted stream moves its bookmark while it reads)."""
        key = context_key(context)
        self._start_points[key] = self._start_point(context)
        if lag_active(self.resource.incremental or {}):
            bookmark = self._bookmark(context)
            self._bookmark_floors[key] = _comparable(bookmark) if bookmark is not None else None

    def _bookmark(self, context: Context | None) -> object:
        """The partition's bookmark (the SDK gives it, else start_date, also for non-timestamp keys)."""
        return self.get_starting_replication_key_value(context)

    @override
    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None) -> None:
        """A record re-read inside the lag window does not move the bookmark backwards."""
        floor: t.Any = self._bookmark_floors.get(context_key(context))
        value = latest_record.get(self.replication_key or "")
        if floor is not None and value is not None and t.cast("t.Any", _comparable(value)) < floor:
            return
        super()._increment_stream_state(latest_record, context=context)

    def _template_variables(self, context: Context | None) -> dict[str, t.Any]:
        key = context_key(context)
        if key not in self._start_points:
            self._start_points[key] = self._start_point(context)
        return {
            "config": self.config,
            "stream_slice": dict(context or {}),
            "parent": dict(context or {}),
            "stream_interval": {
                "start_time": self._start_points[key],
                "end_time": self._in_key_type(self.runtime.sync_started_at),
            },
            "incremental": self._incremental_values(self._start_points[key], context),
        }

    def _incremental_values(self, start: object, context: Context | None) -> dict[str, t.Any]:
        """dlt's ``{incremental.*}`` values."""
        spec = self.resource.incremental or {}
        bookmark = self._bookmark(context) if spec else None
        last_value = bookmark if bookmark is not None else spec.get("initial_value")
        if lag_active(spec):  # dlt's last_value is lagged too
            last_value = self._lagged(last_value, spec.get("initial_value"))
        return {
            "start_value": start,
            "initial_value": spec.get("initial_value"),
            "last_value": last_value,
            "end_value": spec.get("end_value"),
        }

    def _lagged(self, value: object, floor: object) -> object:
        spec = self.resource.incremental or {}
        try:
            return apply_lag(value, float(spec["lag"]), floor, _comparable)
        except (LagError, TypeError) as exc:
            msg = f"stream {self.name}: {exc}; fix {self.resource.where}.endpoint.incremental.lag"
            raise StreamError(msg) from None

    def _key_is_integer(self) -> bool:
        key_schema = self.schema.get("properties", {}).get(self.replication_key or "", {})
        types = key_schema.get("type", [])
        return "integer" in ([types] if isinstance(types, str) else types)

    def _in_key_type(self, moment: dt.datetime | None) -> object:
        """A moment in the replication key's own type: UNIX seconds or RFC 3339."""
        if moment is None:
            return 0 if self._key_is_integer() else None
        if self._key_is_integer():
            return int(moment.timestamp())
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _start_point(self, context: Context | None) -> object:
        """The incremental start point: bookmark, else start_date, else none (UNIX 0)."""
        if not self.replication_key:
            return None
        spec = self.resource.incremental or {}
        initial = self.config.get("start_date") or spec.get("initial_value")
        start = self._in_own_type(self._bookmark(context) or initial)
        if lag_active(spec):
            start = self._lagged(start, self._in_own_type(initial))
        return start

    def _in_own_type(self, start: object) -> object:
        """A start value as the key's type: integer keys take UNIX seconds, others the value as given."""
        if not self._key_is_integer():
            return start
        if isinstance(start, int) or (isinstance(start, str) and start.strip().isdigit()):
            return int(start)
        return self._in_key_type(to_datetime(start))

    def _client_side_filter(self, context: Context | None) -> Callable[[dict[str, t.Any]], bool] | None:
        if not self.resource.incremental or not self.replication_key:
            return None
        return record_filter(self.resource.incremental, self._start_point(context), _comparable)


def _comparable(value: object) -> object:
    """A cursor value in a comparable form: instants for date-times, else the value itself."""
    if isinstance(value, str):
        try:
            return to_datetime(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return to_datetime(value)
        except (OverflowError, OSError, ValueError):  # a number too large for a UNIX time: a plain number
            return value
    return value
