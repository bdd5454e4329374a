"""Authentication, by dlt's auth ``type`` (``client.auth``, ``endpoint.auth``).

Values are literals; a value may instead read a tap setting with a template, ``{{ config.api_key }}``
(the one way to refer to a setting). ``AUTH_TYPES`` maps dlt's type names to classes. One
authenticator per auth config serves every stream that uses it, so an OAuth token is fetched once
(the token client: ``oauth``; the session's redirect policy: ``redirects``).
"""

from __future__ import annotations

import base64
import typing as t

from singer_sdk.authenticators import (
    APIAuthenticatorBase,
    APIKeyAuthenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
)
from typing_extensions import override

from tap_generic_rest import __version__
from tap_generic_rest.errors import AuthError
from tap_generic_rest.http.oauth import ClientCredentialsAuthenticator, TokenEndpoint
from tap_generic_rest.http.scheme import FILLED, Auth, Config, NoAuth
from tap_generic_rest.http.session import RedirectRefusedError, SameHostSession
from tap_generic_rest.http.token_auths import TOKEN_AUTHS

__all__ = ["AUTH_TYPES", "FILLED", "Auth", "AuthError", "ClientCredentialsAuthenticator", "RedirectRefusedError",
           "SameHostSession", "build_auth"]


class Bearer(Auth):
    """``Authorization: Bearer <token>``."""

    type = "bearer"
    credential_fields: t.ClassVar[dict[str, bool]] = {"token": True}

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        return BearerTokenAuthenticator(token=self.value(config, "token"))


class Basic(Auth):
    """HTTP Basic; a password the description writes out may be empty (one left out reads a required setting)."""

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


class ClientCredentials(Auth):
    """OAuth2 client credentials against ``access_token_url`` (the ``token_url`` setting overrides it)."""

    type = "oauth2_client_credentials"
    credential_fields: t.ClassVar[dict[str, bool]] = {
        "client_id": True, "client_secret": True, "access_token_url": False, "access_token": False,
    }

    @override
    def build(self, config: Config) -> APIAuthenticatorBase:
        return ClientCredentialsAuthenticator(TokenEndpoint(
            url=str(config.get("token_url") or self.value(config, "access_token_url")),
            user_agent=str(config.get("user_agent") or f"tap-generic-rest/{__version__}"),
            client_id=self.value(config, "client_id"),
            client_secret=self.value(config, "client_secret"),
            extra_body=dict(self.spec.get("access_token_request_data") or {}),
            default_expiration=int(self.spec.get("default_token_expiration", 3600)),
        ))


DLT_AUTHS: tuple[type[Auth], ...] = (Bearer, Basic, ApiKey, ClientCredentials)
AUTH_TYPES: dict[str, type[Auth]] = {cls.type: cls for cls in (*DLT_AUTHS, *TOKEN_AUTHS)}


#: every auth field whose value is masked in messages (dlt masks them too: ``s*****t``)
SECRET_FIELDS = frozenset(field for cls in AUTH_TYPES.values() for field in cls.secret_fields())


def build_auth(spec: t.Mapping[str, t.Any] | None) -> Auth:
    """The auth scheme of a normalized auth config (none when there is none)."""
    if not spec:
        return NoAuth({})
    return AUTH_TYPES[spec["type"]](spec)
