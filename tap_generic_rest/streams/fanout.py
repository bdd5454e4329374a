"""The contexts one stream syncs: the product of its ``partitions`` lists (with its parent's context, for a
child), and its parents' values gathered into groups (``group_parents``).

Each context is one SDK partition: its requests render ``{name}`` / ``{{ stream_partition.name }}`` from it,
and an incremental resource keeps one bookmark per context.
"""

from __future__ import annotations

import itertools
import typing as t

from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException

from tap_generic_rest.streams.groups import ParentGroups

if t.TYPE_CHECKING:
    import logging

    from tap_generic_rest.description.model import Resource

Context = t.Mapping[str, t.Any]


class FanOut:
    """The partitions and groups of one resource's stream."""

    def __init__(self, name: str, resource: Resource, config: t.Mapping[str, t.Any], logger: logging.Logger) -> None:
        """Contexts of ``resource``; list values from settings are read on first use."""
        self._name = name
        self._partitions = resource.partitions
        self._config = config
        self._logger = logger
        self._values: list[tuple[str, tuple[t.Any, ...]]] | None = None
        grouping = resource.group_parents
        self.groups = ParentGroups(name, grouping, logger) if grouping is not None else None
        #: the partition names kept out of records (include_in_record false)
        self.hidden = frozenset(p.name for p in self._partitions if not p.include_in_record)

    @property
    def partitioned(self) -> bool:
        """Whether the resource fans out over lists."""
        return bool(self._partitions)

    def check(self) -> None:
        """Read every list now (a bad setting fails before any request, in one line)."""
        if self._values is None:
            self._values = [(p.name, p.resolve(self._config)) for p in self._partitions]
            for name, values in self._values:
                if not values:
                    self._logger.warning("Stream %s: the list of partition %r is empty, so the stream makes no "
                                         "requests", self._name, name)

    def own(self, context: Context | None) -> list[dict[str, t.Any]]:
        """``context`` (a parent's, or none) once per combination of the lists' values."""
        if not self._partitions:
            return [dict(context or {})]
        self.check()
        lists = t.cast("list[tuple[str, tuple[t.Any, ...]]]", self._values)
        names = [name for name, _ in lists]
        return [{**(context or {}), **dict(zip(names, combination, strict=True))}
                for combination in itertools.product(*(values for _, values in lists))]

    def complete(self, context: Context | None) -> bool:
        """Whether ``context`` names a value of every list (a partitioned stream syncs nothing else)."""
        return all(p.name in (context or {}) for p in self._partitions)

    def from_parent(self, context: Context) -> list[dict[str, t.Any]]:
        """The contexts a parent's context gives this child now: its partitions, or the groups it completes."""
        if self.groups is None:
            return self.own(context)
        return [partition for group in self.groups.add(context) for partition in self.own(group)]

    def flush(self) -> list[dict[str, t.Any]]:
        """The contexts of the last, incomplete group (the parent is about to write its STATE)."""
        if self.groups is None:
            return []
        return [partition for group in self.groups.flush() for partition in self.own(group)]

    def samples(self, context: Context | None) -> list[dict[str, t.Any]]:
        """The contexts schema inference reads for ``context`` (a parent's alone, grouped or not)."""
        if self.groups is not None and context is not None:
            return self.own(self.groups.group([context]))
        return self.own(context)

    def member(self, row: t.Mapping[str, t.Any], context: Context | None) -> Context | None:
        """The context of the parent ``row`` belongs to (``context`` unless grouped)."""
        return context if self.groups is None else self.groups.member(row, context)

    def seam_hooks(self, children: t.Callable[[], t.Iterable[object]]) -> dict[str, t.Any]:
        """What the SDK seam's hooks take from the fan-out of a stream whose children are ``children()``."""
        return {"hidden": self.hidden, "sync_children": lambda context: sync_children(children(), context),
                "before_state": lambda: flush_groups(children())}

    def done(self, context: Context | None) -> None:
        """A context's sync ended."""
        if self.groups is not None:
            self.groups.done(context)


class FannedStream(t.Protocol):
    """What syncing a child needs of a generated stream."""

    fanout: FanOut
    selected: bool

    @property
    def has_selected_descendents(self) -> bool: ...

    def sync(self, context: Context | None = None) -> None: ...


def sync_children(children: t.Iterable[object], parent_context: Context) -> None:
    """Sync each synced child for one parent record: once per partition of its lists, or, grouped, once per
    group the parent completes (the SDK would sync each child once with the parent's context)."""
    for child in _synced(children):
        for context in child.fanout.from_parent(parent_context):
            _sync(child, context)


def flush_groups(children: t.Iterable[object]) -> None:
    """Sync the incomplete groups of the grouped children (their parent is about to write its STATE, which
    must not cover a parent whose children were not read)."""
    for child in _synced(children):
        for context in child.fanout.flush():
            _sync(child, context)


def _synced(children: t.Iterable[object]) -> list[FannedStream]:
    return [t.cast("FannedStream", child) for child in children if isinstance(getattr(child, "fanout", None), FanOut)
            and (getattr(child, "selected", False) or getattr(child, "has_selected_descendents", False))]


def _sync(child: FannedStream, context: dict[str, t.Any]) -> None:
    try:
        child.sync(context=context)
    except (AbortedSyncFailedException, AbortedSyncPausedException):
        pass  # as the SDK: the other children go on
    finally:
        child.fanout.done(context)
