"""progress.py and logs.py on bare log records: throttled progress lines, the summary, retries and
requests counted, per-context lines once per stream, unknown settings, bad stream maps."""

from __future__ import annotations

import logging

import pytest
from singer_sdk import metrics
from singer_sdk.exceptions import MapExpressionError

from tap_generic_rest.run import logs
from tap_generic_rest.run.progress import Progress, RequestCounter, RetryCounter


@pytest.fixture
def progress_logger() -> logging.Logger:
    logger = logging.getLogger("test-progress")
    logger.setLevel(logging.INFO)
    return logger


def test_progress_lines_are_throttled_per_stream(
    progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(float(x) for x in [0, 1, 2, 6, 7, 12] + [12] * 10)
    monkeypatch.setattr("tap_generic_rest.run.progress.time.monotonic", lambda: next(clock))
    progress = Progress(progress_logger, interval=5.0)
    with caplog.at_level(logging.INFO, logger="test-progress"):
        for _ in range(5):
            progress.record("a")  # t = 0, 1, 2, 6 (a line), 7
        progress.request("a")  # t = 12 (a line)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Progress: stream a: 4 records (1/s), 0 requests, 0 retries",
                     "Progress: stream a: 5 records (0/s), 1 requests, 0 retries"]


def test_summary_per_stream_and_total(progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(progress_logger, interval=3600)
    for _ in range(3):
        progress.record("a")
    progress.record("b")
    progress.request("a")
    progress.retry("a")
    with caplog.at_level(logging.INFO, logger="test-progress"):
        progress.summary()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("Summary: stream a: 3 records, 1 requests, 1 retries, ")
    assert lines[1].startswith("Summary: stream b: 1 records, 0 requests, 0 retries, ")
    assert lines[2].startswith("Summary: 2 streams: 4 records, 1 requests, 1 retries, ")


def test_a_new_run_starts_with_no_tallies(progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(progress_logger, interval=3600)
    progress.record("a")
    progress.reset()  # the CLI does this at the start of every run (one process may run the tap twice)
    progress.record("b")
    with caplog.at_level(logging.INFO, logger="test-progress"):
        progress.summary()
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(":")[1] for line in lines] == [" stream b", " 1 streams"]


def test_requests_from_metric_points_and_retries_from_the_retry_line(progress_logger: logging.Logger) -> None:
    progress = Progress(progress_logger, interval=3600)
    point = metrics.Point("timer", metrics.Metric.HTTP_REQUEST_DURATION, 0.1, {metrics.Tag.STREAM: "s"})
    RequestCounter(progress).emit(logging.makeLogRecord({"msg": "METRIC: %s", "args": (point,)}))
    retry = logging.makeLogRecord({"name": "tap-x.s", "msg": "Retrying %s in %.1f s", "args": ("u", 1.0),
                                   "levelno": logging.WARNING})
    RetryCounter(progress, "tap-x").emit(retry)
    assert (progress.tallies["s"].requests, progress.tallies["s"].retries) == (1, 1)


def test_per_context_lines_once_per_stream(progress_logger: logging.Logger) -> None:
    once = logs.OncePerStream(Progress(progress_logger))

    def passes(name: str, msg: str) -> bool:
        return once.filter(logging.makeLogRecord({"name": name, "msg": msg}))

    beginning = "Beginning sync of '%s' in %s mode with context keys: %s"
    assert passes("tap.endpoints", beginning)
    assert not passes("tap.endpoints", beginning)
    assert passes("tap.integrations", beginning)
    assert passes("tap.endpoints", "Something else")
    assert passes("tap.endpoints", "Something else")


def test_unknown_setting_names_the_nearest(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test-settings")
    with caplog.at_level(logging.WARNING, logger="test-settings"):
        logs.warn_unknown_settings({"max_retires": 5, "api": "x", "qqq": 1}, ["api", "max_retries"], logger)
    assert [r.getMessage() for r in caplog.records] == [
        "Unknown setting 'max_retires' is ignored; did you mean max_retries?",
        "Unknown setting 'qqq' is ignored (see tap-generic-rest --about)",
    ]


def test_a_bad_stream_map_names_stream_property_and_expression() -> None:
    logs.remember_stream_maps({"avatars": {"x": "1 +", "y": "2"}, "tags": None})
    try:
        raise MapExpressionError("Failed to parse expression 1 +.") from SyntaxError("invalid syntax")
    except MapExpressionError as exc:
        message = logs.stream_map_error(exc)
    assert message == ("invalid stream_maps: stream 'avatars' property 'x' expression '1 +': "
                       "Failed to parse expression 1 +.: invalid syntax")
