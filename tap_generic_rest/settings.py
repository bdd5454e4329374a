"""The tap's settings (exact names; the README documents each)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_generic_rest.apis import BUILTIN_APIS

#: Seconds to wait for a response (the ``request_timeout`` default).
DEFAULT_REQUEST_TIMEOUT = 60


class Credential(t.NamedTuple):
    """A setting that holds a credential: the auth fields it fills where a description leaves them out."""

    #: (auth type, field) pairs this setting fills
    fills: tuple[tuple[str, str], ...]
    secret: bool = True
    description: str = ""


#: The credential settings: the one table of them. The secret settings, the auth fields read from a setting
#: (dlt reads them from its secrets) and the auth fields masked in messages all derive from it.
CREDENTIALS: dict[str, Credential] = {
    "api_key": Credential((("api_key", "api_key"),)),
    "password": Credential((("http_basic", "password"),)),
    "access_token": Credential((("bearer", "token"),)),
    "client_id": Credential((("oauth2_client_credentials", "client_id"), ("oauth2_refresh_token", "client_id"))),
    "client_secret": Credential((("oauth2_client_credentials", "client_secret"),
                                 ("oauth2_refresh_token", "client_secret"))),
    "token_url": Credential((("oauth2_client_credentials", "access_token_url"),
                             ("oauth2_refresh_token", "access_token_url"), ("oauth2_jwt_bearer", "access_token_url")),
                            secret=False, description="OAuth2 token endpoint (overrides the description's)."),
    "refresh_token": Credential((("oauth2_refresh_token", "refresh_token"),),
                                description="OAuth2 refresh token (a rotated one is kept in refresh_token_store)."),
    "secret_key": Credential((("jwt", "secret_key"), ("oauth2_jwt_bearer", "secret_key")),
                             description="Key signing JWTs: the HMAC secret (HS*) or a PEM private key."),
}
SECRET_SETTINGS = tuple(name for name, credential in CREDENTIALS.items() if credential.secret)


def credential_setting(auth_type: str, field: str) -> str | None:
    """The setting that holds an auth type's field (None: no setting does)."""
    return next((name for name, credential in CREDENTIALS.items() if (auth_type, field) in credential.fills), None)


def _credential_property(name: str, credential: Credential) -> th.Property[t.Any]:
    description = credential.description or f"Credential `{name}`."
    if credential.secret:
        return th.Property(name, th.StringType, secret=True, description=description)
    return th.Property(name, th.StringType, description=description)


CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api",
        th.StringType,
        description=f"A built-in API: {', '.join(BUILTIN_APIS)}. Set this or api_description.",
    ),
    th.Property(
        "api_description",
        th.StringType,
        description="Path to your own API description (YAML or JSON). Set this or api.",
    ),
    th.Property("base_url", th.StringType, description="Overrides the description's base URL."),
    *(_credential_property(name, credential) for name, credential in CREDENTIALS.items()),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="Incremental streams start here when they have no bookmark (RFC 3339, UTC).",
    ),
    th.Property(
        "refresh_token_store",
        th.StringType,
        description="File keeping a refresh token the API rotates, for the next run (written 0600; see "
        "docs/extensions.md).",
    ),
    th.Property("user_agent", th.StringType, description="User-Agent header (default tap-generic-rest/<version>)."),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        description="Seconds one request attempt may take in total, the body included, before it is retried "
        "(decimals allowed); a request waiting long is logged. A streamed body (endpoint.decoder) has no total, "
        "but each read must bring bytes within it.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=3,
        description="Retries of a request answered 429/500/502/503/504 or lost to a network error.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=8,
        description="Most requests in flight at once (children of the next parents, next pages, next streams; "
        "fewer while the tap's CPU is the limit); 1 fetches one at a time.",
    ),
    th.Property(
        "backoff_factor",
        th.NumberType,
        default=2,
        description="Retry n waits backoff_factor * 2^(n-1) s unless the API sends Retry-After.",
    ),
    th.Property(
        "log_metrics",
        th.BooleanType,
        default=False,
        description="Also write the SDK's METRIC log lines (one per request and per parent context).",
    ),
).to_dict()
