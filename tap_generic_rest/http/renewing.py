"""A credential obtained at run time (a token, a session, a signed JWT), kept until shortly before it expires,
renewed then and once when the API rejects it (401); where it goes in every request (``Injection``)."""

from __future__ import annotations

import time
import typing as t

from singer_sdk.authenticators import APIAuthenticatorBase
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR

if t.TYPE_CHECKING:
    import requests

#: Seconds before expiry at which a credential is renewed (a tenth of its lifetime when that is shorter).
TOKEN_RENEWAL_MARGIN = 60


class Injection(t.NamedTuple):
    """Where the credential goes: a header or a query parameter, its name, a prefix (``Bearer``)."""

    location: t.Literal["header", "param"] = "header"
    name: str = "Authorization"
    prefix: str = "Bearer"

    def value(self, token: str) -> str:
        """The header or parameter value."""
        return f"{self.prefix} {token}" if self.prefix else token


BEARER = Injection()


class RenewingAuthenticator(APIAuthenticatorBase):
    """Obtains a credential before the first request, keeps it until shortly before it expires, renews it then
    or when ``invalidate`` was called (a 401: the retry policy renews once; see ``runtime.SharedAuthenticator``)."""

    #: a 401 of any kind renews the credential once (client credentials: only ``invalid_token``)
    renews_on_401: t.ClassVar[bool] = True

    def __init__(self, injection: Injection = BEARER) -> None:
        """No credential yet; ``injection`` says where it goes."""
        super().__init__()
        self.injection = injection
        self.access_token: str | None = None
        self._renew_at: float | None = None

    def obtain(self) -> tuple[str, float | None]:
        """A new credential and its lifetime in seconds (None: it does not expire)."""
        raise NotImplementedError

    def is_token_valid(self) -> bool:
        """Whether the credential may still be used."""
        return bool(self.access_token) and (self._renew_at is None or time.monotonic() < self._renew_at)

    def invalidate(self) -> None:
        """Forget the credential, so the next request obtains a new one."""
        self.access_token = None

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not self.is_token_valid():
            self._renew()
        value = self.injection.value(str(self.access_token))
        if self.injection.location == "header":
            self.auth_headers = {self.injection.name: value}
        else:
            self.auth_params = {self.injection.name: value}
        return super().authenticate_request(request)

    def _renew(self) -> None:
        obtained_at = time.monotonic()
        token, lifetime = self.obtain()
        REDACTOR.add(token, self.injection.value(token))
        self.access_token = token
        self._renew_at = None if lifetime is None else obtained_at + lifetime - min(TOKEN_RENEWAL_MARGIN, lifetime / 10)


def value_at(document: object, path: str) -> object:
    """The value at a dotted path (``data.token``; a list index is a number) in a decoded JSON document."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
