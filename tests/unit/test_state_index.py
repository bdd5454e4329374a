"""The state index without an SDK stream: partition states through an index, start values of partitions
not started yet, and the child STATE throttle."""

from __future__ import annotations

import typing as t

from tap_generic_rest.streams.state_index import IndexedStateManager, PartitionStarts, StateThrottle, context_key

if t.TYPE_CHECKING:
    import pytest


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


class Clock:
    next_child_state_at = 0.0


def test_a_child_stream_writes_state_at_a_bounded_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("tap_generic_rest.streams.state_index.time.monotonic", lambda: now[0])
    clock = Clock()
    throttle = StateThrottle(clock, 1.0, child=True)
    written: list[float] = []
    for moment in (100.0, 100.5, 101.0, 101.2):
        now[0] = moment
        throttle.write(lambda: written.append(now[0]))
    assert written == [100.0, 101.0]
    assert clock.next_child_state_at == 102.0
    throttle.finalize(lambda: throttle.write(lambda: written.append(-1.0)))
    assert written == [100.0, 101.0, -1.0]
    assert not throttle.finalizing


def test_a_slow_write_waits_ten_times_as_long(monkeypatch: pytest.MonkeyPatch) -> None:
    moments = iter([10.0, 12.0])  # the write itself took 2 s
    monkeypatch.setattr("tap_generic_rest.streams.state_index.time.monotonic", lambda: next(moments))
    clock = Clock()
    StateThrottle(clock, 1.0, child=True).write(lambda: None)
    assert clock.next_child_state_at == 32.0


def test_a_top_level_stream_is_never_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tap_generic_rest.streams.state_index.time.monotonic", lambda: 5.0)
    clock = Clock()
    clock.next_child_state_at = 99.0
    written: list[int] = []
    throttle = StateThrottle(clock, 1.0, child=False)
    throttle.write(lambda: written.append(1))
    throttle.write(lambda: written.append(2))
    assert written == [1, 2]
    assert clock.next_child_state_at == 99.0


def test_a_window_mid_backfill_skips_the_interval_but_not_the_cost_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    moments = iter([100.0, 100.0625, 100.75, 100.75, 100.8125, 100.875])
    monkeypatch.setattr("tap_generic_rest.streams.state_index.time.monotonic", lambda: next(moments))
    clock = Clock()
    throttle = StateThrottle(clock, 1.0, child=True)
    written: list[str] = []
    throttle.write(lambda: written.append("partition"))  # took 1/16 s: no other write for 10x that
    throttle.window_done(lambda: throttle.write(lambda: written.append("final window")), final=True)  # interval
    throttle.window_done(lambda: throttle.write(lambda: written.append("mid-backfill")), final=False)
    throttle.window_done(lambda: throttle.write(lambda: written.append("too soon")), final=False)  # 10x its cost
    assert written == ["partition", "mid-backfill"]
    assert not throttle.mid_backfill
    assert clock.next_child_state_at == 101.8125
