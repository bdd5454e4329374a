"""OAuth2 token grants: one token per run, fetched with retries, renewed before it expires and once on a 401.

The grants share one token client (``TokenGrantAuthenticator``): client credentials, a refresh token
(``refresh_token``) and the JWT-bearer grant. The token request follows redirects only on the same host, like
data requests, and carries their ``Accept`` and ``User-Agent`` (``token_request``); the client authenticates in the
body or with HTTP Basic (``client_secret_basic``); a refused request ends the run with one line naming the settings
to check (``AuthError``); every token joins the redactor.
"""

from __future__ import annotations

import base64
import typing as t
from dataclasses import dataclass, field

from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, AuthError
from tap_generic_rest.http.renewing import RenewingAuthenticator, value_at
from tap_generic_rest.http.token_request import auth_session, send_with_retries

if t.TYPE_CHECKING:
    import requests

    from tap_generic_rest.http.jwt_token import JwtSigner

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class TokenEndpoint:
    """A token endpoint and how to ask it: the client's credentials, scopes, extra body fields, response names."""

    url: str
    user_agent: str
    client_id: str = ""
    client_secret: str = ""
    client_auth: str = "body"  # body | basic (client_secret_basic)
    scopes: tuple[str, ...] = ()
    extra_body: t.Mapping[str, t.Any] = field(default_factory=dict)
    access_token_name: str = "access_token"
    expires_in_name: str = "expires_in"
    default_expiration: float | None = None

    def client_fields(self) -> dict[str, str]:
        """The client's credentials in the body (``client_auth: body``, the client id given)."""
        if self.client_auth != "body" or not self.client_id:
            return {}
        return {"client_id": self.client_id, **({"client_secret": self.client_secret} if self.client_secret else {})}

    def basic_header(self) -> dict[str, str]:
        """``Authorization: Basic`` with the client's credentials (``client_auth: basic``), masked in logs."""
        if self.client_auth != "basic":
            return {}
        pair = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        REDACTOR.add(pair)
        return {"Authorization": f"Basic {pair}"}


class TokenGrantAuthenticator(RenewingAuthenticator):
    """One OAuth2 grant against a token endpoint (the grant's own fields: ``grant_fields``)."""

    grant_type: t.ClassVar[str]
    renews_on_401 = False  # a 401 renews the token only when it says invalid_token (client credentials)

    def __init__(self, endpoint: TokenEndpoint) -> None:
        """Keep the endpoint; token requests carry the data requests' headers."""
        super().__init__()
        self.endpoint = endpoint
        self._token_session = auth_session(endpoint.user_agent)  # the client secret never follows a redirect away

    def grant_fields(self) -> dict[str, str]:
        """The grant's own body fields (the refresh token, the assertion)."""
        return {}

    def request_body(self) -> dict[str, t.Any]:
        """The token request's form body."""
        scope = {"scope": " ".join(self.endpoint.scopes)} if self.endpoint.scopes else {}
        return {"grant_type": self.grant_type, **self.grant_fields(), **scope, **self.endpoint.client_fields(),
                **self.endpoint.extra_body}

    def hint(self, code: str, status: int) -> str:
        """What to check when the token endpoint refuses (``code``: the OAuth ``error``)."""
        if code == "invalid_client" or status in {401, 403}:
            return "check the client_id and client_secret settings"
        return "check the token_url setting"

    def received(self, document: t.Mapping[str, t.Any]) -> None:
        """Called with every token response (a rotated refresh token)."""

    @override
    def obtain(self) -> tuple[str, float | None]:
        url = self.endpoint.url
        response = send_with_retries(self._token_session, "OAuth token request", "POST", url,
                                     data=self.request_body(), headers=self.endpoint.basic_header())
        if response.status_code != 200:
            code = _oauth_error_code(response)
            msg = (f"OAuth token request to {REDACTOR.url(url)} failed: HTTP {response.status_code} "
                   f"{code or response.reason}; {self.hint(code, response.status_code)}")
            raise AuthError(REDACTOR.text(msg))
        document = _json_object(response)
        token = value_at(document, self.endpoint.access_token_name)
        if not isinstance(token, (str, int)) or token == "":
            msg = f"OAuth token response from {REDACTOR.url(url)} has no {self.endpoint.access_token_name}"
            raise AuthError(msg)
        REDACTOR.add(str(token))
        self.received(document)
        return str(token), self._lifetime(document)

    def _lifetime(self, document: t.Mapping[str, t.Any]) -> float | None:
        expires_in = value_at(document, self.endpoint.expires_in_name)
        try:
            return float(expires_in) if expires_in else self.endpoint.default_expiration  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return self.endpoint.default_expiration


class ClientCredentialsAuthenticator(TokenGrantAuthenticator):
    """OAuth2 client credentials."""

    grant_type = "client_credentials"


class JwtBearerAuthenticator(TokenGrantAuthenticator):
    """The JWT-bearer grant (RFC 7523): a signed assertion exchanged for an access token."""

    grant_type = JWT_BEARER_GRANT
    renews_on_401 = True

    def __init__(self, endpoint: TokenEndpoint, signer: JwtSigner) -> None:
        """Keep the endpoint and the signer of the assertion."""
        super().__init__(endpoint)
        self._signer = signer

    @override
    def grant_fields(self) -> dict[str, str]:
        assertion = self._signer.sign()
        REDACTOR.add(assertion)
        return {"assertion": assertion}

    @override
    def hint(self, code: str, status: int) -> str:
        if code in {"invalid_grant", "unauthorized_client"}:
            return "the assertion was refused: check secret_key, algorithm and jwt_payload (iss, sub, aud)"
        return super().hint(code, status)


def _json_object(response: requests.Response) -> t.Mapping[str, t.Any]:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        msg = f"OAuth token response from {REDACTOR.url(response.url)} is not a JSON object"
        raise AuthError(msg)
    return document


def _oauth_error_code(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return ""
