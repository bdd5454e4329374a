"""Logs a Meltano user can read: errors at error level, unknown settings named, lines once per stream.

Under Meltano the tap logs JSON lines (the SDK's structured logging, set up by Meltano through
``SINGER_SDK_LOG_CONFIG``) and Meltano re-logs each at its own level; a plain stderr line is
logged at info and vanishes at ``meltano --log-level=warning``.
"""

from __future__ import annotations

import difflib
import logging
import sys
import typing as t

import click
from singer_sdk import metrics
from singer_sdk.logging import StructuredFormatter
from typing_extensions import override

from tap_generic_rest.errors import UserError
from tap_generic_rest.run.progress import Progress, RequestCounter, RetryCounter

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

CLI_LOGGER = "tap-generic-rest"

#: SDK lines written once per parent context (thousands per run); kept once per stream.
PER_CONTEXT_LINES = (
    "Beginning sync of '%s' in %s mode",
    "Starting incremental sync of '%s' with bookmark value",
    "Pagination stopped after %d pages because no records",
)
#: SDK lines that are not true of this tap. "Stream is assumed to be unsorted, progress is not resumable if
#: interrupted": an unsorted stream's bookmark moves only when its sync completes, so an interrupted run
#: restarts from the last complete bookmark and loses nothing (tests/reliability: resume after SIGKILL).
UNTRUE_LINES = ("Stream is assumed to be unsorted",)
#: the SDK's line when a stream's sync raises. For an error of ours (a bad setting, a refused credential, an
#: API that misbehaves) the CLI writes the one line saying what happened and what to fix; "unhandled" would
#: be wrong and a second line, so it is left out then. Any other exception keeps it.
FAILED_SYNC_LINE = "An unhandled error occurred while syncing '%s'"


def said_by_the_cli(message: str) -> bool:
    """Whether ``message`` is the SDK's failed-sync line for an error the CLI reports in its own line."""
    return message == FAILED_SYNC_LINE and isinstance(sys.exc_info()[1], UserError)


def report_error(message: str) -> None:
    """Write the CLI's one error line: at error level under structured logging, else plainly."""
    if any(isinstance(h.formatter, StructuredFormatter) for h in logging.getLogger().handlers):
        logging.getLogger(CLI_LOGGER).error(message)
    else:
        click.echo(message, err=True)


def warn_unknown_settings(config: Mapping[str, t.Any], known: Iterable[str], logger: logging.Logger) -> None:
    """One warning per setting the tap does not know, with the nearest known name."""
    names = sorted(set(known))
    for name in sorted(set(config) - set(names)):
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else " (see tap-generic-rest --about)"
        logger.warning("Unknown setting %r is ignored%s", name, hint)


class OncePerStream(logging.Filter):
    """Lets the per-context SDK lines through once per stream."""

    def __init__(self, progress: Progress) -> None:
        """Tell streams apart by the logger name, or by the stream ``progress`` saw last."""
        super().__init__()
        self.progress = progress
        self.seen: set[tuple[str, str]] = set()

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        if msg.startswith(UNTRUE_LINES):
            return False
        line = next((p for p in PER_CONTEXT_LINES if msg.startswith(p)), None)
        if line is None:
            return True
        stream = record.name.partition(".")[2] or self.progress.current_stream() or ""
        key = (line, stream)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


class PerContextLines:
    """The SDK's per-context lines of one stream through its ``log``: each let through the first time,
    the others dropped before a log record is made (``OncePerStream`` would drop them after)."""

    def __init__(self) -> None:
        """None seen yet."""
        self._seen: set[str] = set()

    def admits(self, message: str) -> bool:
        """Whether to log ``message``."""
        line = next((p for p in PER_CONTEXT_LINES if message.startswith(p)), None)
        if line is None:
            return True
        if line in self._seen:
            return False
        self._seen.add(line)
        return True


#: a logger outside the logging tree (a log config applied later cannot enable it), writing nothing
_UNREAD = logging.Logger("unread-metrics")
_UNREAD.disabled, _UNREAD.propagate = True, False
Meter = t.TypeVar("Meter", bound=metrics.Meter)


def quiet(meter: Meter) -> Meter:
    """``meter`` logs nothing while nobody reads the SDK's METRIC lines it writes (``log_metrics`` off and
    no handler on the metrics logger but the request counter): a child's record count and sync time
    would otherwise make two log records per parent, for nothing."""
    logger = metrics.get_metrics_logger()
    if not logger.propagate and all(isinstance(h, RequestCounter) for h in logger.handlers):
        meter.logger = _UNREAD
    return meter


def install(progress: Progress, tap_logger: logging.Logger, *, log_metrics: bool) -> None:
    """Wire progress counting and the filters (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OncePerStream) for f in handler.filters):
            handler.addFilter(OncePerStream(progress))
    metrics_logger = metrics.get_metrics_logger()
    metrics_logger.propagate = log_metrics  # the SDK's METRIC lines: one per request and per parent
    for logger, counter in ((metrics_logger, RequestCounter(progress)),
                            (tap_logger, RetryCounter(progress, tap_logger.name))):
        logger.handlers = [h for h in logger.handlers if type(h) is not type(counter)]
        logger.addHandler(counter)


_STREAM_MAPS: dict[str, t.Any] = {}


def remember_stream_maps(stream_maps: object) -> None:
    """Keep the run's ``stream_maps`` setting, to name the stream of a bad expression."""
    _STREAM_MAPS.clear()
    if isinstance(stream_maps, dict):
        _STREAM_MAPS.update(stream_maps)


def stream_map_error(exc: Exception) -> str:
    """One line naming the stream, the property and the expression of a bad stream map."""
    where = [f"stream {stream!r} property {prop!r} expression {expr!r}"
             for stream, props in _STREAM_MAPS.items() if isinstance(props, dict)
             for prop, expr in props.items() if isinstance(expr, str) and expr and expr in str(exc)]
    cause = f": {exc.__cause__}" if exc.__cause__ else ""
    return f"invalid stream_maps: {'; '.join(where) + ': ' if where else ''}{exc}{cause}"
