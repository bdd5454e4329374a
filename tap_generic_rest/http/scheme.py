"""The base of every auth scheme: the settings its values read, its secrets, the checks before any request, and
the authenticator it builds (``auth`` registers the types; ``token_auths`` holds the token-issuing ones)."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import APIAuthenticatorBase

from tap_generic_rest.expressions.templating import Template, compile_string, compile_tree, referenced_keys, render_tree
from tap_generic_rest.settings import CREDENTIALS, credential_setting

Config = t.Mapping[str, t.Any]
#: The normalized auth's list of the credential fields the description left out (each reads its setting,
#: which is then required, as dlt requires the secret it reads: an optional field written out may stay empty).
FILLED = "__filled__"
#: The normalized auth's copy of the description's base URL (the ``base_url`` setting overrides it, as for data
#: requests) and its own place in the description (``client.auth``), kept for the types that say ``keeps_place``.
BASE_URL = "__base_url__"
WHERE = "__where__"


class Auth:
    """An authentication scheme: the settings its values read and the authenticator it builds."""

    type: t.ClassVar[str]
    #: field -> whether a setting it reads must be set (a field left out reads the setting that holds it,
    #: ``settings.CREDENTIALS``)
    credential_fields: t.ClassVar[dict[str, bool]] = {}
    #: whether the normalized spec keeps the description's base URL and the auth's place (``BASE_URL``, ``WHERE``)
    keeps_place: t.ClassVar[bool] = False

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

    def tree(self, config: Config, field: str) -> t.Any:
        """A nested field (a body, headers, claims) with every template rendered over the settings (None: absent)."""
        raw = self.spec.get(field)
        return None if raw is None else render_tree(compile_tree(raw), {"config": config})

    def base_url(self, config: Config) -> str:
        """The API's base URL: the ``base_url`` setting, else the description's."""
        return str(config.get("base_url") or self.spec.get(BASE_URL) or "")

    def absolute(self, config: Config, url: str) -> str:
        """``url`` as is when absolute, else a path joined to the base URL."""
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.base_url(config).rstrip('/')}/{url.lstrip('/')}"

    def where(self, field: str = "") -> str:
        """The place of the auth (or of one of its fields) in the description, for error lines."""
        place = str(self.spec.get(WHERE) or "auth")
        return f"{place}.{field}" if field else place

    def missing(self, config: Config) -> list[str]:
        """The required settings this scheme reads that ``config`` does not set (or sets empty)."""
        return [name for name, required in self.settings().items() if required and not config.get(name)]

    def secrets(self, config: Config) -> list[str]:
        """The values to mask in logs."""
        return [self.value(config, field) for field in self.secret_fields()]

    def check(self, config: Config) -> None:
        """Raise the one-line error of a value only the settings reveal (a key that does not parse), before any
        request; the description's shape was checked when it was loaded."""

    def build(self, config: Config) -> APIAuthenticatorBase:
        """The SDK authenticator for ``config``."""
        return APIAuthenticatorBase()


class NoAuth(Auth):
    """No credentials."""

    type = "none"
