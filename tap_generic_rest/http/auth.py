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
from tap_generic_rest.expressions.templating import Template, compile_string, referenced_keys
from tap_generic_rest.http.oauth import ClientCredentialsAuthenticator
from tap_generic_rest.http.session import RedirectRefusedError, SameHostSession
from tap_generic_rest.settings import CREDENTIALS, credential_setting

__all__ = ["AUTH_TYPES", "Auth", "AuthError", "ClientCredentialsAuthenticator", "RedirectRefusedError",
           "SameHostSession", "build_auth"]

Config = t.Mapping[str, t.Any]
#: The normalized auth's list of the credential fields the description left out (each reads its setting,
#: which is then required, as dlt requires the secret it reads: an optional field written out may stay empty).
FILLED = "__filled__"


class Auth:
    """An authentication scheme: the settings its values read and the authenticator it builds."""

    type: t.ClassVar[str]
    #: field -> whether a setting it reads must be set (a field left out reads the setting that holds it,
    #: ``settings.CREDENTIALS``)
    credential_fields: t.ClassVar[dict[str, bool]] = {}

    @classmethod
    def secret_fields(cls) -> list[str]:
        """The credential fields whose values are masked: those a secret setting holds, or no setting does."""
        settings = {field: credential_setting(cls.type, field) for field in cls.credential_fields}
        return [field for field, setting in settings.items() if setting is None or CREDENTIALS[setting].secret]

    def __init__(self, spec: t.Mapping[str, t.Any]) -> None:
        """Keep the normalized auth config (a dict with ``type``)."""
        self.spec = dict(spec)

    def settings(self) -> dict[str, bool]:
        """Setting name -> required, for every setting this scheme's values read."""
        found: dict[str, bool] = {}
        for field, always in self.credential_fields.items():
            required = always or field in self.spec.get(FILLED, ())
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
        return [self.value(config, field) for field in self.secret_fields()]

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


#: every auth field whose value is masked in messages (dlt masks them too: ``s*****t``)
SECRET_FIELDS = frozenset(field for cls in AUTH_TYPES.values() for field in cls.secret_fields())


def build_auth(spec: t.Mapping[str, t.Any] | None) -> Auth:
    """The auth scheme of a normalized auth config (none when there is none)."""
    if not spec:
        return NoAuth({})
    return AUTH_TYPES[spec["type"]](spec)
