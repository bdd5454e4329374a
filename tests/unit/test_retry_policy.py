"""RetryPolicy without an SDK stream: which statuses retry, waits, token renewal, the gate, final lines."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_generic_rest.errors import StreamError
from tap_generic_rest.http.failures import ParentGone, ResponseIgnored, TokenRejectedError
from tap_generic_rest.streams.response_rules import RateLimitedError
from tap_generic_rest.streams.retry_policy import RetryPolicy
from tap_generic_rest.streams.scope import Scope

if t.TYPE_CHECKING:
    from tap_generic_rest.description.load import Description

Describe = t.Callable[..., "Description"]
APPS = {"name": "apps", "primary_key": "id", "endpoint": {"path": "apps"}}
KIDS = {"name": "kids", "primary_key": "id", "endpoint": {"path": "apps/{resources.apps.id}/kids"}}
URL = "https://api.test/apps"


class Gate:
    def __init__(self) -> None:
        self.waits = 0
        self.observed: list[int] = []
        self.paused: list[float] = []

    def wait(self) -> None:
        self.waits += 1

    def observe(self, response: requests.Response) -> None:
        self.observed.append(response.status_code)

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


class Authenticator:
    def __init__(self, *, renews: bool) -> None:
        self.renews_tokens = renews
        self.renewed: list[requests.PreparedRequest] = []

    def renew(self, rejected: requests.PreparedRequest) -> None:
        self.renewed.append(rejected)


class Runtime:
    def __init__(self, *, renews: bool = False) -> None:
        self.gate = Gate()
        self.authenticator = Authenticator(renews=renews)


def response(status: int, body: object = None, headers: dict[str, str] | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.url = URL
    answer._content = json.dumps(body if body is not None else {}).encode()
    answer.headers.update(headers or {})
    answer.request = requests.Request("GET", URL).prepare()
    return answer


def policy(description: Description, name: str = "apps", config: dict[str, t.Any] | None = None,
           runtime: Runtime | None = None) -> RetryPolicy:
    scope = Scope(name, description.resource(name), description, config or {}, t.cast("t.Any", runtime or Runtime()))
    return RetryPolicy(scope, logging.getLogger("test"))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_these_statuses_retry(status: int, describe: Describe) -> None:
    with pytest.raises(RetriableAPIError):
        policy(describe(APPS)).validate(response(status))


def test_other_errors_fail_in_one_line_and_the_gate_sees_every_response(describe: Describe) -> None:
    runtime = Runtime()
    retries = policy(describe(APPS), runtime=runtime)
    retries.validate(response(200))
    with pytest.raises(StreamError, match=r"^stream apps: HTTP 400 Bad Request from GET https://api.test/apps: "):
        retries.validate(response(400))
    assert runtime.gate.observed == [200, 400]


def test_a_404_of_a_child_is_a_parent_gone(describe: Describe) -> None:
    description = describe(APPS, KIDS)
    with pytest.raises(ParentGone):
        policy(description, "kids").validate(response(404))
    with pytest.raises(StreamError):
        policy(description, "apps").validate(response(404))


def test_invalid_token_is_renewed_only_when_the_auth_can(describe: Describe) -> None:
    rejected = response(401, {"error": "invalid_token"})
    with pytest.raises(TokenRejectedError):
        policy(describe(APPS), runtime=Runtime(renews=True)).validate(rejected)
    with pytest.raises(StreamError) as caught:
        policy(describe(APPS)).validate(rejected)
    assert not isinstance(caught.value, TokenRejectedError)


def test_response_actions_ignore_a_response(describe: Describe) -> None:
    endpoint = {"path": "apps", "response_actions": [{"status_code": 404, "action": "ignore"}]}
    with pytest.raises(ResponseIgnored, match=r"ignored the response from https://api\.test/apps"):
        policy(describe({**APPS, "endpoint": endpoint})).validate(response(404))


def test_waits_are_exponential_unless_retry_after_says(describe: Describe) -> None:
    class FailureError(Exception):
        def __init__(self, retry_after: str | None) -> None:
            self.response = response(429, headers={"Retry-After": retry_after} if retry_after else {})

    waits = policy(describe(APPS), config={"backoff_factor": 0.5}).wait_generator()
    assert next(waits) == 0.0
    assert [waits.send(FailureError(header)) for header in (None, " 3 ", None, "soon")] == [0.5, 3.0, 2.0, 4.0]


def test_decorated_requests_retry_through_the_gate_then_give_up_in_one_line(describe: Describe) -> None:
    runtime = Runtime()
    retries = policy(describe(APPS), config={"max_retries": 2, "backoff_factor": 0}, runtime=runtime)
    calls: list[int] = []

    def send(prepared: requests.PreparedRequest, context: t.Any) -> requests.Response:
        calls.append(1)
        raise RetriableAPIError("stream apps: HTTP 503", response(503))

    with pytest.raises(StreamError, match=r"^stream apps: HTTP 503 \(gave up after 3 attempts\)$"):
        retries.decorate(send)(requests.Request("GET", URL).prepare(), None)
    assert (len(calls), runtime.gate.waits, retries.max_tries()) == (3, 3, 3)


def test_a_rejected_token_is_renewed_once(describe: Describe) -> None:
    runtime = Runtime(renews=True)
    retries = policy(describe(APPS), runtime=runtime)

    def send(prepared: requests.PreparedRequest, context: t.Any) -> requests.Response:
        raise TokenRejectedError("stream apps: HTTP 401")

    prepared = requests.Request("GET", URL).prepare()
    with pytest.raises(StreamError, match=r"^stream apps: HTTP 401 \(also with a renewed token\)$"):
        retries.decorate(send)(prepared, None)
    assert runtime.authenticator.renewed == [prepared]


def test_a_network_error_names_the_request_and_the_fix(describe: Describe) -> None:
    def send(prepared: requests.PreparedRequest, context: t.Any) -> requests.Response:
        raise requests.ConnectionError("refused")

    retries = policy(describe(APPS), config={"max_retries": 0})
    with pytest.raises(StreamError) as caught:
        retries.decorate(send)(requests.Request("GET", URL).prepare(), None)
    assert str(caught.value) == (
        "stream apps: could not connect (connection refused or reset) for GET https://api.test/apps "
        "(gave up after 1 attempt); check base_url, the network, or raise request_timeout"
    )


def test_a_rate_limited_rule_pauses_every_worker_and_a_retry_rule_does_not(describe: Describe) -> None:
    handler = {"response_filters": [{"predicate": "{{ response.error.code == 'RATE' }}", "action": "rate_limited"},
                                    {"predicate": "{{ headers['X-Busy'] == '1' }}", "action": "retry"}],
               "backoff_strategies": [{"type": "exponential", "factor": 1.5}], "max_retries": 7}
    runtime = Runtime()
    retries = policy(describe({**APPS, "endpoint": {"path": "apps", "error_handler": handler}}), runtime=runtime)
    retries.validate(response(200, {"data": []}))  # no rule matches: a success
    with pytest.raises(RateLimitedError) as limited:
        retries.validate(response(200, {"error": {"code": "RATE"}}))
    with pytest.raises(RetriableAPIError) as busy:
        retries.validate(response(200, {}, headers={"X-Busy": "1"}))
    assert not isinstance(busy.value, RateLimitedError)
    waits = retries.wait_generator()
    next(waits)
    assert [waits.send(limited.value), waits.send(busy.value), waits.send(limited.value)] == [1.5, 3.0, 6.0]
    assert runtime.gate.paused == [1.5, 6.0]
    assert retries.max_tries() == 8


def test_without_an_error_handler_the_settings_decide(describe: Describe) -> None:
    retries = policy(describe(APPS), config={"max_retries": 5, "backoff_factor": 200})
    waits = retries.wait_generator()
    next(waits)
    assert (retries.max_tries(), waits.send(RetriableAPIError("x", response(500)))) == (6, 200.0)
    assert waits.send(RetriableAPIError("x", response(500))) == 300.0  # capped


@pytest.mark.parametrize(("match", "expected"), [("all", False), ("any", True)])
def test_a_rule_matches_every_criterion_or_any(match: str, expected: bool, describe: Describe) -> None:
    handler = {"response_filters": [{"http_codes": [403], "error_message_contains": "quota", "match": match,
                                     "action": "ignore"}]}
    retries = policy(describe({**APPS, "endpoint": {"path": "apps", "error_handler": handler}}))
    with pytest.raises(ResponseIgnored):
        retries.validate(response(403, {"error": "quota"}))
    if expected:
        with pytest.raises(ResponseIgnored):
            retries.validate(response(403, {"error": "forbidden"}))
    else:
        with pytest.raises(StreamError):
            retries.validate(response(403, {"error": "forbidden"}))
