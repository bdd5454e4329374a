"""ChildContexts without an SDK stream: the context records give children, and partitions fetched ahead."""

from __future__ import annotations

import logging
import threading
import typing as t

import pytest

from tap_generic_rest.run.pool import FetchPool
from tap_generic_rest.streams.children import ChildContexts

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

LOGGER = logging.getLogger("test-children")
Record = dict[str, t.Any]


class Partitions:
    """A stream's partitions as a fake API serves them, recording who asked and from which thread."""

    def __init__(self, records: dict[t.Any, list[Record]]) -> None:
        self.records = records
        self.requested: list[tuple[t.Any, bool]] = []
        self.fixed: list[Context | None] = []

    def request(self, context: Context | None) -> Iterator[Record]:
        self.requested.append(((context or {}).get("app"), threading.current_thread() is threading.main_thread()))
        yield from self.records.get((context or {}).get("app"), [])


def contexts(pool: FetchPool, partitions: Partitions, fields: dict[str, str] | None = None, *,
             parallelized: bool = True) -> ChildContexts:
    return ChildContexts("apps", fields or {}, LOGGER, pool, parallelized=parallelized,
                         request_records=partitions.request, fix_start=partitions.fixed.append,
                         complete=lambda row, context: row)


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    fetch_pool = FetchPool(4)
    yield fetch_pool
    fetch_pool.close()


def test_a_record_gives_its_children_their_context(pool: FetchPool, caplog: pytest.LogCaptureFixture) -> None:
    apps = contexts(pool, Partitions({}), {"app": "id", "owner": "$.meta.owner"})
    assert apps.context_for({"id": 1, "meta": {"owner": "o"}}) == {"app": 1, "owner": "o"}
    with caplog.at_level(logging.WARNING, logger="test-children"):
        assert apps.context_for({"id": 1}) is None
    assert caplog.messages == ["Stream apps: a record has no $.meta.owner; its child streams are skipped for it"]


def test_fetching_ahead_needs_concurrency_and_parallelized() -> None:
    serial = FetchPool(1)
    assert not contexts(serial, Partitions({})).fetches_ahead
    concurrent = FetchPool(2)
    assert contexts(concurrent, Partitions({})).fetches_ahead
    assert not contexts(concurrent, Partitions({}), parallelized=False).fetches_ahead
    concurrent.close()
    assert not contexts(concurrent, Partitions({})).fetches_ahead


def test_a_serial_run_reads_in_the_main_thread() -> None:
    apps_api = Partitions({None: [{"id": 1}, {"id": 2}]})
    apps = contexts(FetchPool(1), apps_api, {"app": "id"})
    assert list(apps.source(None, top_level=True, children=[], following=[])) == [{"id": 1}, {"id": 2}]
    assert apps_api.requested == [(None, True)]


def asked(partitions: Partitions) -> list[t.Any]:
    """The partitions requested (by a worker, or by the consumer when it came first)."""
    return [context for context, _ in partitions.requested]


def test_the_children_of_the_next_records_are_fetched_ahead(pool: FetchPool) -> None:
    apps_api = Partitions({None: [{"id": 1}, {"id": 2}, {"id": None}]})
    kids_api = Partitions({1: [{"kid": "a"}], 2: [{"kid": "b"}]})
    apps = contexts(pool, apps_api, {"app": "id"})
    kids = contexts(pool, kids_api)
    synced = [(app, list(kids.source({"app": app["id"]}, top_level=False, children=[], following=[])))
              for app in apps.source(None, top_level=True, children=[kids], following=[]) if app["id"]]
    assert synced == [({"id": 1}, [{"kid": "a"}]), ({"id": 2}, [{"kid": "b"}])]
    assert kids_api.fixed == [{"app": 1}, {"app": 2}]  # prefetched (its start fixed first); none without an id
    assert sorted(asked(kids_api)) == [1, 2]  # each prefetched partition read once, by its sync
    assert asked(apps_api) == [None]


def test_a_prefetched_partition_is_taken_by_its_sync(pool: FetchPool) -> None:
    kids_api = Partitions({1: [{"kid": "a"}]})
    kids = contexts(pool, kids_api)
    assert kids.prefetch({"app": 1}) is not None
    assert kids.prefetch({"app": 1}) is None  # the same parent twice: the second is read in turn
    assert list(kids.source({"app": 1}, top_level=False, children=[], following=[])) == [{"kid": "a"}]
    assert list(kids.source({"app": 1}, top_level=False, children=[], following=[])) == [{"kid": "a"}]
    assert asked(kids_api) == [1, 1]  # once prefetched, then once in turn
    assert kids_api.fixed == [{"app": 1}]


def test_the_following_top_level_streams_start_early(pool: FetchPool) -> None:
    later_api = Partitions({None: [{"id": "x"}]})
    serial_api = Partitions({None: [{"id": "y"}]})
    later = contexts(pool, later_api)
    serial = contexts(pool, serial_api, parallelized=False)
    apps = contexts(pool, Partitions({None: []}))
    assert list(apps.source(None, top_level=True, children=[], following=[later, serial])) == []
    assert later_api.fixed == [{}]  # prefetched
    assert serial_api.fixed == []  # parallelized: false waits for its turn
    assert list(later.source(None, top_level=True, children=[], following=[])) == [{"id": "x"}]
    assert asked(later_api) == [None]
