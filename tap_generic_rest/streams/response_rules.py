"""The error rules of one stream's requests: dlt's ``response_actions`` and its ``error_handler`` (the
endpoint's keys over the client's), applied to every response before the default checks.

The first rule that matches decides (``http/error_rules.py``): ``success`` accepts the response,
``ignore`` ends the partition with a log line, ``fail`` ends the stream with one line (the rendered
``error_message``, secrets masked), ``retry`` retries it, ``rate_limited`` retries it after a pause every
worker of the run shares. The waits come from the ``backoff_strategies``, the first that gives one.
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import RetriableAPIError

from tap_generic_rest.errors import REDACTOR, StreamError
from tap_generic_rest.expressions.templating import Template, TemplateError
from tap_generic_rest.http.error_rules import WaitTooLong
from tap_generic_rest.http.failures import ResponseIgnored, describe_failure
from tap_generic_rest.http.responses import MalformedResponseError, response_json

if t.TYPE_CHECKING:
    import requests

    from tap_generic_rest.http.error_rules import ErrorHandler, ResponseFilter
    from tap_generic_rest.streams.scope import Scope


class RateLimitedError(RetriableAPIError):
    """A ``rate_limited`` rule matched: retried after a wait every worker shares."""


class ResponseRules:
    """One stream's error rules and backoff strategies."""

    def __init__(self, scope: Scope) -> None:
        """The rules of the scope's resource (its endpoint's, over the client's)."""
        self._scope = scope
        endpoint = scope.resource.endpoint
        self.handler: ErrorHandler = endpoint.error_handler.over(scope.description.error_handler)
        self._rules = (*endpoint.action_rules, *(self.handler.filters or ()))
        self._fix = f"fix the error_handler of {scope.resource.where} (or of the client) in {scope.description.origin}"

    def apply(self, response: requests.Response) -> bool:
        """Act on the first rule ``response`` matches: True when it is accepted as a success, False when no
        rule matches (the default checks follow); other actions raise."""
        if not self._rules:
            return False
        variables = _Variables(response, self._scope.config)
        try:
            rule = next((rule for rule in self._rules if rule.matches(response, variables)), None)
        except TemplateError as exc:
            raise StreamError(f"stream {self._scope.name}: {exc}; {self._fix}") from None
        if rule is None:
            return False
        if rule.action == "success":
            return True
        message = self._message(rule, response, variables)
        if rule.action == "ignore":
            raise ResponseIgnored(message)
        if rule.action == "retry":
            raise RetriableAPIError(message, response)
        if rule.action == "rate_limited":
            raise RateLimitedError(message, response)
        raise StreamError(message)

    def _message(self, rule: ResponseFilter, response: requests.Response, variables: _Variables) -> str:
        where = f"HTTP {response.status_code} from {response.request.method} {REDACTOR.url(response.url)}"
        if rule.error_message is None:
            if rule.action == "ignore":
                return (f"stream {self._scope.name}: ignored the response from {REDACTOR.url(response.url)} "
                        f"(HTTP {response.status_code})")
            return describe_failure(self._scope.name, self._scope.description.auth.settings(), response)
        text = rule.error_message
        if isinstance(text, Template):
            try:
                rendered = text.render(variables())
            except TemplateError as exc:
                raise StreamError(f"stream {self._scope.name}: {exc}; {self._fix}") from None
            text = "" if rendered is None else str(rendered)
        return REDACTOR.text(f"stream {self._scope.name}: {' '.join(text.split())} ({where})")

    def wait(self, exception: object, retry: int) -> float | None:
        """The backoff strategies' wait before retry ``retry`` (None: none gives one); a header asking for
        more than the tap waits ends the stream in one line."""
        response = getattr(exception, "response", None)
        try:
            return self.handler.wait(response, retry)
        except WaitTooLong as exc:
            request = f"{response.request.method} {REDACTOR.url(response.url)}" if response is not None else ""
            msg = (f"stream {self._scope.name}: the API asks to wait {exc.wait:.0f} s ({exc}) before retrying "
                   f"{request}; the tap waits at most {exc.bound:.0f} s here (max_waiting_time_in_seconds, at most "
                   "300 s), so it stops: run it later")
            raise StreamError(msg) from None


class _Variables:
    """The variables of a rule's predicate and message, computed once per response when first needed."""

    def __init__(self, response: requests.Response, config: t.Mapping[str, t.Any]) -> None:
        self._response = response
        self._config = config
        self._values: dict[str, t.Any] | None = None

    def __call__(self) -> dict[str, t.Any]:
        if self._values is None:
            try:
                document: object = response_json(self._response)
            except MalformedResponseError:
                document = self._response.text  # an HTML error page: its text
            self._values = {"response": document, "headers": self._response.headers, "config": self._config}
        return self._values
