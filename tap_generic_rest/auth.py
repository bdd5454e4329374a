"""Authentication, by dlt's auth ``type`` (``client.auth``, ``endpoint.auth``).

Values are literals; a value may instead read a tap setting with a template, ``{{ config.api_key }}``
(the one way to refer to a setting). ``AUTH_TYPES`` maps dlt's type names to classes. One
authenticator per auth config serves every stream that uses it, so an OAuth token is fetched once.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import typing as t
from urllib.parse import urlsplit

import requests
from singer_sdk.authenticators import (
    APIAuthenticatorBase,
    APIKeyAuthenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    OAuthAuthenticator,
)
from typing_extensions import override

from tap_generic_rest import __version__
from tap_generic_rest.errors import REDACTOR, UserError
from tap_generic_rest.templating import Template, compile_string, referenced_keys

Config = t.Mapping[str, t.Any]

#: Seconds before expiry at which an OAuth token is renewed.
TOKEN_RENEWAL_MARGIN = 60
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class AuthError(UserError):
    """Credentials are missing or refused."""


class Auth:
    """An authentication scheme: the settings its values read and the authenticator it builds."""

    type: t.ClassVar[str]
    #: field -> whether a setting it reads must be set
    credential_fields: t.ClassVar[dict[str, bool]] = {}

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Keep the normalized auth config (a dict with ``type``)."""
        self.spec = dict(spec)

    def settings(self) -> dict[str, bool]:
        """Setting name -> required, for every setting this scheme's values read."""
        found: dict[str, bool] = {}
        for field, required in self.credential_fields.items():
            for name in sorted(referenced_keys(self.spec.get(field), "config")):
                found[name] = found.get(name, False) or required
        return found

    def value(self, config: Config, field: str, default: str = "") -> str:
        """A field's value: its literal, or its template rendered over the settings."""
        raw = self.spec.get(field, default)
        compiled = compile_string(raw) if isinstance(raw, str) else raw
        rendered = compiled.render({"config": config}) if isinstance(compiled, Template) else compiled
        return "" if rendered is None else str(rendered)

    def missing(self, config: Config) -> list[str]:
        """The required settings this scheme reads that ``config`` does not set (or sets empty)."""
        return [name for name, required in self.settings().items() if required and not config.get(name)]

    def secrets(self, config: Config) -> list[str]:
        """The values to mask in logs."""
        return [self.value(config, field) for field in self.credential_fields]

    def build(self, config: Config) -> APIAuthenticatorBase:
        """The SDK authenticator for ``config``."""
        return APIAuthenticatorBase()


class NoAuth(Auth):
    """No credentials."""

    type = "none"


class Bearer(Auth):
    """``Authorization: Bearer <token>``."""

    type = "bearer"
    credential_fields: t.ClassVar[dict[str, bool]] = {"token": True}

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        return BearerTokenAuthenticator(token=self.value(config, "token"))


class Basic(Auth):
    """HTTP Basic; either value may be empty."""

    type = "http_basic"
    credential_fields: t.ClassVar[dict[str, bool]] = {"username": True, "password": False}

    @override
    def secrets(self, config: Config) -> list[str]:
        pair = f"{self.value(config, 'username')}:{self.value(config, 'password')}"
        return [*super().secrets(config), base64.b64encode(pair.encode()).decode()]

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        return BasicAuthenticator(
            username=self.value(config, "username"), password=self.value(config, "password")
        )


class ApiKey(Auth):
    """A key in a header or a query parameter (``name``, ``location``)."""

    type = "api_key"
    credential_fields: t.ClassVar[dict[str, bool]] = {"api_key": True}

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        location = self.spec.get("location", "header")
        return APIKeyAuthenticator(
            key=self.value(config, "name", "Authorization"),
            value=self.value(config, "api_key"),
            location="header" if location == "header" else "params",
        )


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
        self._token_session = requests.Session()
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
            except requests.RequestException as exc:
                if attempt == attempts - 1:
                    msg = f"OAuth token request to {REDACTOR.url(url)} failed: {type(exc).__name__}"
                    raise AuthError(msg) from None
            else:
                if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                    return response
            time.sleep(min(2**attempt, 8))
        raise AssertionError  # pragma: no cover - the loop always returns or raises


class RedirectRefusedError(AuthError):
    """The API redirected a request to another scheme, host or port."""


class SameHostSession(requests.Session):
    """A session that follows redirects only on the same scheme, host and port.

    requests drops ``Authorization`` on a cross-host redirect but keeps other credential headers
    (an API key header) and query parameters; refusing such redirects keeps every credential home.
    """

    @override
    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        old, new = urlsplit(str(response.request.url)), urlsplit(str(prepared_request.url))
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            msg = (
                f"the API redirected {REDACTOR.url(str(response.request.url))} to "
                f"{REDACTOR.url(str(prepared_request.url))}, another scheme or host; refusing to send "
                "credentials there (set base_url to the final address)"
            )
            raise RedirectRefusedError(msg)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


def _oauth_error_code(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return ""


class ClientCredentials(Auth):
    """OAuth2 client credentials against ``access_token_url`` (the ``token_url`` setting overrides it)."""

    type = "oauth2_client_credentials"
    credential_fields: t.ClassVar[dict[str, bool]] = {
        "client_id": True, "client_secret": True, "access_token_url": False,
    }

    @override
    def secrets(self, config: Config) -> list[str]:
        return [self.value(config, "client_id"), self.value(config, "client_secret")]

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        return ClientCredentialsAuthenticator(
            token_url=str(config.get("token_url") or self.value(config, "access_token_url")),
            client_id=self.value(config, "client_id"),
            client_secret=self.value(config, "client_secret"),
            user_agent=str(config.get("user_agent") or f"tap-generic-rest/{__version__}"),
            request_data=self.spec.get("access_token_request_data"),
            default_expiration=int(self.spec.get("default_token_expiration", 3600)),
        )


AUTH_TYPES: dict[str, type[Auth]] = {
    cls.type: cls for cls in (Bearer, Basic, ApiKey, ClientCredentials)
}


def build_auth(spec: t.Mapping[str, t.Any] | None) -> Auth:
    """The auth scheme of a normalized auth config (none when there is none)."""
    if not spec:
        return NoAuth({})
    return AUTH_TYPES[spec["type"]](spec)
