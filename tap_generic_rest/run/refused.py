"""Requests the tap refuses to send for one parent record, and the run's account of them.

A parent value that cannot go into a request as it is — a CR, LF or NUL in a header, ``.`` or ``..``
as a path segment (HTTP libraries and servers resolve a dot segment, also written ``%2E%2E``, to another
path) — fails that parent only: one warning line names it, the other parents' records still arrive,
and the run then ends with one error line and a non-zero exit, so nothing is lost silently.
"""

from __future__ import annotations

import threading

from tap_generic_rest.errors import REDACTOR


class ParentRefused(Exception):  # noqa: N818 - a signal for one parent, not the run's error
    """A request of one parent's partition that the tap does not send."""


class Refusals:
    """The parents refused in this run (thread-safe)."""

    def __init__(self) -> None:
        """No refusals yet."""
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        """A new run starts."""
        with self._lock:
            self._lines.clear()

    def add(self, line: str) -> None:
        """One parent refused (its warning line)."""
        with self._lock:
            self._lines.append(line)

    def error(self) -> str | None:
        """The run's error line, when a parent was refused."""
        with self._lock:
            lines = list(self._lines)
        if not lines:
            return None
        more = f" (and {len(lines) - 1} more, each logged)" if len(lines) > 1 else ""
        return REDACTOR.text(f"{len(lines)} parent record(s) skipped, their requests refused: {lines[0][:500]}{more}; "
                             "the other records were written")


#: The run's refusals (a process runs one tap); the CLI reports them when the run ends.
REFUSED = Refusals()
