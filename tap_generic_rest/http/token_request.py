"""The auth's own requests (a token, a login): the same-host session with the data requests' ``Accept`` and
``User-Agent``, TLS verification on, retries of 429/5xx and network errors honouring ``Retry-After`` (capped),
and one line when they fail."""

from __future__ import annotations

import logging
import time
import typing as t

import requests

from tap_generic_rest.errors import REDACTOR, AuthError
from tap_generic_rest.http.ratelimit import MAX_PAUSE, retry_after_seconds
from tap_generic_rest.http.session import RedirectRefusedError, SameHostSession

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: attempts of one token or login request
ATTEMPTS = 4
#: seconds one attempt may take
TIMEOUT = 60
LOGGER = logging.getLogger("tap-generic-rest")


def auth_session(user_agent: str) -> SameHostSession:
    """A session for the auth's requests: redirects only on the same host (a secret never goes elsewhere)."""
    session = SameHostSession()
    session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
    return session


def send_with_retries(
    session: requests.Session, what: str, method: str, url: str, **kwargs: t.Any
) -> requests.Response:
    """The response of ``method url`` (``what`` names the request in messages), retried like data requests."""
    for attempt in range(ATTEMPTS):
        last = attempt == ATTEMPTS - 1
        try:
            response = session.request(method, url, timeout=TIMEOUT, **kwargs)
        except RedirectRefusedError as exc:
            raise AuthError(f"{what}: {exc}") from None
        except requests.RequestException as exc:
            if last:
                raise AuthError(f"{what} to {REDACTOR.url(url)} failed: {type(exc).__name__}") from None
            wait, why = _backoff(attempt), type(exc).__name__
        else:
            if response.status_code not in RETRY_STATUSES or last:
                return response
            wait, why = _wait(response, what, url, attempt), f"HTTP {response.status_code}"
        LOGGER.warning("%s to %s: retrying in %.1f s (attempt %d failed: %s)", what, REDACTOR.url(url), wait,
                       attempt + 1, why)
        time.sleep(wait)
    raise AssertionError  # pragma: no cover - the loop always returns or raises


def _backoff(attempt: int) -> float:
    return float(min(2**attempt, 8))


def _wait(response: requests.Response, what: str, url: str, attempt: int) -> float:
    """``Retry-After`` when the response gives it (beyond :data:`MAX_PAUSE`: one line), else the backoff."""
    wait = retry_after_seconds(response.headers)
    if wait is None:
        return _backoff(attempt)
    if wait > MAX_PAUSE:
        msg = (f"{what} to {REDACTOR.url(url)}: the server asks to wait {wait:.0f} s (HTTP {response.status_code}, "
               f"Retry-After); the tap waits at most {MAX_PAUSE:.0f} s, so it stops: run it later")
        raise AuthError(msg)
    return wait
