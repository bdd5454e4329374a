"""The fetch pool and its prefetches: a partition's records keep their order across parking, a
parked partition frees its worker, every queued task gets a worker, errors arrive at their place;
and the tap's concurrent output (top-level streams fetched ahead, from a bookmark too) is the
serial output, with STATE as minimal as a serial run's."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
import typing as t

import pytest

from tap_generic_rest.run import pool as concurrency
from tap_generic_rest.run.pool import FetchPool
from tap_generic_rest.run.writer import flush_writers
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config
from tests.integration.test_concurrency import data_messages, messages

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from generic_rest_sandbox import Sandbox

WAIT = 10.0  # seconds a test waits for a worker before failing (a bound, not a measurement)


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    running = FetchPool(4)
    yield running
    running.close()


def test_a_parked_partition_keeps_its_order(pool: FetchPool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A buffer of 3: the worker parks and resumes the generator many times; records stay in order."""
    monkeypatch.setattr(concurrency, "QUEUE_RECORDS", 3)
    threads: set[str] = set()
    started = threading.Event()

    def source() -> Iterator[dict[str, int]]:
        started.set()
        for number in range(200):
            threads.add(threading.current_thread().name)
            yield {"n": number}

    prefetch = pool.submit(source, lambda: None)
    assert started.wait(WAIT)
    assert [record["n"] for record in prefetch] == list(range(200))
    assert threads == {"tap-generic-rest-fetch"}, "read by the consumer instead of a worker"


def test_a_parked_partition_frees_its_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers, two partitions filling their buffers: a third one is still fetched by a worker."""
    monkeypatch.setattr(concurrency, "QUEUE_RECORDS", 3)
    pool = FetchPool(2)
    started = threading.Event()

    def big() -> Iterator[dict[str, int]]:
        yield from ({"n": n} for n in range(100))

    def small() -> Iterator[dict[str, int]]:
        started.set()
        yield {"n": -1}

    try:
        first, second = pool.submit(big, lambda: None), pool.submit(big, lambda: None)
        third = pool.submit(small, lambda: None)
        assert started.wait(WAIT), "a parked partition still holds its worker"
        assert list(third) == [{"n": -1}]
        assert len(list(first)) == len(list(second)) == 100
    finally:
        pool.close()


def test_every_queued_task_gets_a_worker(pool: FetchPool) -> None:
    """Four tasks submitted at once run at once (each waits for the others): one worker per task."""
    barrier = threading.Barrier(4, timeout=WAIT)

    def source() -> Iterator[dict[str, int]]:
        barrier.wait()
        yield {"n": 1}

    prefetches = [pool.submit(source, lambda: None) for _ in range(4)]
    assert [list(p) for p in prefetches] == [[{"n": 1}]] * 4


def test_a_worker_error_is_raised_after_the_records_before_it(pool: FetchPool) -> None:
    def source() -> Iterator[dict[str, int]]:
        yield {"n": 1}
        yield {"n": 2}
        raise RuntimeError("page 2 failed")

    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"):
        for record in pool.submit(source, lambda: None):
            seen.append(record["n"])
    assert seen == [1, 2]


def test_a_discarded_partition_stops_its_worker(pool: FetchPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrency, "QUEUE_RECORDS", 3)
    read: list[int] = []
    forgotten = threading.Event()

    def endless() -> Iterator[dict[str, int]]:
        number = 0
        while True:
            read.append(number)
            yield {"n": number}
            number += 1

    prefetch = pool.submit(endless, forgotten.set)
    prefetch.discard()
    assert forgotten.is_set()
    assert len(read) < 10, "a discarded partition was read on"


def states(output: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return [m["value"] for m in output if m["type"] == "STATE"]


def without_signposts(state: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        stream: {k: v for k, v in value.items() if k != "replication_key_signpost"}
        for stream, value in state.get("bookmarks", {}).items()
    }


#: webhooks' child streams with per-parent bookmarks: child -> (parent stream, context key)
PARTITIONED = {"endpoints": ("applications", "app_id"), "integrations": ("applications", "app_id"),
               "ingest_source_endpoint": ("ingest_source", "src_id")}


def test_state_names_only_partitions_whose_parent_was_written(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Children fetched ahead add nothing to STATE before their turn: every partition in a STATE
    belongs to a parent record already written or the one whose children sync now (as in a serial
    run), and the final STATE is the serial one exactly."""
    serial = messages(sandbox_config(sandbox, "webhooks", max_concurrency=1), capsys)
    concurrent = messages(sandbox_config(sandbox, "webhooks", max_concurrency=8), capsys)
    assert without_signposts(states(concurrent)[-1]) == without_signposts(states(serial)[-1])
    written: dict[str, set[str]] = {"applications": set(), "ingest_source": set()}
    checked = 0
    for message in concurrent:
        if message["type"] == "RECORD" and message["stream"] in written:
            written[message["stream"]].add(message["record"]["id"])
        elif message["type"] == "STATE":  # the SDK syncs a parent's children before it writes the parent
            ahead: dict[str, set[str]] = {"applications": set(), "ingest_source": set()}
            for child, (parent, key) in PARTITIONED.items():
                for partition in message["value"]["bookmarks"].get(child, {}).get("partitions", []):
                    checked += 1
                    if partition["context"][key] not in written[parent]:
                        ahead[parent].add(partition["context"][key])
            assert all(len(ids) <= 1 for ids in ahead.values()), f"partitions of parents not reached yet: {ahead}"
    assert checked, "no partition was checked"


#: a search's upper bound is the run's start time: it differs between two runs
SYNC_END = re.compile(r'("operator": "<", "value": )\d+')


def test_streams_fetched_ahead_start_from_their_bookmarks(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Top-level incremental streams are fetched ahead of their turn: from the input STATE's
    bookmark, as a serial run asks (not from start_date), with the same output."""
    first = messages(sandbox_config(sandbox, "support", max_concurrency=1), capsys)
    state = states(first)[-1]
    runs = {}
    for concurrency_setting in (1, 8):
        sandbox.reset_log()
        config = sandbox_config(sandbox, "support", max_concurrency=concurrency_setting)
        capsys.readouterr()
        TapGenericRest(config=config, state=state, parse_env_config=False).sync_all()
        flush_writers()
        output = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        sent = sorted(
            (r.method, r.path, json.dumps(r.query, sort_keys=True), SYNC_END.sub(r"\1<now>", r.body.decode()))
            for r in sandbox.requests("support")
            if r.path.endswith(("/search", "/activity_logs"))  # the incremental streams (a scroll id is random)
        )
        runs[concurrency_setting] = data_messages(output), sent
    assert runs[8][0] == runs[1][0], "concurrency changed the output of an incremental run"
    assert runs[8][1] == runs[1][1], "a stream fetched ahead sent other requests than its serial turn"
    searches = [body for method, path, _, body in runs[8][1] if path.endswith("/contacts/search")]
    assert searches and all(str(json.loads(body)["query"]["value"][0]["value"]) != "None" for body in searches)


def test_no_more_fetches_run_at_once_than_the_pace_allows() -> None:
    """The pace bound at 2 of 8: of twelve slow partitions, never more than two read by workers at once
    (the consumer may read one itself, as always when it reaches a partition no worker began); all in order."""
    pool = FetchPool(8)
    pool.pace.limit = 2
    lock = threading.Lock()
    running = [0, 0]  # by workers: now, most

    def source(number: int) -> Iterator[dict[str, int]]:
        worker = threading.current_thread().name == "tap-generic-rest-fetch"
        with lock:
            running[0] += worker
            running[1] = max(running)
        time.sleep(0.02)
        with lock:
            running[0] -= worker
        yield {"n": number}

    try:
        prefetches = [pool.submit(functools.partial(source, n), lambda: None) for n in range(12)]
        time.sleep(0.1)  # the workers run ahead of the consumer
        assert [record["n"] for p in prefetches for record in p] == list(range(12))
        assert 1 <= running[1] <= 2
    finally:
        pool.close()


def test_a_raised_bound_lets_waiting_tasks_start() -> None:
    """At a bound of 1, two tasks that wait for each other only finish once the bound rises."""
    pool = FetchPool(4)
    pool.pace.limit = 1
    barrier = threading.Barrier(2, timeout=WAIT)

    def source() -> Iterator[dict[str, int]]:
        barrier.wait()
        yield {"n": 1}

    try:
        first, second = pool.submit(source, lambda: None), pool.submit(source, lambda: None)
        time.sleep(0.1)
        assert barrier.n_waiting == 1, "a second fetch ran above the bound"
        pool.pace.limit = 2
        pool.bound_rose()
        assert list(first) == list(second) == [{"n": 1}]
    finally:
        pool.close()
