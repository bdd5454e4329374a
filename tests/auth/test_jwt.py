"""``type: jwt`` and ``type: oauth2_jwt_bearer`` over real HTTP: JWTs signed with HS256 and RS256 (a key generated
at test time) and verified by the server with PyJWT, claims from templates, renewal before expiry, the JWT-bearer
grant, and keys that do not fit refused before any request, in one line that never echoes the key."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.auth.helpers import ids, sync
from tests.auth.server import AUDIENCE, ISSUER, AuthServer, AuthServerState

if t.TYPE_CHECKING:
    from pathlib import Path

ALL_IDS = list(range(1, 13))
HMAC_SECRET = "hmac-secret-of-at-least-32-bytes-0123456789"
PAYLOAD = {"iss": "{{ config.jwt_issuer }}", "aud": AUDIENCE, "sub": "reporting"}


def private_pem(key: t.Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwt_auth(**fields: t.Any) -> dict[str, t.Any]:
    return {"type": "jwt", "header_prefix": "JWT", "jwt_payload": PAYLOAD, "jwt_headers": {"kid": "key-1"}, **fields}


def sent_jwts(server: AuthServer) -> list[str]:
    return [headers["authorization"].removeprefix("JWT ") for _, _, headers, _ in server.state.requests_to("/items")]


def test_hs256_signed_jwt_verified_by_the_server(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="jwt", verify_key=HMAC_SECRET)) as server:
        run = sync(server, tmp_path, jwt_auth(), secret_key=HMAC_SECRET, jwt_issuer=ISSUER).succeeded()
        assert ids(run) == ALL_IDS
        (token,) = set(sent_jwts(server))
        assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
        claims = jwt.decode(token, HMAC_SECRET, algorithms=["HS256"], audience=AUDIENCE)
        assert claims["iss"] == ISSUER and claims["sub"] == "reporting"
        assert claims["exp"] - claims["iat"] == 1200 and claims["nbf"] == claims["iat"]
        assert HMAC_SECRET not in run.stderr


def test_rs256_with_a_pem_key_from_a_setting(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    pem = private_pem(rsa_key)
    state = AuthServerState(mode="jwt", verify_key=rsa_key.public_key(), algorithm="RS256")
    with AuthServer(state) as server:
        escaped = pem.replace("\n", "\\n")  # as an environment variable holds it
        run = sync(server, tmp_path, jwt_auth(algorithm="RS256"), secret_key=escaped, jwt_issuer=ISSUER).succeeded()
        assert ids(run) == ALL_IDS
        assert "PRIVATE KEY" not in run.stderr


def test_the_jwt_is_signed_again_before_it_expires(tmp_path: Path) -> None:
    state = AuthServerState(mode="jwt", verify_key=HMAC_SECRET, delay=0.5, pages=6)
    with AuthServer(state) as server:
        auth = jwt_auth(token_duration=2)
        run = sync(server, tmp_path, auth, secret_key=HMAC_SECRET, jwt_issuer=ISSUER).succeeded()
        assert ids(run) == list(range(1, 25))
        assert len(set(sent_jwts(server))) >= 2
        assert "renewing it" not in run.stderr


def test_the_jwt_bearer_grant(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    state = AuthServerState(mode="oauth", verify_key=rsa_key.public_key(), algorithm="RS256")
    with AuthServer(state) as server:
        auth = {"type": "oauth2_jwt_bearer", "access_token_url": f"{server.url}/oauth/token", "algorithm": "RS256",
                "jwt_payload": {"iss": ISSUER, "aud": AUDIENCE}, "scopes": "read"}
        run = sync(server, tmp_path, auth, secret_key=private_pem(rsa_key)).succeeded()
        assert ids(run) == ALL_IDS
        (form,) = [parse_qs(body) for _, _, _, body in state.requests_to("/oauth/token")]
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] and form["scope"] == ["read"]
        assert jwt.decode(form["assertion"][0], rsa_key.public_key(), algorithms=["RS256"], audience=AUDIENCE)


def test_a_refused_assertion_is_one_line(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    state = AuthServerState(mode="oauth", verify_key=rsa_key.public_key(), algorithm="RS256")
    with AuthServer(state) as server:
        auth = {"type": "oauth2_jwt_bearer", "access_token_url": f"{server.url}/oauth/token", "algorithm": "RS256",
                "jwt_payload": {"iss": "someone-else", "aud": AUDIENCE}}
        line = sync(server, tmp_path, auth, secret_key=private_pem(rsa_key)).error()
        assert "HTTP 400 invalid_grant; the assertion was refused: check secret_key, algorithm and jwt_payload" in line


@pytest.mark.parametrize(("algorithm", "key", "expected"), [
    ("RS256", "-----BEGIN PRIVATE KEY-----\nnot-a-key-at-all-1234\n-----END PRIVATE KEY-----\n",
     "client.auth.secret_key: RS256 needs a PEM private key (-----BEGIN PRIVATE KEY-----...); the value is not a PEM "
     "private key"),
    ("RS256", "ec", "client.auth.secret_key: the key cannot sign RS256"),
])
def test_a_key_that_does_not_fit_is_one_line_before_any_request(
    algorithm: str, key: str, expected: str, tmp_path: Path
) -> None:
    if key == "ec":
        key = private_pem(ec.generate_private_key(ec.SECP256R1()))
    with AuthServer(AuthServerState(mode="jwt")) as server:
        line = sync(server, tmp_path, jwt_auth(algorithm=algorithm), secret_key=key, jwt_issuer=ISSUER).error()
        assert expected in line
        assert "not-a-key-at-all" not in line and "MII" not in line
        assert not server.state.received


def test_an_unknown_algorithm_is_one_line_naming_the_place(tmp_path: Path) -> None:
    with AuthServer(AuthServerState(mode="jwt")) as server:
        line = sync(server, tmp_path, jwt_auth(algorithm="none"), secret_key=HMAC_SECRET, jwt_issuer=ISSUER).error()
        assert "client.auth.algorithm: 'none' is not allowed; use one of: HS256, HS384, HS512, RS256" in line
        assert not server.state.received
