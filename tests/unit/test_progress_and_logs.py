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


def summary_of(progress: Progress, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The summary lines ``progress`` writes."""
    with caplog.at_level(logging.INFO, logger="test-progress"):
        progress.summary()
    return [r.getMessage() for r in caplog.records]


def test_progress_lines_are_throttled_per_stream(
    progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = Progress(progress_logger, interval=5.0)
    clock = iter(float(x) for x in [0, 1, 2, 6, 7, 12] + [12] * 10)
    monkeypatch.setattr("tap_generic_rest.run.progress.time.monotonic", lambda: next(clock))
    with caplog.at_level(logging.INFO, logger="test-progress"):
        for _ in range(5):
            progress.record("a")  # t = 0, 1, 2, 6 (a line), 7
        progress.request("a")  # t = 12 (a line)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Progress: stream a: 4 records (1/s), 0 requests, 0 retries",
                     "Progress: stream a: 5 records (0/s), 1 request, 0 retries"]


def test_summary_per_stream_and_total(progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(progress_logger, interval=3600)
    for _ in range(3):
        progress.record("a")
    progress.record("b")
    progress.request("a")
    progress.retry("a")
    lines = summary_of(progress, caplog)
    assert lines[0].startswith("Summary: stream a: 3 records, 1 request, 1 retry, ")
    assert lines[1].startswith("Summary: stream b: 1 record, 0 requests, 0 retries, ")
    assert lines[2].startswith("Summary: 2 streams: 4 records, 1 request, 1 retry, ")


def test_the_total_is_the_wall_time_of_the_run(
    progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream's seconds span its first to last activity; the total spans the run (start-up to summary)."""
    times = iter([90.0, 100.0, 110.0, 112.0, 134.0])  # start, reset, a record, a request, the summary
    monkeypatch.setattr("tap_generic_rest.run.progress.time.monotonic", lambda: next(times))
    progress = Progress(progress_logger, interval=3600)
    progress.reset()
    progress.record("a")
    progress.request("a")
    assert summary_of(progress, caplog) == ["Summary: stream a: 1 record, 1 request, 0 retries, 2.0 s",
                     "Summary: 1 stream: 1 record, 1 request, 0 retries, 34.0 s"]


def test_discovery_says_it_sampled(progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(progress_logger, interval=3600)
    for _ in range(12):
        progress.sample("customers")
    for _ in range(4):
        progress.request("customers")
    line = summary_of(progress, caplog)[0]
    assert line.startswith("Summary: stream customers: 12 records sampled to infer schemas, 4 requests, 0 retries")


def test_a_new_run_starts_with_no_tallies(progress_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(progress_logger, interval=3600)
    progress.record("a")
    progress.reset()  # the CLI does this at the start of every run (one process may run the tap twice)
    progress.record("b")
    lines = summary_of(progress, caplog)
    assert [line.split(":")[1] for line in lines] == [" stream b", " 1 stream"]


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


def test_the_sdk_unsorted_warning_is_not_written(progress_logger: logging.Logger) -> None:
    """An unsorted stream's bookmark moves only when its sync completes: the SDK's "not resumable" line is untrue."""
    line = logging.LogRecord("singer_sdk.helpers._state", logging.WARNING, __file__, 1,
                             "Stream is assumed to be unsorted, progress is not resumable if interrupted", None, None)
    assert not logs.OncePerStream(Progress(progress_logger)).filter(line)


def test_the_sdks_failed_sync_line_is_left_out_only_for_errors_the_cli_reports() -> None:
    """A user error's one line is the CLI's; the SDK's "unhandled error" line stays for anything else."""
    from tap_generic_rest.errors import StreamError
    from tap_generic_rest.run.logs import FAILED_SYNC_LINE, said_by_the_cli

    try:
        raise StreamError("stream items: HTTP 401 Unauthorized")
    except StreamError:
        assert said_by_the_cli(FAILED_SYNC_LINE)
        assert not said_by_the_cli("Beginning sync of '%s' in %s mode")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert not said_by_the_cli(FAILED_SYNC_LINE)
    assert not said_by_the_cli(FAILED_SYNC_LINE)  # no exception being handled
