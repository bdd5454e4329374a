"""The bound on fetches in flight follows the tap's CPU use: busy halves it (down to 2), waiting for the
network adds one (up to max_concurrency), in between keeps it; it is looked at once a period."""

from __future__ import annotations

import pytest

from tap_generic_rest.run.pace import PERIOD, Pace


class Clocks:
    """A wall clock and a process CPU clock the test moves."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def run(self, seconds: float, busy: float) -> None:
        self.wall += seconds
        self.cpu += seconds * busy


def pace_of(maximum: int) -> tuple[Pace, Clocks]:
    clocks = Clocks()
    pace = Pace(maximum, clock=lambda: clocks.wall, cpu_clock=lambda: clocks.cpu)
    assert pace.look() is False  # the first look begins the first period
    return pace, clocks


def periods(pace: Pace, clocks: Clocks, busy: float, count: int) -> list[int]:
    limits = []
    for _ in range(count):
        clocks.run(PERIOD, busy)
        pace.look()
        limits.append(pace.limit)
    return limits


def test_it_starts_at_max_concurrency() -> None:
    assert Pace(8).limit == 8


def test_a_busy_tap_halves_the_bound_down_to_two() -> None:
    pace, clocks = pace_of(8)
    assert periods(pace, clocks, busy=1.0, count=4) == [4, 2, 2, 2]


def test_a_tap_waiting_for_the_network_adds_one_up_to_max_concurrency() -> None:
    pace, clocks = pace_of(8)
    periods(pace, clocks, busy=1.0, count=2)
    assert periods(pace, clocks, busy=0.2, count=8) == [3, 4, 5, 6, 7, 8, 8, 8]


def test_in_between_the_bound_stays() -> None:
    pace, clocks = pace_of(8)
    periods(pace, clocks, busy=1.0, count=1)
    assert periods(pace, clocks, busy=0.8, count=3) == [4, 4, 4]


def test_the_bound_is_looked_at_once_a_period() -> None:
    pace, clocks = pace_of(8)
    for _ in range(50):  # many fetches taken within one period
        clocks.run(PERIOD / 100, busy=1.0)
        assert pace.look() is False
    assert pace.limit == 8
    clocks.run(PERIOD / 2 + 0.01, busy=1.0)
    pace.look()
    assert pace.limit == 4


def test_only_a_rise_wakes_the_workers() -> None:
    pace, clocks = pace_of(8)
    clocks.run(PERIOD, busy=1.0)
    assert pace.look() is False  # 8 -> 4: workers finishing a fetch just take no next one
    clocks.run(PERIOD, busy=0.1)
    assert pace.look() is True  # 4 -> 5: a waiting worker may take a task now


@pytest.mark.parametrize(("maximum", "expected"), [(1, 1), (2, 2), (3, 2)])
def test_the_floor_is_never_above_max_concurrency(maximum: int, expected: int) -> None:
    pace, clocks = pace_of(maximum)
    assert periods(pace, clocks, busy=1.0, count=3)[-1] == expected
