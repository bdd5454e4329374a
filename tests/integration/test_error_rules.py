"""Error rules and backoff over real HTTP (issue 19 point 4): ``error_handler`` in the client and the
endpoint, each action, waits from headers, constant and exponential backoff, the cap, one-line errors."""

from __future__ import annotations

import email.utils
import re
import time
import typing as t

import pytest
import yaml

from tests.safety import helpers as h

if t.TYPE_CHECKING:
    from pathlib import Path

ROWS = {"data": [{"id": "1"}, {"id": "2"}]}
SECRET = "sk-live-abcdef123456"


def _sequence(*answers: h.Answer) -> t.Callable[[h.Received], h.Answer]:
    """A route giving ``answers`` in turn, then the last one again."""
    given = list(answers)

    def route(_: h.Received) -> h.Answer:
        return given.pop(0) if len(given) > 1 else given[0]

    return route


def _run(tmp_path: Path, api: h.CannedApi, *resources: dict[str, t.Any], client_handler: dict[str, t.Any] | None = None,
         defaults: dict[str, t.Any] | None = None, **config: t.Any) -> h.TapRun:
    path = h.write_description(tmp_path, *resources, base_url=api.url,
                               auth={"type": "api_key", "name": "X-Key", "api_key": "{{ config.api_key }}"})
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if client_handler is not None:
        doc["client"]["error_handler"] = client_handler
    if defaults is not None:
        doc["resource_defaults"] = defaults
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return h.run_tap(config={"api_description": str(path), "api_key": SECRET, **h.FAST, **config},
                     directory=tmp_path)


def _handler(*filters: dict[str, t.Any], **keys: t.Any) -> dict[str, t.Any]:
    return {"response_filters": list(filters), **keys}


def _waits(run: h.TapRun) -> list[float]:
    return [float(wait) for wait in re.findall(r"Retrying \S+ in ([0-9.]+) s", run.stderr)]


def test_a_200_whose_body_says_rate_limited_is_retried_then_succeeds(tmp_path: Path) -> None:
    limited = h.Answer(200, {"error": {"code": "RATE", "message": "slow down"}})
    handler = _handler({"predicate": "{{ response.error.code == 'RATE' }}", "action": "rate_limited"},
                       backoff_strategies=[{"type": "constant", "backoff_time_in_seconds": 0.2}], max_retries=3)
    with h.CannedApi() as api:
        api.routes["/items"] = _sequence(limited, limited, h.Answer(200, ROWS))
        run = _run(tmp_path, api, h.resource(endpoint={"error_handler": handler})).succeeded()

    assert run.records("items") == ROWS["data"]
    assert len(api.received) == 3
    assert _waits(run) == [0.2, 0.2]


def test_retry_on_body_content_and_give_up_after_max_retries(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [200], "error_message_contains": "try again", "action": "retry",
                        "error_message": "the API is busy: {{ response.detail }}"},
                       backoff_strategies=[{"type": "constant", "backoff_time_in_seconds": 0}], max_retries=2)
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"detail": "please try again", "data": []})
        line = _run(tmp_path, api, h.resource(endpoint={"error_handler": handler})).error()

    assert len(api.received) == 3
    h.assert_mentions(line, "stream items: the API is busy: please try again (HTTP 200 from GET",
                      "(gave up after 3 attempts)")


def test_ignore_a_403_page_and_sync_the_rest(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [403], "action": "ignore"})
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(403, "<html><body>Forbidden</body></html>", content_type="text/html")
        api.routes["/others"] = h.Answer(200, ROWS)
        run = _run(tmp_path, api, h.resource(), h.resource("others", "/others"), client_handler=handler).succeeded()

    assert run.records("items") == []
    assert run.records("others") == ROWS["data"]
    assert "stream items: ignored the response from" in run.stderr


def test_fail_ends_the_run_with_the_rendered_message_secrets_masked(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [402], "action": "fail",
                        "error_message": "quota exhausted: {{ response.error.message }} (key {{ config.api_key }}, "
                                         "request {{ headers['X-Request-Id'] }})"})
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(402, {"error": {"message": "daily limit reached"}},
                                        headers={"X-Request-Id": "r-77"})
        run = _run(tmp_path, api, h.resource(), client_handler=handler)

    line = run.error()
    h.assert_mentions(line, "stream items: quota exhausted: daily limit reached (key ****, request r-77) "
                            "(HTTP 402 from GET")
    assert SECRET not in run.stderr + run.stdout
    assert len(api.received) == 1


def test_success_accepts_an_error_status(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [404], "action": "success"})
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(404, {"data": [{"id": "9"}]})
        run = _run(tmp_path, api, h.resource(endpoint={"error_handler": handler})).succeeded()

    assert run.records("items") == [{"id": "9"}]


def test_wait_time_from_a_header_in_seconds(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [503], "action": "retry"}, backoff_strategies=[
        {"type": "wait_time_from_header", "header": "X-Wait", "regex": "wait=([0-9.]+)"},
        {"type": "constant", "backoff_time_in_seconds": 5}])
    with h.CannedApi() as api:
        api.routes["/items"] = _sequence(h.Answer(503, {}, headers={"X-Wait": "wait=0.3;scope=all"}),
                                         h.Answer(200, ROWS))
        started = time.monotonic()
        run = _run(tmp_path, api, h.resource(), client_handler=handler).succeeded()

    assert _waits(run) == [0.3]
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("form", ["epoch", "http-date"])
def test_wait_until_a_time_from_a_header(form: str, tmp_path: Path) -> None:
    def limited(_: h.Received) -> h.Answer:
        reset = time.time() + 2
        value = str(int(reset)) if form == "epoch" else email.utils.formatdate(reset, usegmt=True)
        return h.Answer(429, {}, headers={"X-Reset": value})

    handler = _handler(backoff_strategies=[{"type": "wait_until_time_from_header", "header": "X-Reset",
                                            "min_wait": 0.5}])
    with h.CannedApi() as api:
        api.routes["/items"] = _sequence(limited(None), h.Answer(200, ROWS))  # type: ignore[arg-type]
        run = _run(tmp_path, api, h.resource(), client_handler=handler).succeeded()

    [wait] = _waits(run)
    assert 0.5 <= wait <= 3.0
    assert run.records("items") == ROWS["data"]


def test_exponential_backoff_with_a_factor(tmp_path: Path) -> None:
    handler = _handler(backoff_strategies=[{"type": "exponential", "factor": 0.1}], max_retries=3)
    with h.CannedApi() as api:
        api.routes["/items"] = _sequence(h.Answer(500), h.Answer(500), h.Answer(500), h.Answer(200, ROWS))
        run = _run(tmp_path, api, h.resource(endpoint={"error_handler": handler})).succeeded()

    assert _waits(run) == [0.1, 0.2, 0.4]


@pytest.mark.parametrize(("strategy", "header", "bound"), [
    ({"type": "wait_time_from_header", "header": "X-Wait", "max_waiting_time_in_seconds": 1}, "5", "1 s"),
    ({"type": "wait_time_from_header", "header": "X-Wait"}, "86400", "300 s"),
])
def test_a_header_wait_past_the_cap_stops_in_one_line(strategy: dict[str, t.Any], header: str, bound: str,
                                                      tmp_path: Path) -> None:
    handler = _handler(backoff_strategies=[strategy])
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(429, {}, headers={"X-Wait": header})
        run = _run(tmp_path, api, h.resource(), client_handler=handler)
        line = run.error()

    h.assert_mentions(line, f"stream items: the API asks to wait {header} s (X-Wait: {header})",
                      f"the tap waits at most {bound} here", "run it later")
    assert run.seconds < 20


def test_the_endpoint_handler_wins_over_the_client_and_defaults_apply(tmp_path: Path) -> None:
    client = _handler({"http_codes": [404], "action": "ignore"})
    defaults = {"endpoint": {"error_handler": _handler({"http_codes": [404], "action": "fail",
                                                        "error_message": "gone"})}}
    with h.CannedApi() as api:
        run = _run(tmp_path, api, h.resource(), client_handler=client, defaults=defaults)

    h.assert_mentions(run.error(), "stream items: gone (HTTP 404")


def test_the_client_handler_applies_where_the_endpoint_has_none(tmp_path: Path) -> None:
    client = _handler({"http_codes": [404], "action": "ignore"}, max_retries=0)
    with h.CannedApi() as api:
        api.routes["/zz"] = h.Answer(500)
        run = _run(tmp_path, api, h.resource(), h.resource("zz", "/zz"), client_handler=client)
        line = run.error()

    assert "stream items: ignored the response" in run.stderr
    h.assert_mentions(line, "stream zz: HTTP 500", "(gave up after 1 attempt)")


def test_dlt_response_actions_come_first(tmp_path: Path) -> None:
    handler = _handler({"http_codes": [404], "action": "fail"})
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(404, {"error": "no such thing"})
        endpoint = {"response_actions": [{"content": "no such", "action": "ignore"}], "error_handler": handler}
        run = _run(tmp_path, api, h.resource(endpoint=endpoint)).succeeded()

    assert "ignored the response" in run.stderr


@pytest.mark.parametrize(("handler", "expected"), [
    pytest.param(_handler({"http_codes": [500], "action": "explode"}),
                 "resources[0].endpoint.error_handler.response_filters[0].action: 'explode' is not allowed; use one "
                 "of: retry, fail, ignore, rate_limited, success", id="action"),
    pytest.param(_handler({"action": "retry"}), "resources[0].endpoint.error_handler.response_filters[0]: missing "
                 "required field 'http_codes'", id="no-criterion"),
    pytest.param(_handler(backoff_strategies=[{"type": "wait_time_from_header", "header": "X", "regex": "(["}]),
                 "resources[0].endpoint.error_handler.backoff_strategies[0].regex: '([' is not a valid regular "
                 "expression", id="regex"),
    pytest.param(_handler({"predicate": "{{ response.a == }}", "action": "retry"}),
                 "resources[0].endpoint.error_handler.response_filters[0].predicate: template", id="predicate"),
    pytest.param(_handler({"http_codes": [500], "action": "fail", "error_message": "{{ response.( }}"}),
                 "resources[0].endpoint.error_handler.response_filters[0].error_message: template", id="message"),
    pytest.param(_handler(max_retries=-1), "resources[0].endpoint.error_handler.max_retries: -1 is too small; "
                 "use a number of at least 0", id="negative-retries"),
    pytest.param(_handler(backoff_strategies=[{"type": "constant", "backoff_time_in_seconds": -2}]),
                 "resources[0].endpoint.error_handler.backoff_strategies[0].backoff_time_in_seconds: -2 is too small",
                 id="negative-wait"),
    pytest.param(_handler(backoff_strategies=[{"type": "linear"}]),
                 "resources[0].endpoint.error_handler.backoff_strategies[0].type: 'linear' is not allowed",
                 id="strategy-type"),
    pytest.param(_handler(backoff_strategies=[{"type": "wait_time_from_header"}]),
                 "resources[0].endpoint.error_handler.backoff_strategies[0]: missing required field 'header'",
                 id="no-header"),
])
def test_a_bad_error_handler_is_one_line_before_any_request(handler: dict[str, t.Any], expected: str,
                                                            tmp_path: Path) -> None:
    with h.CannedApi() as api:
        line = _run(tmp_path, api, h.resource(endpoint={"error_handler": handler})).error()
        assert api.received == []

    h.assert_mentions(line, expected)


def test_a_bad_client_handler_names_the_client(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        line = _run(tmp_path, api, h.resource(), client_handler=_handler(max_retries="x")).error()

    h.assert_mentions(line, "client.error_handler.max_retries: expected integer")
