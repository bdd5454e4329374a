"""Child contexts: the context each record gives its stream's children, and partitions fetched ahead
in the run's fetch pool (children of the next parent records, the next top-level streams)."""

from __future__ import annotations

import typing as t

from tap_generic_rest.expressions.selectors import lookup
from tap_generic_rest.run.pool import LOOKAHEAD_PER_WORKER, Lookahead, Prefetch
from tap_generic_rest.streams.state_index import PartitionKey, context_key

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Sequence

    from singer_sdk.helpers.types import Context

    from tap_generic_rest.run.pool import FetchPool

Record = dict[str, t.Any]


class ChildContexts:
    """The partitions of one stream: the contexts its records give children, and which are fetched ahead."""

    def __init__(
        self,
        name: str,
        fields: dict[str, str],
        logger: logging.Logger,
        pool: FetchPool,
        *,
        parallelized: bool,
        request_records: Callable[[Context | None], Iterable[Record]],
        fix_start: Callable[[Context | None], None],
        complete: Callable[[Record, Context | None], Record],
        expand: Callable[[Context | None], list[dict[str, t.Any]]] | None = None,
    ) -> None:
        """``fields``: child context key -> record field (every child's); ``request_records`` reads a
        partition, ``fix_start`` fixes its start point, ``complete`` adds what a record takes from its parent,
        ``expand`` gives the partitions (``partitions`` lists) of a parent's context (or of none: top level)."""
        self._name = name
        self._fields = fields
        self._logger = logger
        self._pool = pool
        self._parallelized = parallelized
        self._request_records = request_records
        self._fix_start = fix_start
        self._complete = complete
        self._expand = expand or _alone
        self._prefetched: dict[PartitionKey, Prefetch] = {}

    def context_for(self, record: Record) -> dict[str, t.Any] | None:
        """The context ``record`` gives the children (None, with a warning, when a field is missing)."""
        child_context = {key: lookup(record, field) for key, field in self._fields.items()}
        missing = [self._fields[key] for key, value in child_context.items() if value is None]
        if missing:
            self._logger.warning(
                "Stream %s: a record has no %s; its child streams are skipped for it", self._name, ", ".join(missing)
            )
            return None
        return child_context

    @property
    def fetches_ahead(self) -> bool:
        """Whether this stream's partitions are fetched in the pool, ahead of the writer.

        The one place where a stream's concurrency is decided (max_concurrency 1 or dlt
        ``parallelized: false``: never).
        """
        return self._pool.enabled and self._parallelized

    def source(
        self,
        context: Context | None,
        *,
        top_level: bool,
        children: Sequence[ChildContexts],
        following: Sequence[ChildContexts],
        records: Iterable[Record] | None = None,
    ) -> Iterable[Record]:
        """A partition's records (``records`` fetched already, else prefetched by a worker, else requested now),
        with the partitions of the selected ``children`` of the next records, and of the ``following`` top-level
        streams, fetched ahead."""
        prefetched: Iterable[Record] | None = records if records is not None else self._prefetched.pop(
            context_key(context), None)
        if prefetched is None and self.fetches_ahead and top_level:
            # a worker reads the pages, so the next page is on its way while this one is written
            prefetched = self._pool.submit(lambda: self._request_records(context), lambda: None)
        records = prefetched if prefetched is not None else self._request_records(context)
        if top_level:
            self._prefetch_next_partitions(context)
            self._prefetch_following(following)
        fetched = [child for child in children if child.fetches_ahead]
        if not fetched:
            return records
        depth = LOOKAHEAD_PER_WORKER * self._pool.max_concurrency
        return Lookahead(depth, lambda record: self._prefetch_children(record, context, fetched)).over(records)

    def _prefetch_children(self, record: Record, context: Context | None,
                           children: Sequence[ChildContexts]) -> list[Prefetch]:
        """Start fetching the children of ``record`` in the pool (what syncing its children will read)."""
        row = self._complete(dict(record), context)
        child_context = {key: row.get(field) for key, field in self._fields.items()}
        if any(value is None for value in child_context.values()):
            return []  # no children for it (context_for warns when its turn comes)
        started = [child.prefetch(partition) for child in children for partition in child._expand(child_context)]
        return [prefetch for prefetch in started if prefetch is not None]

    def _prefetch_next_partitions(self, context: Context | None) -> None:
        """While one partition of a top-level stream with ``partitions`` lists syncs, workers fetch the next
        ones (as many as there are workers)."""
        if not self.fetches_ahead or not context:
            return
        partitions = self._expand(None)
        keys = [context_key(partition) for partition in partitions]
        at = keys.index(context_key(context)) if context_key(context) in keys else len(keys)
        for partition in partitions[at + 1: at + 1 + self._pool.max_concurrency]:
            self.prefetch(partition)

    def _prefetch_following(self, following: Sequence[ChildContexts]) -> None:
        """While this top-level stream syncs, workers fetch the first records of the top-level streams
        after it (as many as there are workers), so small streams do not wait in line."""
        for stream in following[: self._pool.max_concurrency]:
            if stream.fetches_ahead:
                for partition in stream._expand(None)[:1]:
                    stream.prefetch(partition)

    def prefetch(self, context: dict[str, t.Any]) -> Prefetch | None:
        """Fetch this partition's records in a worker, for a sync of ``context`` to come."""
        key = context_key(context)
        if key in self._prefetched:
            return None  # the same parent twice: the second is fetched when its turn comes
        self._fix_start(context)

        def forget() -> None:
            if self._prefetched.get(key) is prefetch:
                del self._prefetched[key]

        prefetch = self._pool.submit(lambda: self._request_records(context or None), forget)
        self._prefetched[key] = prefetch
        return prefetch


def _alone(context: Context | None) -> list[dict[str, t.Any]]:
    """A context without ``partitions`` lists: itself."""
    return [dict(context or {})]
