"""The ``--state`` file's shape, checked before the SDK reads it: one line naming the bad part, not a traceback.

Singer state is ``{"bookmarks": {<stream>: {...}}}``; a stream's state may hold ``partitions`` (a list of
objects, each with its ``context`` object), ``progress_markers`` (an object) and our ``resume`` (an object:
``skip`` a count, ``key`` a list; ``streams/resume.py``). A file from another tap or
edited by hand is refused here; an empty file or ``{}`` is a first run.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.errors import SettingsError

FIX = "fix or delete the state file (a first run needs none), or reset it with `meltano state clear <state-id>`"


def check_state(state: object) -> None:
    """Raise :class:`SettingsError` when ``state`` is not Singer state this tap can read."""
    if not isinstance(state, dict):
        _refuse("", f"is {_kind(state)}, not an object")
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        _refuse("bookmarks", f"is {_kind(bookmarks)}, not an object of stream names")
    for stream, stream_state in bookmarks.items():
        _check_stream(f"bookmarks.{stream}", stream_state)


def _check_stream(where: str, stream_state: object) -> None:
    if not isinstance(stream_state, dict):
        _refuse(where, f"is {_kind(stream_state)}, not an object")
    markers = stream_state.get("progress_markers", {})
    if not isinstance(markers, dict):
        _refuse(f"{where}.progress_markers", f"is {_kind(markers)}, not an object")
    _check_resume(f"{where}.resume", stream_state.get("resume", {}))
    partitions = stream_state.get("partitions", [])
    if not isinstance(partitions, list):
        _refuse(f"{where}.partitions", f"is {_kind(partitions)}, not a list")
    for index, partition in enumerate(partitions):
        if not isinstance(partition, dict) or not isinstance(partition.get("context", {}), dict):
            _refuse(f"{where}.partitions[{index}]", "is not an object with a context object")
        _check_stream(f"{where}.partitions[{index}]", {k: v for k, v in partition.items() if k != "partitions"})


def _check_resume(where: str, resume: object) -> None:
    if not isinstance(resume, dict):
        _refuse(where, f"is {_kind(resume)}, not an object")
    skip = resume.get("skip", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        _refuse(f"{where}.skip", f"is {_kind(skip) if not isinstance(skip, int) else skip}, not a count of records")
    if not isinstance(resume.get("key", []), list):
        _refuse(f"{where}.key", f"is {_kind(resume.get('key'))}, not a list")


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _refuse(where: str, problem: str) -> t.NoReturn:
    msg = f"invalid state: {where or 'the state'} {problem}; {FIX}"
    raise SettingsError(msg)
