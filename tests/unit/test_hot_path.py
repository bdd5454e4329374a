"""The per-record and per-context cuts of issue 21 do what the SDK's own steps did: STATE lines encoded
without copies are the SDK's bytes; proxies resolved once per host are the ones requests resolves;
SCHEMA is built and compared only when what it is made of changes; per-context log lines and the
metric lines nobody reads cost no log record. (The whole output: tests/integration/test_output_golden.py.)"""

from __future__ import annotations

import datetime
import decimal
import logging
import typing as t

import pytest
import requests
from singer_sdk import metrics
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from tap_generic_rest.http.session import SameHostSession
from tap_generic_rest.run import logs
from tap_generic_rest.run.progress import Progress, RequestCounter
from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.streams import sdk_seam

if t.TYPE_CHECKING:
    from tap_generic_rest.tap import TapGenericRest

WHEN = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
STATES = [
    {},
    {"bookmarks": {"a": {"replication_key": "updated_at", "replication_key_value": "2024-05-01T12:00:00Z",
                         "partitions": [{"context": {"id": 1}, "progress_markers": None}]}}},
    {"bookmarks": {"b": {"replication_key_value": 17, "signpost": WHEN, "x": [1, None, 2.5, "é\n\"", True]}},
     "currently_syncing": None, "amount": decimal.Decimal("1.10")},
]


@pytest.mark.parametrize("state", STATES)
def test_a_state_line_is_the_sdks_line(state: dict[str, t.Any]) -> None:
    message = StateMessage(value=state)
    assert bytes(CountingWriter().serialize_message(message)) == bytes(MsgSpecWriter().serialize_message(message))


@pytest.mark.parametrize("message", [
    RecordMessage(stream="s", record={"id": 1, "at": WHEN}, version=3, time_extracted=WHEN),
    SchemaMessage(stream="s", schema={"type": "object", "properties": {}}, key_properties=["id"]),
])
def test_other_lines_are_the_sdks_line(message: t.Any) -> None:
    assert bytes(CountingWriter().serialize_message(message)) == bytes(MsgSpecWriter().serialize_message(message))


@pytest.mark.parametrize(("url", "environ"), [
    ("http://api.example.com/v1", {"HTTP_PROXY": "http://proxy:3128"}),
    ("https://api.example.com/v1", {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.com"}),
    ("https://api.example.com/v1", {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "other.org"}),
    ("http://127.0.0.1:8080/v1", {"ALL_PROXY": "socks5://proxy:1080"}),
    ("http://127.0.0.1:8080/v1", {}),
])
def test_proxies_are_the_ones_requests_resolves(url: str, environ: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    session = SameHostSession()
    prepared = requests.Request("GET", url).prepare()
    expected = requests.utils.resolve_proxies(prepared, {}, trust_env=True)
    assert session._proxies_for(prepared) == expected
    assert session._proxies_for(prepared) == expected  # from the cache
    session.trust_env = False
    assert session._proxies_for(prepared) == {}
    session.proxies = {"http": "http://explicit:1"}
    assert session._proxies_for(prepared) == requests.utils.resolve_proxies(prepared, session.proxies, trust_env=False)


def test_the_session_sends_through_the_resolved_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    seen: list[dict[str, str]] = []

    class Adapter(requests.adapters.HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:  # type: ignore[override]
            seen.append(kwargs["proxies"])
            response = requests.Response()
            response.status_code, response.request = 200, request
            return response

    session = SameHostSession()
    session.mount("http://", Adapter())
    for _ in range(2):
        session.get("http://api.example.com/v1", stream=True)  # streamed: the fake has no body to read
    assert seen == [{"http": "http://proxy.invalid:3128"}] * 2


def test_schema_messages_are_built_only_when_their_sources_change(make_tap: t.Callable[..., TapGenericRest],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    stream = next(iter(make_tap().streams.values()))
    built: list[int] = []
    original = type(stream)._generate_schema_messages

    def counting(self: t.Any) -> t.Any:
        built.append(1)
        return original(self)

    monkeypatch.setattr(type(stream), "_generate_schema_messages", counting)
    written: list[t.Any] = []
    monkeypatch.setattr(type(sdk_seam.tap_of(stream)), "write_message", lambda _tap, message: written.append(message))
    for _ in range(3):
        sdk_seam.write_schema_message(stream)
    assert (len(built), len(written)) == (1, 1)
    stream.seam.schema_sources = ()  # what a changed source looks like: built and compared again
    sdk_seam.write_schema_message(stream)
    assert (len(built), len(written)) == (2, 1), "the same schema is not written twice"
    evolved = {**stream.schema, "properties": {**stream.schema["properties"], "new_key": {"type": ["string", "null"]}}}
    sdk_seam.replace_schema(stream, evolved)
    assert len(written) == 2 and written[-1].schema["properties"]["new_key"] == {"type": ["string", "null"]}


def test_per_context_lines_make_a_log_record_once() -> None:
    lines = logs.PerContextLines()
    beginning = "Beginning sync of '%s' in %s mode with context keys: %s"
    assert [lines.admits(beginning), lines.admits(beginning), lines.admits("other"), lines.admits("other")] == [
        True, False, True, True]
    assert lines.admits("Pagination stopped after %d pages because no records were found in the last response")


def test_metric_lines_nobody_reads_make_no_log_record(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = metrics.get_metrics_logger()
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "handlers", [RequestCounter(Progress(logging.getLogger("test-hot")))])
    quiet = logs.quiet(metrics.sync_timer("s")).logger
    assert not quiet.isEnabledFor(logging.CRITICAL) and not quiet.propagate and not quiet.handlers
    # outside the logging tree: a log config applied later (SINGER_SDK_LOG_CONFIG) re-enables every
    # logger of the tree (disable_existing_loggers: false), not this one
    assert quiet not in logging.root.manager.loggerDict.values()
    monkeypatch.setattr(logger, "propagate", True)  # log_metrics: the lines are read
    assert logs.quiet(metrics.sync_timer("s")).logger is logger
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "handlers", [logging.StreamHandler()])  # a handler of the user's log config
    assert logs.quiet(metrics.record_counter("s")).logger is logger
