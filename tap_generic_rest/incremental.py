"""Incremental streams: start points in the replication key's own type, and the client-side filter."""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_generic_rest.stream_base import StreamBase, context_key
from tap_generic_rest.templating import to_datetime

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context


class IncrementalStream(StreamBase):
    """Start points per partition, fixed when the partition's sync begins."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Set up the per-partition start points."""
        super().__init__(*args, **kwargs)
        self._start_points: dict[tuple[tuple[str, t.Any], ...], object] = {}

    def fix_start_point(self, context: Context | None) -> None:
        """Fix a partition's start point for this sync (a sorted stream moves its bookmark while it reads)."""
        self._start_points[context_key(context)] = self._start_point(context)

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
        }

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
        # the SDK gives the bookmark, else start_date (also for non-timestamp keys)
        start = self.get_starting_replication_key_value(context) or self.config.get("start_date")
        if not self._key_is_integer():
            return start
        if isinstance(start, int) or (isinstance(start, str) and start.strip().isdigit()):
            return int(start)
        return self._in_key_type(to_datetime(start))

    def _client_side_filter(self, context: Context | None) -> Callable[[dict[str, t.Any]], bool] | None:
        if self.resource.incremental != "client" or not self.replication_key:
            return None
        start = to_datetime(self._start_point(context))
        if start is None:
            return None
        key = self.replication_key

        def keep(record: dict[str, t.Any]) -> bool:
            value = to_datetime(record.get(key))
            return value is None or value >= start

        return keep
