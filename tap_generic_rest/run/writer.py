"""The Singer writer of a run: msgspec-encoded messages written in whole-line batches, records counted.

STATE messages are encoded from their value directly (the SDK's generic path copies a message
through ``dataclasses.asdict`` first: a deep copy of the run's state on every STATE line; RECORD
has its own fast path in the SDK); the bytes are the same.
"""

from __future__ import annotations

import atexit
import sys
import typing as t
import weakref

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib import RecordMessage, StateMessage
from typing_extensions import override

from tap_generic_rest.run.progress import PROGRESS


def flush_writers() -> None:
    """Write the RECORD lines still pending (the records after a run's last STATE)."""
    for writer in list(_WRITERS):
        writer.flush()


class CountingWriter(MsgSpecWriter):
    """The msgspec Singer writer, counting the records it writes, in whole lines.

    RECORD lines are written in batches of up to ``FLUSH_BYTES``; every other message (SCHEMA,
    STATE, ...) is flushed at once with the records before it, so a STATE reaches the target as
    soon as it is written and never before its records. (A flush per record cost a system call
    each, and with fetch workers running, a wait for the interpreter lock after each.)
    """

    FLUSH_BYTES = 64 * 1024
    #: a STATE (a top-level stream's resume position, ``streams/resume.py``, a child's bookmarks) is
    #: due once the messages written since the last STATE are this many times its size, and at least
    #: ``STATE_MIN_BYTES``: STATE stays a bounded share of the output (at most a third), however many
    #: parents, and a restart redoes at most about that much
    STATE_BUDGET = 2
    STATE_MIN_BYTES = 16 * 1024

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Nothing pending; whatever is pending at exit is written then."""
        super().__init__(*args, **kwargs)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._since_state = 0  # bytes written since the last STATE
        self._state_size = 0  # the size of the last STATE
        _WRITERS.add(self)

    @override
    def serialize_message(self, message: t.Any) -> bytearray:
        """One line of JSON; STATE encoded from its value, without the SDK's deep copy."""
        if isinstance(message, StateMessage) and message.value is not None:
            return serialize_jsonl({"type": "STATE", "value": message.value})
        return super().serialize_message(message)

    @override
    def write_message(self, message: t.Any) -> None:
        is_record = isinstance(message, RecordMessage)
        if is_record:
            PROGRESS.record(message.stream)
        line = bytes(self.format_message(message))  # a copy: msgspec reuses one buffer
        self._pending.append(line)
        self._pending_bytes += len(line)
        if is_record or not isinstance(message, StateMessage):
            self._since_state += len(line)
        else:
            self._since_state, self._state_size = 0, len(line)
        if not is_record or self._pending_bytes >= self.FLUSH_BYTES:
            self.flush()

    def state_due(self) -> bool:
        """Whether a progress STATE is due (see ``STATE_BUDGET``)."""
        return self._since_state >= max(self.STATE_MIN_BYTES, self.STATE_BUDGET * self._state_size)

    def flush(self) -> None:
        """Write the pending lines."""
        if self._pending:
            lines, self._pending, self._pending_bytes = self._pending, [], 0
            sys.stdout.buffer.write(b"".join(lines))
        sys.stdout.flush()


#: the live writers (a writer gone, e.g. of a tap run in-process, has nothing left to write)
_WRITERS: weakref.WeakSet[CountingWriter] = weakref.WeakSet()
atexit.register(flush_writers)
