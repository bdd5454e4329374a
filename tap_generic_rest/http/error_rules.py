"""Error rules and backoff (``error_handler``): which rule a response matches, and how long to wait.

A :class:`ResponseFilter` matches a response by status (``http_codes``), body text
(``error_message_contains``) and a condition over the decoded body and its headers (``predicate``):
all of those given (``match: all``, the default, as dlt's ``response_actions``) or any (``match: any``,
as Airbyte's filter). Its ``action``: ``retry``, ``fail`` (with ``error_message``), ``ignore``,
``rate_limited`` (retried after a pause every worker shares) or ``success``. The first matching rule
wins; none matching, the tap's defaults apply. A :class:`Backoff` gives a wait for one attempt (None:
the next strategy is asked); header waits past their bound, or past the run's :data:`MAX_PAUSE`, stop the
stream instead of waiting.
"""

from __future__ import annotations

import email.utils
import time
import typing as t
from dataclasses import dataclass

from tap_generic_rest.http.ratelimit import MAX_PAUSE

if t.TYPE_CHECKING:
    import re

    import requests

    from tap_generic_rest.expressions.conditions import ContextCondition
    from tap_generic_rest.expressions.templating import Template

ACTIONS = ("retry", "fail", "ignore", "rate_limited", "success")
#: a number in a wait-until header above this is UNIX milliseconds, else seconds
_EPOCH_MILLISECONDS = 100_000_000_000


class WaitTooLong(Exception):  # noqa: N818 - a signal, turned into a stream's one line
    """A header asks for a wait past its ``max_waiting_time_in_seconds`` or the run's :data:`MAX_PAUSE`."""

    def __init__(self, header: str, value: str, wait: float, bound: float) -> None:
        """What the header said and the bound it passed."""
        super().__init__(f"{header}: {value}")
        self.header, self.value, self.wait, self.bound = header, value, wait, bound


@dataclass(frozen=True)
class ResponseFilter:
    """One rule of ``response_filters`` (or one dlt ``response_actions`` entry)."""

    action: str
    http_codes: frozenset[int] = frozenset()
    contains: str | None = None
    predicate: ContextCondition | None = None
    error_message: str | Template | None = None
    match_any: bool = False

    def matches(self, response: requests.Response, variables: t.Callable[[], t.Mapping[str, t.Any]]) -> bool:
        """Whether ``response`` matches (``variables``: the predicate's, computed only when needed)."""
        checks: list[t.Callable[[], bool]] = []
        if self.http_codes:
            checks.append(lambda: response.status_code in self.http_codes)
        if self.contains is not None:
            contains = self.contains
            checks.append(lambda: contains in response.text)
        if self.predicate is not None:
            predicate = self.predicate
            checks.append(lambda: predicate(variables()))
        return any(check() for check in checks) if self.match_any else all(check() for check in checks)


@dataclass(frozen=True)
class Backoff:
    """One of ``backoff_strategies``."""

    type: str
    seconds: float = 5.0  # constant: backoff_time_in_seconds; exponential: factor
    header: str = ""
    regex: re.Pattern[str] | None = None
    max_wait: float | None = None  # wait_time_from_header: max_waiting_time_in_seconds
    min_wait: float = 0.0  # wait_until_time_from_header

    def wait(self, response: requests.Response | None, retry: int) -> float | None:
        """The wait before retry number ``retry`` (1, 2, ...), or None when this strategy has none."""
        if self.type == "constant":
            return min(self.seconds, MAX_PAUSE)
        if self.type == "exponential":
            return min(self.seconds * 2.0 ** (retry - 1), MAX_PAUSE)
        value = self._header_value(response)
        if value is None:
            return None
        if self.type == "wait_time_from_header":
            return self._bounded(value, _number(value), self.max_wait)
        moment = _moment(value)
        if moment is None:
            return None
        return self._bounded(value, max(moment - time.time(), self.min_wait), None)

    def _header_value(self, response: requests.Response | None) -> str | None:
        raw: str | None = response.headers.get(self.header) if response is not None else None
        if raw is None:
            return None
        if self.regex is None:
            return raw.strip()
        found = self.regex.search(raw)
        return (found.group(1) if found.groups() else found.group(0)) if found else None

    def _bounded(self, value: str, wait: float | None, bound: float | None) -> float | None:
        if wait is None:
            return None
        wait = max(wait, 0.0)
        for limit in (bound, MAX_PAUSE):
            if limit is not None and wait > limit:
                raise WaitTooLong(self.header, value, wait, limit)
        return wait


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _moment(value: str) -> float | None:
    """A UNIX time (seconds, or milliseconds when that large) or an HTTP date, as UNIX seconds."""
    number = _number(value)
    if number is not None:
        return number / 1000 if number > _EPOCH_MILLISECONDS else number
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() if when.tzinfo is not None else None


@dataclass(frozen=True)
class ErrorHandler:
    """An ``error_handler`` (client's or endpoint's); a key not given is None (the other's, or the default)."""

    max_retries: int | None = None
    filters: tuple[ResponseFilter, ...] | None = None
    backoff: tuple[Backoff, ...] | None = None

    def over(self, base: ErrorHandler) -> ErrorHandler:
        """This handler's keys, ``base``'s where this one gives none (the endpoint's over the client's)."""
        return ErrorHandler(
            self.max_retries if self.max_retries is not None else base.max_retries,
            self.filters if self.filters is not None else base.filters,
            self.backoff if self.backoff is not None else base.backoff,
        )

    def wait(self, response: requests.Response | None, retry: int) -> float | None:
        """The first strategy's wait that is not None (None: no strategy gives one)."""
        for strategy in self.backoff or ():
            wait = strategy.wait(response, retry)
            if wait is not None:
                return wait
        return None
