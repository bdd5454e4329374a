"""Resume positions without the SDK: what a top-level stream saves as its records complete, and where a
restart from it begins (streams/resume.py)."""

from __future__ import annotations

import logging
import typing as t

from tap_generic_rest.streams.resume import RESUME_KEY, Resume, StreamHooks, forget

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

#: token -> (the page's record ids, the next token); the first page has no token
PAGES: dict[object, tuple[list[int], object]] = {None: ([1, 2, 3], "t2"), "t2": ([4, 5], "t3"), "t3": ([6], None)}


class Paginator:
    def __init__(self, start: tuple[object] | None) -> None:
        self.current_value = start[0] if start is not None else None


class Api:
    """Pages read as the SDK reads them: the paginator made on the first record asked for; a page's
    records come before the paginator advances."""

    def __init__(self, *, resumable: bool = True, digest: str = "d1") -> None:
        self.state: dict[str, t.Any] = {}
        self.requested: list[object] = []
        self.written_states = 0
        self.seeded: list[object] = []
        self.resume = Resume("items", logging.getLogger("test"), resumable=resumable, hooks=StreamHooks(
            key=lambda record: [record["id"]], state=lambda: self.state, saved_state=lambda: self.state,
            requests=lambda: digest, progress=self._progress, seed=self.seeded.append))

    def _progress(self) -> None:
        self.written_states += 1

    def request_records(self) -> Iterator[dict[str, t.Any]]:
        paginator = self.resume.paginator(Paginator)  # type: ignore[arg-type]
        while True:
            self.requested.append(paginator.current_value)
            ids, following = PAGES[paginator.current_value]
            yield from ({"id": record_id} for record_id in ids)
            if following is None:
                return
            paginator.current_value = following

    def sync(self, stop_after: int | None = None) -> list[int]:
        """The ids a sync writes (all, or the first ``stop_after``: a kill before the next is complete)."""
        written = []
        records = self.resume.track(self.resume.records(self.request_records))
        for record in records:
            written.append(record["id"])
            if len(written) == stop_after:
                break
        return written


def test_a_position_is_the_page_token_and_the_records_done_on_it() -> None:
    api = Api()
    assert api.sync(stop_after=5) == [1, 2, 3, 4, 5]  # 5 is written, not yet complete
    assert api.state[RESUME_KEY] == {"token": "t2", "skip": 1, "key": [4], "requests": "d1"}
    assert api.written_states == 4  # after each complete record (when the writer's budget allows)


def test_on_the_first_page_there_is_no_token() -> None:
    api = Api()
    api.sync(stop_after=3)
    assert api.state[RESUME_KEY] == {"skip": 2, "key": [2], "requests": "d1"}


def test_a_restart_begins_at_the_saved_page_and_skips_what_was_done() -> None:
    api = Api()
    api.sync(stop_after=5)
    restarted = Api()
    restarted.state = api.state
    assert restarted.sync() == [5, 6]
    assert restarted.requested == ["t2", "t3"]  # the first page is not asked for again


def test_a_finished_stream_is_done_and_a_restart_of_the_run_skips_it() -> None:
    api = Api()
    assert api.sync() == [1, 2, 3, 4, 5, 6]
    assert api.state[RESUME_KEY] == {"done": True, "requests": "d1"}
    restarted = Api()
    restarted.state = api.state
    assert restarted.sync() == []
    assert restarted.requested == []
    assert forget({"bookmarks": {"items": api.state}}) is True  # the run is complete: the next reads it all
    assert RESUME_KEY not in api.state
    assert Api().sync() == [1, 2, 3, 4, 5, 6]


def test_other_requests_start_over() -> None:
    api = Api()
    api.sync()
    changed = Api(digest="d2")  # other settings, description or start point
    changed.state = api.state
    assert changed.sync() == [1, 2, 3, 4, 5, 6]


def test_records_not_where_they_were_start_over(caplog: pytest.LogCaptureFixture) -> None:
    api = Api()
    api.state[RESUME_KEY] = {"token": "t2", "skip": 1, "key": [99], "requests": "d1"}  # the API's data changed
    assert api.sync() == [1, 2, 3, 4, 5, 6]
    assert "reading the stream again from its start" in caplog.text
    assert api.requested == ["t2", None, "t2", "t3"]


def test_a_page_shorter_than_the_skip_starts_over() -> None:
    api = Api()
    api.state[RESUME_KEY] = {"token": "t2", "skip": 3, "key": [6], "requests": "d1"}  # 3 records of page t2?
    assert api.sync() == [1, 2, 3, 4, 5, 6]


def test_without_a_resumable_paginator_the_skip_counts_from_the_first_record() -> None:
    api = Api(resumable=False)
    api.sync(stop_after=5)
    assert api.state[RESUME_KEY] == {"skip": 4, "key": [4], "requests": "d1"}
    restarted = Api(resumable=False)
    restarted.state = api.state
    assert restarted.sync() == [5, 6]
    assert restarted.requested == [None, "t2", "t3"]  # read again from the start, written once


def test_an_unsorted_incremental_stream_resumes_with_the_largest_value_written_before() -> None:
    api = Api()
    api.state["progress_markers"] = {"replication_key_value": "2024-05"}  # the SDK's, as records were written
    api.sync(stop_after=2)
    assert api.state[RESUME_KEY]["progress"] == "2024-05"
    restarted = Api()
    restarted.state = {RESUME_KEY: api.state[RESUME_KEY]}  # a new run: the SDK wiped its progress markers
    restarted.sync()
    assert restarted.seeded == ["2024-05"]
