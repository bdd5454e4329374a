"""Stream state: partition states found through an index, start values of partitions not started yet,
and the rate at which child streams write STATE."""

from __future__ import annotations

import threading
import time
import typing as t

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_generic_rest.streams.sdk_seam import StreamStateManager, get_starting_replication_value

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context

PartitionKey = tuple[tuple[str, t.Any], ...]


def context_key(context: t.Mapping[str, t.Any] | None) -> PartitionKey:
    """A hashable key of a stream context (a partition)."""
    return tuple(sorted((context or {}).items()))


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
        self._index: dict[PartitionKey, dict[str, t.Any]] | None = None
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


class PartitionStarts:
    """Which partitions started their sync (wrote their starting value), and where the others will start."""

    def __init__(self, config: t.Mapping[str, t.Any], compare_start_date: Callable[[str, str], str]) -> None:
        """No partition started yet; ``compare_start_date`` is the SDK's (the later of a bookmark and start_date)."""
        self._config = config
        self._compare_start_date = compare_start_date
        self._started: set[PartitionKey] = set()

    def start(self, context: Context | None) -> None:
        """A partition's sync begins (its starting value is in the STATE now)."""
        self._started.add(context_key(context))

    def started(self, context: Context | None) -> bool:
        """Whether the partition's sync began."""
        return context_key(context) in self._started

    def peek(self, manager: IndexedStateManager, context: Context | None, replication_key: str | None) -> t.Any | None:
        """The value a partition's start will write, computed without adding it to the STATE."""
        state = manager.peek_context_state(context)
        value = state.get("replication_key_value") if state.get("replication_key") == replication_key else None
        start_date = self._config.get("start_date")
        if value and start_date:
            return self._compare_start_date(value, start_date)
        return value or start_date


class StateThrottle:
    """Child streams finish once per parent record; writing the whole state after each parent is
    quadratic. They write STATE at most every ``interval`` s, and at least 10x as long as the last
    write took (a large state is costly to serialize), and always at the end (``finalizing``)."""

    def __init__(self, runtime: _ChildStateClock, interval: float, *, child: bool) -> None:
        """Throttle a child stream's writes on the run's shared clock; a top-level stream's never."""
        self._runtime = runtime
        self._interval = interval
        self._child = child
        self.finalizing = False
        #: write only when finalizing (a grouped child)
        self.final_only = False

    def write(self, write_state: Callable[[], None]) -> None:
        """Call ``write_state`` unless a child stream wrote too recently; a grouped child (``final_only``: no
        bookmark of its own, read while its parent's bookmark already covers the group's later parents) only at
        its end (its parent writes STATE after each group)."""
        if self.final_only and not self.finalizing:
            return
        throttled = self._child and not self.finalizing
        started = time.monotonic()
        if throttled and started < self._runtime.next_child_state_at:
            return
        write_state()
        if throttled:
            finished = time.monotonic()
            self._runtime.next_child_state_at = finished + max(self._interval, 10 * (finished - started))

    def finalize(self, finalize_state: Callable[[], None]) -> None:
        """Call ``finalize_state`` with every write let through (the end of a stream)."""
        self.finalizing = True
        try:
            finalize_state()
        finally:
            self.finalizing = False


class _ChildStateClock(t.Protocol):
    """Where the run keeps when a child stream may write STATE next (shared by every child stream)."""

    next_child_state_at: float
