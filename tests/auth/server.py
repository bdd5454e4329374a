"""A loopback API that implements the auth flows of issue 19 faithfully, for the tests of tests/auth.

- ``POST /oauth/token``: ``grant_type=refresh_token`` (client authenticated in the body or with HTTP Basic, as the
  server is told; refresh tokens rotate when ``rotate`` is on: the old one is then refused with ``invalid_grant``)
  and the JWT-bearer grant (the assertion verified with PyJWT: signature, ``exp``, ``iss``, ``aud``).
- ``POST /login``: a JSON body with the right username and password gives a session token in the body
  (``{"data": {"session": ...}}``) and in the ``X-Session`` header.
- ``GET /items?page=N``: three pages of records, for a valid credential only: an access token before it expires,
  a session before it expires, or a JWT the server verifies (``mode``); anything else is a 401.

Every token, session and secret the server issues or knows is listed in ``secrets()`` so tests can check that none
appears in the tap's output.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.safety.helpers import LoopbackServer

CLIENT_ID = "client-id-4711"
CLIENT_SECRET = "client-secret-s3cr3t-0815"
FIRST_REFRESH_TOKEN = "refresh-token-first-9f8e7d"
USERNAME = "reporting-user"
PASSWORD = "login-password-p4ssw0rd-77"
ISSUER = "tap-tests"
AUDIENCE = "items-api"
PAGES = 3
PAGE_SIZE = 4


@dataclass
class AuthServerState:
    """What the server knows: valid credentials, expiries, and every request it saw."""

    mode: str = "oauth"  # oauth | session | jwt: what /items accepts
    client_auth: str = "body"  # body | basic: how /oauth/token wants the client authenticated
    rotate: bool = False
    expires_in: float = 3600
    session_ttl: float = 3600
    verify_key: t.Any = None  # the JWT verification key (a secret or a public key)
    pages: int = PAGES
    delay: float = 0.0  # seconds each /items answer takes
    revoke_after_page: int | None = None  # every access token is revoked once this page was served
    refuse_all: bool = False  # /items answers 401 whatever the credential
    token_failures: list[int] = field(default_factory=list)  # statuses the next token requests get (Retry-After: 1)
    algorithm: str = "HS256"
    refresh_tokens: set[str] = field(default_factory=lambda: {FIRST_REFRESH_TOKEN})
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    issued: list[str] = field(default_factory=list)
    received: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue(self, prefix: str, ttl: float) -> str:
        """A new access token or session valid for ``ttl`` seconds."""
        token = f"{prefix}-{next(self.counter)}-{'x' * 8}"
        self.access[token] = time.monotonic() + ttl
        self.issued.append(token)
        return token

    def requests_to(self, path: str) -> list[tuple[str, str, dict[str, str], str]]:
        """The requests received on ``path``."""
        return [request for request in self.received if urlsplit(request[1]).path == path]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        state = self.server.state
        with self.server.lock:
            state.received.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            path = urlsplit(self.path).path
            route = {"/oauth/token": self._token, "/login": self._login, "/items": self._items}.get(path)
            status, document, headers = route(body) if route else (404, {"error": "not_found"}, {})
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    # -- the token endpoint --------------------------------------------------------------------------

    def _token(self, body: str) -> tuple[int, dict[str, t.Any], dict[str, str]]:
        state, form = self.server.state, {k: v[0] for k, v in parse_qs(body).items()}
        if state.token_failures:
            return state.token_failures.pop(0), {"error": "try later"}, {"Retry-After": "1"}
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_bearer(form)
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}, {}
        if self._client() != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}, {}
        if form.get("refresh_token") not in state.refresh_tokens:
            return 400, {"error": "invalid_grant"}, {}
        document: dict[str, t.Any] = {"access_token": state.issue("access", state.expires_in),
                                      "token_type": "Bearer", "expires_in": state.expires_in}
        if state.rotate:
            state.refresh_tokens.discard(form["refresh_token"])
            rotated = f"refresh-token-rotated-{next(state.counter)}"
            state.refresh_tokens.add(rotated)
            state.issued.append(rotated)
            document["refresh_token"] = rotated
        return 200, document, {}

    def _client(self) -> tuple[str, str] | None:
        state, header = self.server.state, self.headers.get("Authorization", "")
        form = {k: v[0] for k, v in parse_qs(state.received[-1][3]).items()}
        if state.client_auth == "basic":
            if "client_secret" in form or not header.startswith("Basic "):
                return None
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user, password
        if header:
            return None
        return form.get("client_id", ""), form.get("client_secret", "")

    def _jwt_bearer(self, form: dict[str, str]) -> tuple[int, dict[str, t.Any], dict[str, str]]:
        state = self.server.state
        if not _verified(state, form.get("assertion", "")):
            return 400, {"error": "invalid_grant"}, {}
        return 200, {"access_token": state.issue("access", state.expires_in), "expires_in": state.expires_in}, {}

    # -- login and data ------------------------------------------------------------------------------

    def _login(self, body: str) -> tuple[int, dict[str, t.Any], dict[str, str]]:
        state = self.server.state
        try:
            credentials = json.loads(body)
        except ValueError:
            return 400, {"error": "not json"}, {}
        if credentials != {"username": USERNAME, "password": PASSWORD}:
            return 401, {"error": "bad credentials"}, {}
        session = state.issue("session", state.session_ttl)
        return 200, {"data": {"session": session}}, {"X-Session": session}

    def _items(self, _body: str) -> tuple[int, dict[str, t.Any], dict[str, str]]:
        state = self.server.state
        if state.refuse_all or not self._authorized():
            return 401, {"error": "invalid_token"}, {}
        time.sleep(state.delay)
        query = parse_qs(urlsplit(self.path).query)
        page = int(query.get("page", ["1"])[0])
        if page == state.revoke_after_page:
            state.access.clear()
        data = [{"id": (page - 1) * PAGE_SIZE + n, "page": page} for n in range(1, PAGE_SIZE + 1)]
        return 200, {"data": data, "next_page": page + 1 if page < state.pages else None}, {}

    def _authorized(self) -> bool:
        state = self.server.state
        header = self.headers.get("Authorization", "")
        if state.mode == "jwt":
            return header.startswith("JWT ") and _verified(state, header[4:])
        if state.mode == "session":
            query = parse_qs(urlsplit(self.path).query)
            token = query.get("session", [""])[0] or header.removeprefix("Bearer ")
        else:
            token = header.removeprefix("Bearer ")
        return time.monotonic() < state.access.get(token, 0.0)


def _verified(state: AuthServerState, token: str) -> bool:
    try:
        jwt.decode(token, state.verify_key, algorithms=[state.algorithm], audience=AUDIENCE, issuer=ISSUER,
                   options={"require": ["exp", "iat", "iss", "aud"]})
    except jwt.PyJWTError:
        return False
    return True


class _Server(ThreadingHTTPServer):
    state: AuthServerState
    lock: threading.Lock


class AuthServer(LoopbackServer):
    """The server on an ephemeral loopback port (a context manager)."""

    def __init__(self, state: AuthServerState) -> None:
        """Bind the port."""
        self.state = state
        server = _Server(("127.0.0.1", 0), _Handler)
        server.state, server.lock = state, threading.Lock()
        super().__init__(server)

    def secrets(self) -> list[str]:
        """Every secret the server knows or issued."""
        return [CLIENT_SECRET, FIRST_REFRESH_TOKEN, PASSWORD, *self.state.issued]
