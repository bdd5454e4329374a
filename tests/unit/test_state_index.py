"""The state index without an SDK stream: partition states through an index, start values of partitions
not started yet, and the child STATE throttle."""

from __future__ import annotations

import typing as t

from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.streams.state_index import IndexedStateManager, PartitionStarts, StateThrottle, context_key


def manager(tap_state: dict[str, t.Any], keys: list[str] | None = None) -> IndexedStateManager:
    return IndexedStateManager(tap_name="tap", stream_name="kids", tap_state=tap_state,
                               state_partitioning_keys=keys)


def bookmark(context: dict[str, t.Any], value: str) -> dict[str, t.Any]:
    return {"context": context, "replication_key": "updated", "replication_key_value": value}


def test_context_key_is_order_free_and_hashable() -> None:
    assert context_key({"b": 2, "a": 1}) == context_key({"a": 1, "b": 2}) == (("a", 1), ("b", 2))
    assert context_key(None) == ()


def test_a_partition_is_found_through_the_index() -> None:
    tap_state = {"bookmarks": {"kids": {"partitions": [bookmark({"p": 1}, "a"), bookmark({"p": 2}, "b")]}}}
    states = manager(tap_state)
    assert states.get_context_state({"p": 2})["replication_key_value"] == "b"
    states.get_context_state({"p": 1})["starting_replication_value"] = "a0"  # written when the partition starts
    assert states.get_starting_replication_value({"p": 1}, "INCREMENTAL") == "a0"
    assert states.get_starting_replication_value({"p": 1}, "FULL_TABLE") is None
    assert states.get_starting_replication_value({"p": 9}, "INCREMENTAL") is None


def test_peeking_adds_nothing_and_getting_adds_the_partition_once() -> None:
    tap_state: dict[str, t.Any] = {"bookmarks": {"kids": {"partitions": []}}}
    states = manager(tap_state)
    assert states.peek_context_state({"p": 3}) == {}
    assert tap_state["bookmarks"]["kids"]["partitions"] == []
    first = states.get_context_state({"p": 3})
    assert states.get_context_state({"p": 3}) is first
    assert tap_state["bookmarks"]["kids"]["partitions"] == [{"context": {"p": 3}}]


def test_a_new_partition_list_is_indexed_again() -> None:
    tap_state: dict[str, t.Any] = {"bookmarks": {"kids": {"partitions": [bookmark({"p": 1}, "a")]}}}
    states = manager(tap_state)
    assert states.peek_context_state({"p": 1})["replication_key_value"] == "a"
    tap_state["bookmarks"]["kids"]["partitions"] = [bookmark({"p": 1}, "z")]  # loading STATE replaces the list
    assert states.peek_context_state({"p": 1})["replication_key_value"] == "z"


def test_only_the_partitioning_keys_make_a_partition() -> None:
    tap_state: dict[str, t.Any] = {"bookmarks": {"kids": {"partitions": [bookmark({"p": 1}, "a")]}}}
    assert manager(tap_state, ["p"]).peek_context_state({"p": 1, "other": 9})["replication_key_value"] == "a"
    assert manager(tap_state, []).peek_context_state({"p": 1}) is tap_state["bookmarks"]["kids"]  # the stream's


def test_unhashable_contexts_fall_back_to_the_sdks_scan() -> None:
    tap_state: dict[str, t.Any] = {"bookmarks": {"kids": {"partitions": []}}}
    states = manager(tap_state)
    assert states.peek_context_state({"p": [1]}) == {}
    assert states.get_context_state({"p": [1]}) == {"context": {"p": [1]}}


def later(value: str, start_date: str) -> str:
    return max(value, start_date)


def test_a_partition_not_started_starts_from_its_bookmark_or_start_date() -> None:
    tap_state = {"bookmarks": {"kids": {"partitions": [bookmark({"p": 1}, "2024-03-01")]}}}
    starts = PartitionStarts({"start_date": "2024-02-01"}, later)
    states = manager(tap_state)
    assert starts.peek(states, {"p": 1}, "updated") == "2024-03-01"
    assert starts.peek(states, {"p": 2}, "updated") == "2024-02-01"
    assert starts.peek(states, {"p": 1}, "other_key") == "2024-02-01"  # a bookmark of another key counts for nothing
    assert PartitionStarts({}, later).peek(states, {"p": 2}, "updated") is None


def test_started_partitions_are_remembered() -> None:
    starts = PartitionStarts({}, later)
    assert not starts.started({"p": 1})
    starts.start({"p": 1})
    assert starts.started({"p": 1})
    assert not starts.started(None)


def test_state_is_written_only_when_one_is_due_and_at_the_end_of_the_run() -> None:
    due = [True, False, True, False, False]

    class Writer(CountingWriter):
        def __init__(self) -> None:
            pass

        def state_due(self) -> bool:
            return due.pop(0)

    writer = Writer()
    throttle = StateThrottle(lambda: writer)
    written: list[int] = []
    for number in range(4):
        throttle.write(lambda number=number: written.append(number))  # type: ignore[misc]
    assert written == [0, 2]
    throttle.force(lambda: throttle.write(lambda: written.append(-1)))  # the run's last: always
    throttle.write(lambda: written.append(9))  # not due
    assert written == [0, 2, -1]
def test_a_finished_partition_without_a_bookmark_is_dropped() -> None:
    tap_state: dict[str, t.Any] = {"bookmarks": {"kids": {"partitions": [bookmark({"p": 1}, "a")]}}}
    states = manager(tap_state)
    empty = states.get_context_state({"p": 2})
    empty["starting_replication_value"] = None
    states.finalize_state(empty)  # no records: nothing to resume from
    kept = states.get_context_state({"p": 3})
    kept.update(replication_key="updated", replication_key_value="c")
    states.finalize_state(kept)
    states.finalize_state(states.get_context_state({"p": 1}))
    assert tap_state["bookmarks"]["kids"]["partitions"] == [bookmark({"p": 1}, "a"), bookmark({"p": 3}, "c")]
    assert states.peek_context_state({"p": 2}) == {}
    assert states.peek_context_state({"p": 3})["replication_key_value"] == "c"


def test_a_top_level_window_mid_backfill_is_written_at_once_a_childs_when_due() -> None:
    class Writer(CountingWriter):
        def __init__(self) -> None:
            pass

        def state_due(self) -> bool:
            return False

    writer = Writer()
    throttle = StateThrottle(lambda: writer)
    written: list[str] = []
    throttle.window_done(lambda: throttle.write(lambda: written.append("mid")), final=False, child=False)
    throttle.window_done(lambda: throttle.write(lambda: written.append("last")), final=True, child=False)
    throttle.window_done(lambda: throttle.write(lambda: written.append("child")), final=False, child=True)
    assert written == ["mid"]
