"""The auth types that obtain a credential at run time beyond dlt's: ``oauth2_refresh_token`` (with rotation),
``session_token`` (a login request), ``jwt`` (a signed bearer JWT) and ``oauth2_jwt_bearer`` (the JWT-bearer grant).

Every value may read settings (``{{ config.x }}``); a setting read outside the credential fields is required.
Their keys and Airbyte counterparts: docs/extensions.md, "More auth: refresh token, login, JWT".
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from typing_extensions import override

from tap_generic_rest import __version__
from tap_generic_rest.errors import AuthError
from tap_generic_rest.expressions.templating import referenced_keys
from tap_generic_rest.http.jwt_token import JwtAuthenticator, JwtSigner
from tap_generic_rest.http.oauth import JwtBearerAuthenticator, TokenEndpoint
from tap_generic_rest.http.refresh_token import RefreshTokenAuthenticator
from tap_generic_rest.http.renewing import Injection
from tap_generic_rest.http.scheme import BASE_URL, FILLED, WHERE, Auth, Config
from tap_generic_rest.http.session_token import Login, SessionTokenAuthenticator, duration_seconds
from tap_generic_rest.http.token_store import RefreshTokenStore

#: The default lifetime of a signed JWT (s), Airbyte's too.
DEFAULT_JWT_DURATION = 1200
_INTERNAL = frozenset({"type", FILLED, BASE_URL, WHERE})


class TokenAuth(Auth):
    """A type of this module: every setting its values read is required (a body field, a claim, a header)."""

    keeps_place = True

    @override
    def settings(self) -> dict[str, bool]:
        found = super().settings()
        others = {key: value for key, value in self.spec.items() if key not in _INTERNAL.union(self.credential_fields)}
        return {**found, **dict.fromkeys(sorted(referenced_keys(others, "config") - set(found)), True)}

    def user_agent(self, config: Config) -> str:
        """The data requests' User-Agent (the auth's own requests send it too)."""
        return str(config.get("user_agent") or f"tap-generic-rest/{__version__}")

    def endpoint(self, config: Config) -> TokenEndpoint:
        """The token endpoint (the ``token_url`` setting overrides ``access_token_url``; a path is joined to the
        base URL) and how to ask it."""
        scopes = self.spec.get("scopes") or ()
        expiration = self.spec.get("default_token_expiration")
        return TokenEndpoint(
            url=self.absolute(config, str(config.get("token_url") or self.value(config, "access_token_url"))),
            user_agent=self.user_agent(config),
            client_id=self.value(config, "client_id"),
            client_secret=self.value(config, "client_secret"),
            client_auth=str(self.spec.get("client_auth", "body")),
            scopes=tuple(scopes.split() if isinstance(scopes, str) else scopes),
            extra_body=self.tree(config, "refresh_request_body") or {},
            access_token_name=str(self.spec.get("access_token_name", "access_token")),
            expires_in_name=str(self.spec.get("expires_in_name", "expires_in")),
            default_expiration=float(expiration) if expiration else None,
        )

    def signer(self, config: Config) -> JwtSigner:
        """The JWT signer of ``secret_key``, ``algorithm``, ``token_duration``, ``jwt_headers``, ``jwt_payload``."""
        return JwtSigner(key=self.value(config, "secret_key"), algorithm=str(self.spec.get("algorithm", "HS256")),
                         duration=float(self.spec.get("token_duration", DEFAULT_JWT_DURATION)),
                         where=self.where("secret_key"), headers=self.tree(config, "jwt_headers"),
                         payload=self.tree(config, "jwt_payload"))


class RefreshToken(TokenAuth):
    """OAuth2 ``grant_type=refresh_token``; a rotated refresh token is kept in ``refresh_token_store``."""

    type = "oauth2_refresh_token"
    credential_fields: t.ClassVar[dict[str, bool]] = {
        "client_id": True, "client_secret": False, "refresh_token": True, "access_token_url": False,
    }

    def store(self, config: Config) -> RefreshTokenStore | None:
        """The store of rotated refresh tokens: the ``refresh_token_store`` setting, else the auth's key."""
        path = str(config.get("refresh_token_store") or self.value(config, "refresh_token_store"))
        return RefreshTokenStore(path, self.value(config, "refresh_token")) if path else None

    @override
    def check(self, config: Config) -> None:
        store = self.store(config)
        if store is not None:
            store.check()

    @override
    def build(self, config: Config) -> RefreshTokenAuthenticator:
        return RefreshTokenAuthenticator(
            self.endpoint(config), self.value(config, "refresh_token"),
            refresh_token_name=str(self.spec.get("refresh_token_name", "refresh_token")), store=self.store(config))


class SessionToken(TokenAuth):
    """A login request gives a session token, sent as a header or a query parameter."""

    type = "session_token"

    def login_url(self, config: Config) -> str:
        """The login URL: ``login.path`` joined to the base URL, or an absolute URL on the API's host."""
        base, url = self.base_url(config), self.absolute(config, str(self.spec["login"]["path"]))
        if urlsplit(url)[:2] != urlsplit(base)[:2]:
            msg = (f"{self.where('login.path')}: {url} is not on the API's scheme, host and port ({base}); the login "
                   "request carries credentials, so it is sent only there (write a path relative to base_url)")
            raise AuthError(msg)
        return url

    def injection(self) -> Injection:
        """Where the session token goes (default: ``Authorization: Bearer <token>``)."""
        inject = self.spec.get("inject") or {}
        name = str(inject.get("name", "Authorization"))
        prefix = inject.get("prefix", "Bearer" if name.lower() == "authorization" else "")
        return Injection("param" if inject.get("type") == "param" else "header", name, str(prefix or ""))

    @override
    def check(self, config: Config) -> None:
        self.login_url(config)

    @override
    def build(self, config: Config) -> SessionTokenAuthenticator:
        login = self.spec["login"]
        expiration = self.spec.get("expiration_duration")
        return SessionTokenAuthenticator(
            Login(method=str(login.get("method", "POST")).upper(), url=self.login_url(config),
                  user_agent=self.user_agent(config), json=self.tree(config, "login").get("json"),
                  data=self.tree(config, "login").get("data"), headers=self.tree(config, "login").get("headers") or {},
                  token_path=self.spec.get("session_token_path"), token_header=self.spec.get("session_token_header"),
                  settings=tuple(self.settings())),
            duration_seconds(str(expiration)) if expiration else None,
            self.injection(),
        )


class Jwt(TokenAuth):
    """A JWT signed with ``secret_key``, sent as ``Authorization: <header_prefix> <jwt>``."""

    type = "jwt"
    credential_fields: t.ClassVar[dict[str, bool]] = {"secret_key": True}

    @override
    def check(self, config: Config) -> None:
        self.signer(config)

    @override
    def build(self, config: Config) -> JwtAuthenticator:
        prefix = self.spec.get("header_prefix", "Bearer")
        return JwtAuthenticator(self.signer(config), Injection("header", "Authorization", str(prefix or "")))


class JwtBearer(TokenAuth):
    """OAuth2's JWT-bearer grant: a signed assertion posted to ``access_token_url`` for an access token."""

    type = "oauth2_jwt_bearer"
    credential_fields: t.ClassVar[dict[str, bool]] = {"secret_key": True, "access_token_url": False}

    @override
    def check(self, config: Config) -> None:
        self.signer(config)

    @override
    def build(self, config: Config) -> JwtBearerAuthenticator:
        return JwtBearerAuthenticator(self.endpoint(config), self.signer(config))


TOKEN_AUTHS: tuple[type[Auth], ...] = (RefreshToken, SessionToken, Jwt, JwtBearer)

