"""Stream state: partition states found through an index, start values of partitions not started yet,
and the rate at which child streams write STATE."""

from __future__ import annotations

import threading
import typing as t

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.streams.sdk_seam import StreamStateManager, get_starting_replication_value

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context

PartitionKey = tuple[tuple[str, t.Any], ...]


def context_key(context: t.Mapping[str, t.Any] | None) -> PartitionKey:
    """A hashable key of a stream context (a partition)."""
    return tuple(sorted((context or {}).items()))


class IndexedStateManager(StreamStateManager):
    """Finds a partition's state through an index, and keeps only the partition states that resume work.

    The SDK scans the list of partitions on every lookup (several per record), which makes a
    child stream quadratic in its number of parents: 2,400 parents cost 22 s of scanning. Partition
    states are only ever appended to that list (or the last one removed), so an index of them stays
    valid while the list is the same one (the SDK loads the input STATE after discovery, which may
    have sampled: a new list).

    What the STATE keeps: a partition's bookmark, for an incremental child (a full-table child has no
    partitions: its ``state_partitioning_keys`` are empty, ``factory.py``; a restart knows which parents
    are done from the top-level stream's resume position, ``streams/resume.py``). A finished partition
    without a bookmark (it had no records) is dropped: it would start from the same point without it.
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

    @override
    def finalize_state(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state(state)
        if state is not None and state.keys() == {"context"}:
            self._drop(state)  # a finished partition without a bookmark resumes nothing

    def _drop(self, state: dict[str, t.Any]) -> None:
        """Remove a partition's state (the one just finished: the last of the list, or found by identity)."""
        with self._lock:
            partitions = self.stream_state.get("partitions")
            if not isinstance(partitions, list):
                return
            index = len(partitions) - 1
            while index >= 0 and partitions[index] is not state:
                index -= 1
            if index < 0:
                return
            del partitions[index]
            if self._index is not None and partitions is self._indexed:
                self._index.pop(context_key(state["context"]), None)
            if not partitions:
                del self.stream_state["partitions"]
                self._index = self._indexed = None

    def set_bookmark(self, context: Context | None, replication_key: str | None, value: object) -> None:
        """A partition's bookmark set directly (a date-range window is complete); the next STATE holds it."""
        state = self.get_context_state(context)
        state["replication_key"], state["replication_key_value"] = replication_key, value
        self.is_flushed = False

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
    """When STATE is written: only when one is due (the run's writer decides: ``CountingWriter.STATE_BUDGET``,
    the messages written since the last STATE are a few times its size, so a small STATE is written
    often and a large one seldom; writing the whole state after each of thousands of parents would be
    quadratic), and always at the end of the run (:meth:`force`)."""

    def __init__(self, writer: Callable[[], object]) -> None:
        """Let writes through when the run's ``writer()`` says a STATE is due."""
        self._writer = writer
        self._forcing = False
        #: write only the run's last STATE (a grouped child: no bookmark of its own, read while its parent's
        #: bookmark already covers the group's later parents; its parent writes STATE after each group)
        self.final_only = False

    def due(self) -> bool:
        """Whether a STATE is due (always, with a writer that keeps no budget)."""
        writer = self._writer()
        return not isinstance(writer, CountingWriter) or writer.state_due()

    def flush(self) -> None:
        """Write the RECORD lines the writer holds (a top-level stream's last ones)."""
        writer = self._writer()
        if isinstance(writer, CountingWriter):
            writer.flush()

    def write(self, write_state: Callable[[], None]) -> None:
        """Call ``write_state`` if a STATE is due (or forced)."""
        if self._forcing or (not self.final_only and self.due()):
            write_state()

    def window_done(self, write_state: Callable[[], None], *, final: bool, child: bool) -> None:
        """After a date-range window (its partition's bookmark moved): a top-level stream's window that is not its
        last is written at once, so a run killed then resumes at the next window; others as any STATE."""
        if final or child:
            self.write(write_state)
        else:
            self.force(write_state)

    def force(self, write_state: Callable[[], None]) -> None:
        """Call ``write_state`` with every write let through (the run's last STATE)."""
        self._forcing = True
        try:
            write_state()
        finally:
            self._forcing = False
