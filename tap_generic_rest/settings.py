"""The tap's settings (exact names; the README documents each)."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_generic_rest.description.load import BUILTIN_APIS

SECRET_SETTINGS = ("api_key", "password", "access_token", "client_id", "client_secret")

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
    *(
        th.Property(name, th.StringType, secret=True, description=f"Credential `{name}`.")
        for name in SECRET_SETTINGS
    ),
    th.Property("token_url", th.StringType, description="OAuth2 token endpoint (overrides the description's)."),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="Incremental streams start here when they have no bookmark (RFC 3339, UTC).",
    ),
    th.Property("user_agent", th.StringType, description="User-Agent header (default tap-generic-rest/<version>)."),
    th.Property("request_timeout", th.NumberType, default=300, description="Seconds to wait for a response."),
    th.Property("max_retries", th.IntegerType, default=3, description="Retries of a failed request (429, 5xx)."),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=8,
        description="Requests in flight at once for child streams (1: one at a time).",
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
