"""Resuming a top-level stream where an interrupted run stopped.

While a top-level stream syncs, its state holds a *resume position*: the records of it whose
messages, and whose children's, are all written. A restart from that STATE skips them instead of
writing them again::

    "bookmarks": {"conversations": {"resume": {"token": "WzE3...", "skip": 37, "key": [812], "requests": "9f2c..."}}}

- ``token``: the page those records end on, as the paginator sends it (a cursor, a next URL, an offset,
  a page number; absent on the first page). Written only when the paginator can start there
  (:attr:`Pagination.resumable`); otherwise (a scroll) there is no token and ``skip`` counts from the
  stream's first record: the restart reads the pages again but writes nothing twice.
- ``skip``: how many records of that page (or of the stream) are done; ``key``: the primary key of the
  last of them. A restart checks that the record at that place has that key; if not (the API's order
  or data changed), the stream is read again from its start: records may be written twice, never lost.
- ``requests``: a digest of the stream's first request (method, URL, parameters, body) and paginator.
  A position is used only when the restart would send the same requests (same description, settings
  and start point); otherwise the stream starts over.

When the stream finishes, its position is removed: the next run reads a full-table stream from the
start. Streams whose bookmark already resumes them (incremental and sorted) keep no position.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import typing as t
from collections import deque
from dataclasses import dataclass

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk.pagination import BaseAPIPaginator

Record = dict[str, t.Any]
#: the key of a resume position in a stream's state
RESUME_KEY = "resume"


@dataclass(frozen=True)
class Position:
    """Where a restart continues: ``skip`` records done on the page of ``token`` (or of the stream)."""

    token: object
    has_token: bool
    skip: int
    key: list[t.Any]
    #: the interrupted run finished the stream
    done: bool = False
    #: the largest replication key value the interrupted run had written (an unsorted incremental stream)
    progress: object = None


@dataclass
class _Page:
    """A page as the worker read it: the ordinal (among the records passed on) of its first record,
    its token, and how many of its records were skipped before it (a restart's first page)."""

    first: int
    token: object
    base: int
    #: whether a position on this page can be saved (its token is JSON; without a token: the first page)
    saved: bool = True


class _Handoff(threading.local):
    """Per thread: the token the next paginator of this thread starts at, and the paginator made."""

    start: tuple[object] | None = None
    made: BaseAPIPaginator[t.Any] | None = None


@dataclass(frozen=True)
class StreamHooks:
    """What a :class:`Resume` asks of its stream."""

    #: a record's primary key
    key: Callable[[Record], list[t.Any]]
    #: the stream's state, made if absent (the writer's side)
    state: Callable[[], dict[str, t.Any]]
    #: the same, read without making it (a worker's side)
    saved_state: Callable[[], t.Mapping[str, t.Any]]
    #: the digest of the stream's first request
    requests: Callable[[], str]
    #: called after each record completes (writes STATE when due)
    progress: Callable[[], None]
    #: gives the stream's bookmark-to-be the interrupted run's largest replication key value
    seed: Callable[[object], None]


class Resume:
    """The resume position of one top-level stream: written as its records complete, read on a restart."""

    def __init__(self, name: str, logger: logging.Logger, *, resumable: bool, hooks: StreamHooks) -> None:
        """``resumable``: the paginator can start at a saved token."""
        self._name = name
        self._logger = logger
        self._resumable = resumable
        self._hooks = hooks
        self._key = hooks.key
        self._handoff = _Handoff()
        self._pages: deque[_Page] = deque()
        self._digest = ""
        self._used: Position | None = None  # the position this run's read began from

    # -- the worker side: reading the partition, from the saved position --------------------------------
    def records(self, request_records: Callable[[], Iterable[Record]]) -> Iterator[Record]:
        """The stream's records after its saved position (all of them without one; none when the
        interrupted run finished it), pages noted."""
        self._digest = self._hooks.requests()
        position = self._used = self.saved()
        self._pages = deque()
        if position is not None and position.done:
            self._logger.info("Stream %s was finished by the interrupted run; not read again", self._name)
            return
        if position is None:
            yield from self._read(request_records, None)
            return
        self._logger.info("Stream %s resumes after %d records%s of the interrupted run", self._name,
                          position.skip, " of its last page" if position.has_token else "")
        yield from self._read(request_records, position)

    def _read(self, request_records: Callable[[], Iterable[Record]], position: Position | None) -> Iterator[Record]:
        self._handoff.start = (position.token,) if position is not None and position.has_token else None
        self._handoff.made = None
        source = iter(request_records())
        first = next(source, None)  # makes the paginator, in this thread (a parked read may move to another)
        paginator, self._handoff.made = self._handoff.made, None
        if first is None:
            return
        records = itertools.chain([first], source)
        token: Callable[[], object] = (lambda: paginator.current_value) if paginator is not None else lambda: None
        skipped = self._skip(records, position, token) if position is not None and position.skip else 0
        if skipped < 0:  # not where the interrupted run was: start over
            self._logger.warning("Stream %s: the records are not where the interrupted run left them (the API's "
                                 "order or data changed); reading the stream again from its start", self._name)
            yield from self._read(request_records, None)
            return
        first_token = position.token if position is not None and position.has_token else None
        last: object = object()
        for ordinal, record in enumerate(records):
            current = token()
            if ordinal == 0 or (self._resumable and current != last):
                base = skipped if ordinal == 0 and current == first_token else 0
                self._pages.append(_Page(ordinal, current if self._resumable else None, base, _json(current)))
                last = current
            yield record

    def _skip(self, records: Iterator[Record], position: Position, token: Callable[[], object]) -> int:
        """Read past the records done before; -1 when they are not what the interrupted run read."""
        record: Record | None = None
        for _ in range(position.skip):
            record = next(records, None)
            if record is None or (position.has_token and token() != position.token):
                return -1
        if record is not None and position.key and self._key(record) != position.key:
            return -1
        return position.skip

    def paginator(self, made: Callable[[tuple[object] | None], BaseAPIPaginator[t.Any]]) -> BaseAPIPaginator[t.Any]:
        """(get_new_paginator) ``made(start)``: a paginator starting at the saved token when this thread's
        read resumes one (``start`` a 1-tuple), else at the first page (``start`` None)."""
        start, self._handoff.start = self._handoff.start, None
        paginator = made(start)
        self._handoff.made = paginator
        return paginator

    # -- the writer side: records complete, the position written ------------------------------------------
    def track(self, records: Iterable[Record], *, positions: bool = True) -> Iterator[Record]:
        """``records`` passed on; each is complete (written, children synced) when the next is asked for:
        its position is saved (unless ``positions`` is false: a sorted stream's bookmark is its position)
        and a STATE written when due. At the end the position goes (the stream is done)."""
        if not positions:
            for record in records:
                yield record
                self._hooks.progress()
            return
        state: dict[str, t.Any] = {}
        for ordinal, record in enumerate(records):
            if ordinal == 0:
                state = self._hooks.state()  # the stream's state, made now (by the writer: never by a worker)
                if self._used is not None and self._used.progress is not None:
                    self._hooks.seed(self._used.progress)
            key = self._key(record)
            yield record
            self._complete(state, ordinal, key)
        self.finish()

    def _complete(self, state: dict[str, t.Any], ordinal: int, key: list[t.Any]) -> None:
        pages = self._pages
        while len(pages) > 1 and pages[1].first <= ordinal:
            pages.popleft()
        if not pages:
            return
        page = pages[0]
        if not page.saved:
            return  # a token that is not JSON: the position stays at the last page that had one
        marker: dict[str, t.Any] = {"skip": page.base + ordinal - page.first + 1, "key": key,
                                    "requests": self._digest}
        if page.token is not None:
            marker["token"] = page.token
        progress = state.get("progress_markers", {}).get("replication_key_value")
        if progress is not None:
            marker["progress"] = progress
        state[RESUME_KEY] = marker
        self._hooks.progress()

    def saved(self) -> Position | None:
        """The position in the input STATE, if it is for the requests this run sends."""
        marker = self._hooks.saved_state().get(RESUME_KEY)
        if not isinstance(marker, dict) or marker.get("requests") != self._digest:
            if isinstance(marker, dict):
                self._logger.info("Stream %s: its requests changed since the interrupted run; reading it from "
                                  "its start", self._name)
            return None
        key = marker.get("key")
        return Position(marker.get("token"), "token" in marker and self._resumable, int(marker.get("skip", 0)),
                        key if isinstance(key, list) else [], done=marker.get("done") is True,
                        progress=marker.get("progress"))

    def finish(self) -> None:
        """The stream is done: a restart of this run skips it; the run's last STATE has no position
        (:func:`forget`), so the next run reads it from its start."""
        self._digest = self._digest or self._hooks.requests()
        self._hooks.state()[RESUME_KEY] = {"done": True, "requests": self._digest}


def forget(tap_state: t.Mapping[str, t.Any]) -> bool:
    """The run is complete: every stream's position removed (True if there was one)."""
    found = False
    for stream_state in tap_state.get("bookmarks", {}).values():
        if isinstance(stream_state, dict) and stream_state.pop(RESUME_KEY, None) is not None:
            found = True
    return found


def digest(*parts: object) -> str:
    """A short digest of JSON-able parts (what a stream's requests are)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _json(token: object) -> bool:
    """Whether ``token`` can be saved in STATE as it is."""
    try:
        json.dumps(token)
    except (TypeError, ValueError):
        return False
    return True
