"""Responses and retries: which statuses retry, backoff (honouring ``Retry-After``), token renewal,
and the run's rate-limit gate before each attempt."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_generic_rest.errors import REDACTOR, StreamError
from tap_generic_rest.http.auth import RedirectRefusedError
from tap_generic_rest.http.body import ResponseTooLargeError
from tap_generic_rest.http.failures import (
    ParentGone,
    ResponseIgnored,
    TokenRejectedError,
    describe_failure,
    error_code,
    reason,
)
from tap_generic_rest.http.ratelimit import MAX_PAUSE, retry_after_seconds
from tap_generic_rest.run.progress import plural

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Generator

    from singer_sdk.helpers.types import Context, RequestFunc

    from tap_generic_rest.streams.scope import Scope

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRIABLE_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class RetryPolicy:
    """Retries 429/5xx and network errors; every final failure is one :class:`StreamError` line."""

    def __init__(self, scope: Scope, logger: logging.Logger) -> None:
        """The policy of the requests of the scope's resource."""
        self._scope = scope
        self._logger = logger

    def validate(self, response: requests.Response) -> None:
        """Raise what ``response`` means: ignored, retriable, a rejected token, a parent gone, or a failure."""
        self._scope.runtime.gate.observe(response)
        status = response.status_code
        for rule in self._scope.resource.endpoint.response_actions:
            if rule.get("status_code", status) != status:
                continue
            if "content" not in rule or rule["content"] in response.text:  # a streamed body stays unread
                msg = (f"stream {self._scope.name}: ignored the response from {REDACTOR.url(response.url)} "
                       f"(HTTP {status})")
                raise ResponseIgnored(msg)
        if status < HTTPStatus.BAD_REQUEST:
            return
        if status in RETRY_STATUSES:
            raise RetriableAPIError(self._describe(response), response)
        if (status == HTTPStatus.UNAUTHORIZED and error_code(response) == "invalid_token"
                and self._scope.runtime.authenticator.renews_tokens):
            raise TokenRejectedError(self._describe(response))
        if status == HTTPStatus.NOT_FOUND and self._scope.resource.parent is not None:
            raise ParentGone(self._describe(response))
        raise StreamError(self._describe(response))

    def _describe(self, response: requests.Response) -> str:
        return describe_failure(self._scope.name, self._scope.description.auth.settings(), response)

    def wait_generator(self) -> Generator[float, t.Any, None]:
        """Waits between attempts: ``Retry-After`` when given, else exponential from ``backoff_factor``."""
        factor = float(self._scope.config.get("backoff_factor", 2))
        retry = 0
        exception = yield 0.0  # primed by backoff; the first real wait follows the first failure
        while True:
            retry += 1
            wait = self._retry_after(exception)
            exception = yield wait if wait is not None else factor * 2 ** (retry - 1)

    def _retry_after(self, exception: object) -> float | None:
        """The response's ``Retry-After`` (s); past :data:`MAX_PAUSE` the stream fails in one line."""
        response = getattr(exception, "response", None)
        if response is None:
            return None
        wait = retry_after_seconds(response.headers)
        if wait is not None and wait > MAX_PAUSE:
            msg = (f"stream {self._scope.name}: the API asks to wait {wait:.0f} s (Retry-After: "
                   f"{response.headers.get('Retry-After')}) before retrying {response.request.method} "
                   f"{REDACTOR.url(response.url)}; the tap waits at most {MAX_PAUSE:.0f} s, so it stops: run it later")
            raise StreamError(msg)
        return wait

    def max_tries(self) -> int:
        """Attempts per request: ``max_retries`` + 1."""
        return int(self._scope.config.get("max_retries", 3)) + 1

    def on_backoff(self, details: t.Any) -> None:
        """Log one retry (the URL redacted)."""
        exception = details.get("exception")
        self._logger.warning(
            "Retrying %s in %.1f s (attempt %d failed: %s)",
            REDACTOR.url(str(details["args"][0].url)) if details.get("args") else self._scope.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            _short(exception),
        )

    def decorate(self, func: RequestFunc) -> RequestFunc:
        """``func`` with retries, the rate-limit gate, one token renewal, and one-line final failures."""
        attempts = self.max_tries()
        decorated = backoff.on_exception(
            self.wait_generator,
            RETRIABLE_ERRORS,
            max_tries=attempts,
            on_backoff=self.on_backoff,
            jitter=lambda value: value,
            logger=None,  # our handler logs retries with redacted URLs; the final error says the rest
        )(self._gated(func))

        def request(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            try:
                return attempt(prepared, context)
            except TokenRejectedError:
                self._logger.info("The access token was rejected (invalid_token); renewing it and retrying once")
                self._scope.runtime.authenticator.renew(prepared)
                try:
                    return attempt(prepared.copy(), context)
                except TokenRejectedError as exc:
                    raise StreamError(f"{exc} (also with a renewed token)") from None

        def attempt(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            try:
                return decorated(prepared, context)
            except RetriableAPIError as exc:
                msg = f"{exc} (gave up after {plural(attempts, 'attempt')})"
                raise StreamError(msg) from None
            except (RedirectRefusedError, ResponseTooLargeError) as exc:
                raise StreamError(f"stream {self._scope.name}: {exc}") from None
            except (requests.RequestException, ConnectionError) as exc:
                msg = (
                    f"stream {self._scope.name}: {_short(exc)} for {prepared.method} "
                    f"{REDACTOR.url(str(prepared.url))} (gave up after {plural(attempts, 'attempt')}); "
                    "check base_url, the network, or raise request_timeout"
                )
                raise StreamError(msg) from None

        return request

    def _gated(self, func: RequestFunc) -> RequestFunc:
        """Each attempt waits at the run's rate-limit gate first."""

        def gated(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            self._scope.runtime.gate.wait()
            return func(prepared, context)

        return gated


def _short(exception: object) -> str:
    if isinstance(exception, RetriableAPIError) and exception.response is not None:
        return f"HTTP {exception.response.status_code} {reason(exception.response)}"
    if isinstance(exception, requests.Timeout):
        return "timed out"
    if isinstance(exception, (requests.ConnectionError, ConnectionError)):
        return "could not connect (connection refused or reset)"
    return type(exception).__name__
