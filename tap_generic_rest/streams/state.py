"""Stream state: partition states found through an index, and throttled child STATE messages."""

from __future__ import annotations

import threading
import time
import typing as t

from singer_sdk.helpers._state import get_starting_replication_value
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from singer_sdk.streams._state import StreamStateManager  # the SDK's, extended below
from typing_extensions import override

from tap_generic_rest.streams.base import context_key
from tap_generic_rest.streams.incremental import IncrementalStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class IndexedStateManager(StreamStateManager):
    """Finds a partition's state through an index.

    The SDK scans the list of partitions on every lookup (several per record), which makes a
    child stream quadratic in its number of parents: 2,400 parents cost 22 s of scanning. Partition
    states are only ever appended to that list, so an index of them stays valid while the list is the
    same one (the SDK loads the input STATE after discovery, which may have sampled: a new list).
    """

    def __init__(self, **kwargs: t.Any) -> None:
        """Start without an index (it is built from the state on first use)."""
        super().__init__(**kwargs)
        self._index: dict[tuple[tuple[str, t.Any], ...], dict[str, t.Any]] | None = None
        #: the list the index was built from (loading STATE after discovery replaces it)
        self._indexed: list[dict[str, t.Any]] | None = None
        self._lock = threading.Lock()  # fetch workers read bookmarks while the writer adds partitions

    @override
    def get_context_state(self, context: Context | None) -> dict[str, t.Any]:
        return self._context_state(context, create=True)

    def peek_context_state(self, context: Context | None) -> dict[str, t.Any]:
        """A partition's state if it has one, else ``{}`` (nothing added to the STATE)."""
        return self._context_state(context, create=False)

    @override
    def get_starting_replication_value(self, context: Context | None, replication_method: str) -> t.Any | None:
        if replication_method == REPLICATION_FULL_TABLE:
            return None
        return get_starting_replication_value(self.peek_context_state(context))  # reading adds nothing

    def _context_state(self, context: Context | None, *, create: bool) -> dict[str, t.Any]:
        partition = self.get_state_partition_context(context)
        if not partition:
            return self.stream_state if create else self.tap_state.get("bookmarks", {}).get(self.stream_name, {})
        with self._lock:
            partitions: list[dict[str, t.Any]] = self.stream_state.setdefault("partitions", [])
            try:
                if self._index is None or partitions is not self._indexed:
                    self._index = {context_key(p.get("context")): p for p in partitions}
                    self._indexed = partitions
                key = context_key(partition)
                state = self._index.get(key)
            except TypeError:  # unhashable context values: no index
                return super().get_context_state(context) if create else {}
            if state is None and create:
                state = self._index[key] = {"context": dict(partition)}
                partitions.append(state)
            return state if state is not None else {}


class StatefulStream(IncrementalStream):
    """Indexed partition state; child streams write STATE at a bounded rate."""

    #: A STATE message at least every this many records of a sorted stream (a resumable checkpoint).
    STATE_MSG_FREQUENCY = 1000
    #: Child streams finish once per parent record; writing the whole state after each parent is
    #: quadratic. They write STATE at most every CHILD_STATE_INTERVAL s, and at least 10x as long
    #: as the last write took (a large state is costly to serialize), and always at the end.
    CHILD_STATE_INTERVAL = 1.0
    _finalizing = False

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """No partition started yet."""
        super().__init__(*args, **kwargs)
        self._started_partitions: set[tuple[tuple[str, t.Any], ...]] = set()

    @override
    def _write_starting_replication_value(self, context: Context | None) -> None:
        super()._write_starting_replication_value(context)
        self._started_partitions.add(context_key(context))

    @override
    def get_starting_replication_key_value(self, context: Context | None) -> t.Any | None:
        """The bookmark a partition starts from; for one not started yet (fetched ahead of its
        turn), the value its start will write, computed without adding it to the STATE."""
        if context_key(context) in self._started_partitions or self.replication_method == REPLICATION_FULL_TABLE:
            return super().get_starting_replication_key_value(context)
        manager = t.cast("IndexedStateManager", self.state_manager)
        state = manager.peek_context_state(context)
        value = state.get("replication_key_value") if state.get("replication_key") == self.replication_key else None
        start_date = self.config.get("start_date")
        if value and start_date:
            return self.compare_start_date(value, start_date)
        return value or start_date

    @property
    @override
    def state_manager(self) -> StreamStateManager:
        if self._state_manager is None:
            self._state_manager = IndexedStateManager(
                tap_name=self.tap_name,
                stream_name=self.name,
                tap_state=self._tap_state,
                state_partitioning_keys=self.state_partitioning_keys,
                is_sorted=self.is_sorted,
                check_sorted=self.check_sorted,
            )
        return self._state_manager

    @override
    def _write_state_message(self) -> None:
        throttled = self.parent_stream_type is not None and not self._finalizing
        started = time.monotonic()
        if throttled and started < self.runtime.next_child_state_at:
            return
        super()._write_state_message()
        if throttled:
            finished = time.monotonic()
            self.runtime.next_child_state_at = finished + max(self.CHILD_STATE_INTERVAL, 10 * (finished - started))

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        self._finalizing = True
        try:
            super().finalize_state_progress_markers(state)
        finally:
            self._finalizing = False
