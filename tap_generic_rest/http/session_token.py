"""A session token from a login request: the login (method, URL on the API's host, body and headers with the
settings rendered in), the token read from the response (a dotted path into its JSON, or a header), sent on every
request (``Injection``), logged in again when ``expiration_duration`` has passed or the API answers 401 (once)."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, AuthError
from tap_generic_rest.http.failures import reason
from tap_generic_rest.http.renewing import BEARER, Injection, RenewingAuthenticator, value_at
from tap_generic_rest.http.token_request import auth_session, send_with_retries

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_UNITS = (7 * 86400, 86400, 3600, 60, 1)


def duration_seconds(text: str) -> float:
    """An ISO 8601 duration (weeks, days, hours, minutes, seconds: ``PT1H``, ``P1DT12H``) in seconds."""
    match = _DURATION.match(text)
    if match is None or text in {"P", "PT"} or text.endswith("T"):
        msg = f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds; use e.g. PT1H"
        raise ValueError(msg)
    return sum(float(value) * unit for value, unit in zip(match.groups(), _UNITS, strict=True) if value)


@dataclass(frozen=True)
class Login:
    """The login request and where its response holds the session token."""

    method: str
    url: str
    user_agent: str
    json: t.Any = None
    data: t.Any = None
    headers: t.Mapping[str, str] = field(default_factory=dict)
    token_path: str | None = None
    token_header: str | None = None
    settings: tuple[str, ...] = ()


class SessionTokenAuthenticator(RenewingAuthenticator):
    """Logs in before the first request and whenever the session expired or was refused."""

    def __init__(self, login: Login, expiration: float | None, injection: Injection = BEARER) -> None:
        """Keep the login and the session's lifetime (None: until the API refuses it)."""
        super().__init__(injection)
        self.login = login
        self.expiration = expiration
        self._session = auth_session(login.user_agent)

    @override
    def obtain(self) -> tuple[str, float | None]:
        login = self.login
        response = send_with_retries(self._session, "login request", login.method, login.url, json=login.json,
                                     data=login.data, headers=dict(login.headers))
        where = f"{login.method} {REDACTOR.url(login.url)}"
        if not response.ok:
            checks = f"check the settings it sends ({', '.join(login.settings)})" if login.settings else \
                "check the login request's body"
            raise AuthError(f"login request {where} failed: HTTP {response.status_code} {reason(response)}; {checks}")
        token = self._token(response)
        if not token:
            place = f"header {login.token_header}" if login.token_header else f"session_token_path {login.token_path!r}"
            raise AuthError(f"login response from {where} has no session token at {place}; check the auth's "
                            f"{'session_token_header' if login.token_header else 'session_token_path'}")
        REDACTOR.add(token)
        return token, self.expiration

    def _token(self, response: t.Any) -> str:
        if self.login.token_header:
            return str(response.headers.get(self.login.token_header) or "")
        try:
            document = response.json()
        except ValueError:
            return ""
        value = value_at(document, str(self.login.token_path))
        return str(value) if isinstance(value, (str, int)) and value != "" else ""
