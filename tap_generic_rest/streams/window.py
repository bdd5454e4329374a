"""The incremental window of a stream: start points in the replication key's own type (lag applied),
the client-side filter, a bookmark that never moves backwards, and the template variables."""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_generic_rest.description.incremental import record_filter
from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.cursor_format import (
    EPOCH_SECONDS,
    RFC3339,
    CursorFormat,
    CursorFormatError,
    infer_format,
)
from tap_generic_rest.expressions.lag import LagError, apply_lag, lag_active
from tap_generic_rest.expressions.templating import to_datetime
from tap_generic_rest.streams.state_index import PartitionKey, context_key
from tap_generic_rest.streams.windows import WindowedContext

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context

    from tap_generic_rest.description.model import Resource


class IncrementalWindow:
    """Start points per partition, fixed when the partition's sync begins."""

    def __init__(
        self,
        name: str,
        resource: Resource,
        config: t.Mapping[str, t.Any],
        *,
        replication_key: Callable[[], str | None],
        schema: Callable[[], t.Mapping[str, t.Any]],
        bookmark: Callable[[Context | None], object],
        sync_started_at: Callable[[], dt.datetime],
    ) -> None:
        """A window of ``resource``; ``bookmark`` gives a partition's bookmark (else start_date)."""
        self._name = name
        self._resource = resource
        self._spec: dict[str, t.Any] = resource.incremental or {}
        self._config = config
        self._replication_key = replication_key
        self._schema = schema
        self._bookmark = bookmark
        self._sync_started_at = sync_started_at
        self._start_points: dict[PartitionKey, object] = {}
        #: with lag: each partition's bookmark when its sync began (comparable), which it never goes below
        self._bookmark_floors: dict[PartitionKey, object] = {}

    def fix(self, context: Context | None) -> None:
        """Fix a partition's start point for this sync (a sorted stream moves its bookmark while it reads)."""
        key = context_key(context)
        self._start_points[key] = self._start_point(context)
        if lag_active(self._spec):
            bookmark = self._bookmark(context)
            self._bookmark_floors[key] = self.comparable(bookmark) if bookmark is not None else None

    def advances(self, record: t.Mapping[str, t.Any], context: Context | None) -> bool:
        """Whether ``record`` may move the bookmark: one re-read inside the lag window does not move it back;
        with windows, records never do (a window moves it when it is complete)."""
        return not self.windowed and self.above_floor(record.get(self._replication_key() or ""), context)

    def above_floor(self, value: object, context: Context | None) -> bool:
        """Whether ``value`` is not below the partition's bookmark when its sync began (with lag)."""
        if not self._bookmark_floors:
            return True
        floor: t.Any = self._bookmark_floors.get(context_key(context))
        return floor is None or value is None or not t.cast("t.Any", self.comparable(value)) < floor

    @property
    def windowed(self) -> bool:
        """Whether the range is cut into date-range windows (``step``)."""
        return "step" in self._spec

    def start_point(self, context: Context | None) -> object:
        """The partition's start point, fixed when its sync began."""
        key = context_key(context)
        if key not in self._start_points:
            self._start_points[key] = self._start_point(context)
        return self._start_points[key]

    def window_format(self) -> CursorFormat:
        """The format windows are cut and written in: the cursor's, else UNIX seconds (integer keys) or
        RFC 3339 seconds."""
        return self.cursor_format() or CursorFormat(EPOCH_SECONDS if self._key_is_integer() else RFC3339)

    def variables(self, context: Context | None) -> dict[str, t.Any]:
        """The template variables of a partition's requests (dlt's names)."""
        start: object = self.start_point(context)
        end: object = self._in_key_type(self._sync_started_at())
        incremental = self._incremental_values(start, context)
        if isinstance(context, WindowedContext):  # one window's request series: its ends
            start = incremental["start_value"] = context.interval.start
            end = incremental["end_value"] = context.interval.end
        return {
            "config": self._config,
            "stream_slice": dict(context or {}),
            "parent": dict(context or {}),
            "stream_interval": {"start_time": start, "end_time": end},
            "incremental": incremental,
        }

    def client_filter(self, context: Context | None) -> Callable[[dict[str, t.Any]], bool] | None:
        """dlt's record filter from the partition's start point (None: every record is kept)."""
        if not self._spec or not self._replication_key():
            return None
        return record_filter(self._spec, self._start_point(context), self.comparable)

    def cursor_format(self) -> CursorFormat | None:
        """The cursor's format: declared, or inferred from initial_value / the key's schema (None: as given)."""
        key_schema = self._schema().get("properties", {}).get(self._replication_key() or "", {})
        return infer_format(self._spec, key_schema if isinstance(key_schema, dict) else {})

    def comparable(self, value: object) -> object:
        """A cursor value as a moment (read in the cursor's format where known), else as it is."""
        fmt = self.cursor_format()
        if fmt is None:
            return comparable(value)
        try:
            return fmt.read(value)
        except CursorFormatError:
            return value

    def _incremental_values(self, start: object, context: Context | None) -> dict[str, t.Any]:
        """dlt's ``{incremental.*}`` values."""
        spec = self._spec
        bookmark = self._bookmark(context) if spec else None
        initial = self._converted("initial_value", spec.get("initial_value"))
        last_value = self._converted("bookmark", bookmark) if bookmark is not None else initial
        if lag_active(spec):  # dlt's last_value is lagged too
            last_value = self._lagged(last_value, initial)
        return {
            "start_value": start,
            "initial_value": initial,
            "last_value": last_value,
            "end_value": self._converted("end_value", spec.get("end_value")),
        }

    def _converted(self, what: str, value: object, fmt: CursorFormat | None = None) -> object:
        """``value`` (the start_date setting, a bookmark, initial_value, end_value) in the cursor's format."""
        fmt = fmt or self.cursor_format()
        if fmt is None or value is None:
            return value
        try:
            return fmt.convert(value)
        except CursorFormatError as exc:
            fix = "the start_date setting" if what == "start_date" else f"{self._resource.where}.endpoint.incremental"
            msg = (f"stream {self._name}: {what} {value!r} cannot be sent as the incremental cursor "
                   f"{self._replication_key()!r} ({exc}); fix {fix}")
            raise StreamError(msg) from None

    def _lagged(self, value: object, floor: object) -> object:
        fmt = self.cursor_format()
        try:
            return apply_lag(value, float(self._spec["lag"]), floor, self.comparable, fmt.step_back if fmt else None)
        except (LagError, TypeError, CursorFormatError) as exc:
            msg = f"stream {self._name}: {exc}; fix {self._resource.where}.endpoint.incremental.lag"
            raise StreamError(msg) from None

    def _key_is_integer(self) -> bool:
        key_schema = self._schema().get("properties", {}).get(self._replication_key() or "", {})
        types = key_schema.get("type", [])
        return "integer" in ([types] if isinstance(types, str) else types)

    def _in_key_type(self, moment: dt.datetime | None) -> object:
        """A moment in the cursor's format, else the replication key's own type: UNIX seconds or RFC 3339."""
        fmt = self.cursor_format()
        if fmt is not None and moment is not None:
            return fmt.write(moment)
        if moment is None:
            return 0 if self._key_is_integer() else None
        if self._key_is_integer():
            return int(moment.timestamp())
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _start_point(self, context: Context | None) -> object:
        """The incremental start point: bookmark, else start_date, else none (UNIX 0)."""
        if not self._replication_key():
            return None
        source = "start_date" if self._config.get("start_date") else "initial_value"
        initial = self._in_own_type(source, self._config.get("start_date") or self._spec.get("initial_value"))
        bookmark = self._bookmark(context)
        start = self._in_own_type("bookmark", bookmark) if bookmark else initial
        if lag_active(self._spec):
            start = self._lagged(start, initial)
        return start

    def _in_own_type(self, what: str, start: object) -> object:
        """A start value in the cursor's format; else as the key's type: integer keys take UNIX seconds,
        others the value as given."""
        if self.cursor_format() is not None:
            return self._converted(what, start)
        if not self._key_is_integer():
            return start
        if isinstance(start, int) or (isinstance(start, str) and start.strip().isdigit()):
            return int(start)
        return self._converted(what, start, CursorFormat(EPOCH_SECONDS)) if start is not None else 0


def comparable(value: object) -> object:
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
