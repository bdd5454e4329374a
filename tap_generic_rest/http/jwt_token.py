"""JWTs signed with a key from the settings (PyJWT with ``cryptography``): the ``jwt`` auth sends one as a bearer
token, the JWT-bearer grant (``oauth``) exchanges one for an access token.

Claims: ``jwt_payload`` (templates rendered over the settings) plus ``iat`` and ``nbf`` (now) and ``exp`` (now +
``token_duration``); headers: ``jwt_headers`` plus ``alg`` (from ``algorithm`` only) and ``typ``. HMAC algorithms
(``HS*``) take the key as text; the others a PEM private key (``\\n`` written for line breaks, as in an
environment variable, is read as line breaks). A key that does not fit the algorithm is one line, checked before
any request, and never echoed. PyJWT and ``cryptography`` are imported on first use (~0.4 s of start-up that runs
without a JWT do not pay).
"""

from __future__ import annotations

import logging
import time
import typing as t
import warnings

from typing_extensions import override

from tap_generic_rest.errors import AuthError
from tap_generic_rest.http.renewing import BEARER, Injection, RenewingAuthenticator

#: every algorithm PyJWT signs with (``none`` excluded); description.schema.json lists the same
ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES256K", "ES384", "ES512", "ES521", "EdDSA")
LOGGER = logging.getLogger("tap-generic-rest")


class JwtSigner:
    """Signs JWTs: one algorithm, one key, the claims and headers of the description."""

    def __init__(self, *, key: str, algorithm: str, duration: float, where: str,
                 headers: t.Mapping[str, t.Any] | None = None, payload: t.Mapping[str, t.Any] | None = None) -> None:
        """Load the key (one line when it does not fit ``algorithm``; ``where`` names the key's place)."""
        self.algorithm = algorithm
        self.duration = duration
        self._headers = {key: value for key, value in (headers or {}).items() if key != "alg"}  # `algorithm` says
        self._payload = dict(payload or {})
        self._key = _load_key(key, algorithm, where)
        import jwt

        try:
            self.sign()
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            msg = f"{where}: the key cannot sign {algorithm} ({type(exc).__name__}); use a key of the algorithm's kind"
            raise AuthError(msg) from None

    def sign(self) -> str:
        """A new JWT, valid from now for ``duration`` seconds."""
        return self.signed()[0]

    def signed(self) -> tuple[str, float]:
        """A new JWT and the seconds it stays valid (``exp`` counts whole seconds from the whole second ``iat``)."""
        import jwt

        now = int(time.time())
        expires = now + int(self.duration)
        claims = {**self._payload, "iat": now, "nbf": now, "exp": expires}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a short HMAC key: warned about once when loaded
            token = jwt.encode(claims, self._key, algorithm=self.algorithm, headers=self._headers or None)
        return token, max(expires - time.time(), 0.0)


class JwtAuthenticator(RenewingAuthenticator):
    """A signed JWT sent on every request (``header_prefix``, default ``Bearer``), signed again before it expires."""

    def __init__(self, signer: JwtSigner, injection: Injection = BEARER) -> None:
        """Keep the signer."""
        super().__init__(injection)
        self._signer = signer

    @override
    def obtain(self) -> tuple[str, float | None]:
        return self._signer.signed()


def _load_key(key: str, algorithm: str, where: str) -> t.Any:
    if not key:
        raise AuthError(f"{where}: the key is empty")
    if "\\n" in key and "\n" not in key:
        key = key.replace("\\n", "\n")
    if algorithm.startswith("HS"):
        if len(key.encode()) < int(algorithm[2:]) // 8:
            LOGGER.warning("%s: the %s key is shorter than the %d bytes RFC 7518 asks for", where, algorithm,
                           int(algorithm[2:]) // 8)
        return key.encode()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError) as exc:
        encrypted = "encrypted" in str(exc)
        kind = "an encrypted PEM key (use one without a passphrase)" if encrypted else "not a PEM private key"
        msg = f"{where}: {algorithm} needs a PEM private key (-----BEGIN PRIVATE KEY-----...); the value is {kind}"
        raise AuthError(msg) from None
    except Exception as exc:  # cryptography's UnsupportedAlgorithm and friends
        msg = f"{where}: {algorithm} needs a PEM private key; this one cannot be loaded ({type(exc).__name__})"
        raise AuthError(msg) from None
