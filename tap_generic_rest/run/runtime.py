"""What every stream of one tap run shares: the HTTP session, the authenticator, the run's start.

The tap builds one :class:`SyncRuntime` and hands it to every stream it generates, so the stream
modules never import the tap (no import circle) and shared pieces exist exactly once.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from tap_generic_rest.http.auth import SameHostSession
from tap_generic_rest.http.ratelimit import RateGate
from tap_generic_rest.run.pool import FetchPool

if t.TYPE_CHECKING:
    from collections.abc import Callable

    import requests
    from singer_sdk.helpers.types import Auth

DEFAULT_MAX_CONCURRENCY = 8


class SharedAuthenticator(AuthBase):
    """One authenticator for every worker: requests are signed one at a time, so an OAuth token is
    fetched once, and a token rejected by several workers at once is renewed once."""

    def __init__(self, inner: Auth) -> None:
        """Wrap the description's authenticator."""
        self.inner = inner
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Sign ``request`` (fetching a token first if there is none)."""
        with self._lock:
            return keeping_query(self.inner, request)

    def __getattr__(self, name: str) -> t.Any:
        """Everything else is the wrapped authenticator's."""
        return getattr(self.inner, name)

    @property
    def renews_tokens(self) -> bool:
        """Whether a rejected token can be renewed (OAuth)."""
        return callable(getattr(self.inner, "invalidate", None))

    def renew(self, rejected: requests.PreparedRequest) -> None:
        """Forget the token ``rejected`` was sent with, unless another worker already renewed it (the request
        does not carry the current token, in a header or its URL)."""
        with self._lock:
            token = getattr(self.inner, "access_token", None)
            if token and sent_with(rejected, str(token)):
                self.inner.invalidate()  # type: ignore[attr-defined]


def sent_with(request: requests.PreparedRequest, token: str) -> bool:
    """Whether ``request`` carries ``token`` in a header value or (encoded) in its URL."""
    url = str(request.url)
    return (any(token in str(value) for value in request.headers.values())
            or any(form in url for form in {token, quote(token, safe=""), quote_plus(token)}))


def keeping_query(sign: Auth, request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Sign ``request`` with its query string kept byte for byte, the signer's params appended.

    The SDK's authenticators rebuild the whole query with ``parse_qs``, which drops blank values
    (dlt sends ``empty=``); so the signer sees the URL without a query, and only its params are added
    (replacing a param of the same name, as the SDK does).
    """
    split = urlsplit(str(request.url))
    request.url = urlunsplit(split._replace(query=""))
    signed = sign(request)
    signed_split = urlsplit(str(signed.url))
    added = signed_split.query
    names = {name for name, _ in parse_qsl(added, keep_blank_values=True)}
    kept = [pair for pair in split.query.split("&") if pair and unquote_plus(pair.split("=", 1)[0]) not in names]
    signed.url = urlunsplit(signed_split._replace(query="&".join([*kept, *([added] if added else [])])))
    return signed


class SyncRuntime:
    """Shared state of one run of the tap."""

    def __init__(self, build_authenticator: Callable[[], Auth], max_concurrency: int = DEFAULT_MAX_CONCURRENCY) -> None:
        """Keep how to build the authenticator (built on first use: discovery may need none)."""
        self._build_authenticator = build_authenticator
        self.max_concurrency = max_concurrency
        #: fetches child partitions ahead of the writer
        self.pool = FetchPool(max_concurrency)
        #: paused by rate limits, for every worker
        self.gate = RateGate()
        #: the sync began (records read before, e.g. sampled for discovery, keep no resume position)
        self.syncing = False

    @cached_property
    def authenticator(self) -> SharedAuthenticator:
        """One authenticator for every stream and worker (so an OAuth token is fetched once)."""
        return SharedAuthenticator(self._build_authenticator())

    def resource_authenticator(self, name: str, build: Callable[[], Auth]) -> Auth:
        """The authenticator of a resource with its own ``endpoint.auth`` (built once)."""
        cache: dict[str, Auth] = self.__dict__.setdefault("_resource_authenticators", {})
        if name not in cache:
            cache[name] = SharedAuthenticator(build())
        return cache[name]

    @cached_property
    def session(self) -> SameHostSession:
        """One HTTP session for every stream, its connection pool sized to the workers."""
        session = SameHostSession()
        size = self.max_concurrency + 2  # the workers, the main thread, a token request
        for prefix in ("http://", "https://"):
            session.mount(prefix, HTTPAdapter(pool_connections=size, pool_maxsize=size))
        return session

    def close(self) -> None:
        """End the run: stop the workers."""
        self.pool.close()

    @cached_property
    def sync_started_at(self) -> dt.datetime:
        """When this run started (the end of server-side incremental windows)."""
        return dt.datetime.now(dt.UTC)
