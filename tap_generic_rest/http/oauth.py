"""OAuth2 client credentials: one token per run, fetched with retries, renewed before it expires.

The token request follows redirects only on the same host (``SameHostSession``), like data requests,
and carries the data requests' ``Accept`` and ``User-Agent``; a refused request ends
the run with one line naming the settings to check (``AuthError``); the token joins the redactor.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, AuthError
from tap_generic_rest.http.session import RedirectRefusedError, SameHostSession

#: Seconds before expiry at which an OAuth token is renewed.
TOKEN_RENEWAL_MARGIN = 60
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ClientCredentialsAuthenticator(OAuthAuthenticator):
    """OAuth2 client credentials: one token reused until 60 s before expiry, renewable on demand."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        user_agent: str,
        request_data: t.Mapping[str, t.Any] | None = None,
        default_expiration: int | None = None,
    ) -> None:
        """Keep the token endpoint, credentials, extra body fields and default lifetime; token requests
        carry the data requests' headers."""
        super().__init__(
            auth_endpoint=token_url, client_id=client_id, client_secret=client_secret
        )
        self._token_session = SameHostSession()  # the client secret never follows a redirect to another host
        self._token_session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self._request_data = dict(request_data or {})
        self._default_expiration = default_expiration

    @property
    @override
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            **self._request_data,
        }

    @override
    def is_token_valid(self) -> bool:
        if self.last_refreshed is None or not getattr(self, "access_token", None):
            return False
        if not self.expires_in:
            return True
        age = (dt.datetime.now(dt.UTC) - self.last_refreshed).total_seconds()
        return age < self.expires_in - TOKEN_RENEWAL_MARGIN

    def invalidate(self) -> None:
        """Forget the token, so the next request fetches a new one."""
        self.last_refreshed = None

    @override
    def update_access_token(self) -> None:
        url = self.auth_endpoint
        requested_at = dt.datetime.now(dt.UTC)
        response = self._post_with_retries(url)
        if response.status_code != 200:
            code = _oauth_error_code(response)
            hint = (
                "check the client_id and client_secret settings"
                if code == "invalid_client" or response.status_code in {401, 403}
                else "check the token_url setting"
            )
            msg = (
                f"OAuth token request to {REDACTOR.url(url)} failed: HTTP "
                f"{response.status_code} {code or response.reason}; {hint}"
            )
            raise AuthError(msg)
        try:
            token = response.json()
            self.access_token = str(token["access_token"])
        except (ValueError, KeyError, TypeError):
            msg = f"OAuth token response from {REDACTOR.url(url)} has no access_token"
            raise AuthError(msg) from None
        REDACTOR.add(self.access_token)
        expires_in = token.get("expires_in")
        self.expires_in = int(expires_in) if expires_in else self._default_expiration
        self.last_refreshed = requested_at

    def _post_with_retries(self, url: str, attempts: int = 4) -> requests.Response:
        for attempt in range(attempts):
            try:
                response = self._token_session.post(url, data=self.oauth_request_body, timeout=60)
            except RedirectRefusedError as exc:
                raise AuthError(f"OAuth token request: {exc}") from None
            except requests.RequestException as exc:
                if attempt == attempts - 1:
                    msg = f"OAuth token request to {REDACTOR.url(url)} failed: {type(exc).__name__}"
                    raise AuthError(msg) from None
            else:
                if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                    return response
            time.sleep(min(2**attempt, 8))
        raise AssertionError  # pragma: no cover - the loop always returns or raises


def _oauth_error_code(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return ""
