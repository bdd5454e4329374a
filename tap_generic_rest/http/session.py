"""The run's HTTP session policy: redirects are followed only on the same scheme, host and port; every body
is read within bounds (its decompressed size, the attempt's total time: ``body``), except the 2xx body of a
request marked for a streaming decoder (``streamed``), which is left unread for the decoder."""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

import requests
from requests.utils import resolve_proxies
from typing_extensions import override

from tap_generic_rest.errors import REDACTOR, AuthError
from tap_generic_rest.http.body import deadline_of, read_bounded
from tap_generic_rest.http.streamed import STREAM_BODY, STREAMED, wants_stream


def _signed_when_sent(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def prepare_unsigned(session: requests.Session, user_agent: str, *args: t.Any, **kwargs: t.Any
                     ) -> requests.PreparedRequest:
    """A request prepared as the SDK does, but not signed: the SDK signs it again when it sends it (each
    attempt, so a retry carries a fresh token), and signing twice cost each request a second pass of
    the authenticator (its lock, a JWT signature). The request's own no-op auth also keeps requests
    from adding credentials of ``~/.netrc``, as the SDK's session auth did."""
    request = requests.Request(*args, **kwargs)
    request.headers.setdefault("User-Agent", user_agent)
    request.auth = _signed_when_sent
    return session.prepare_request(request)


class RedirectRefusedError(AuthError):
    """The API redirected a request to another scheme, host or port."""


class SameHostSession(requests.Session):
    """A session that follows redirects only on the same scheme, host and port.

    requests drops ``Authorization`` on a cross-host redirect but keeps other credential headers
    (an API key header) and query parameters; refusing such redirects keeps every credential home.
    """

    def __init__(self) -> None:
        """A requests session; no proxies resolved yet."""
        super().__init__()
        self._proxies: dict[tuple[object, ...], dict[str, str]] = {}

    def _proxies_for(self, request: requests.PreparedRequest) -> dict[str, str]:
        """The proxies for the request's scheme and host, as requests resolves them from the environment
        (``*_PROXY``, ``NO_PROXY``), once per scheme, host and proxy setting: requests reads the whole
        environment on every request."""
        parts = urlsplit(str(request.url))
        key = (parts.scheme, parts.netloc, tuple(sorted(self.proxies.items())), self.trust_env)
        if key not in self._proxies:
            self._proxies[key] = resolve_proxies(request, dict(self.proxies), self.trust_env)
        return dict(self._proxies[key])

    @override
    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        old, new = urlsplit(str(response.request.url)), urlsplit(str(prepared_request.url))
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            msg = (
                f"the API redirected {REDACTOR.url(str(response.request.url))} to "
                f"{REDACTOR.url(str(prepared_request.url))}, another scheme or host; refusing to send "
                "credentials there (set base_url to the final address)"
            )
            raise RedirectRefusedError(msg)
        if wants_stream(response.request):  # a redirected request streams as the original would
            setattr(prepared_request, STREAM_BODY, True)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Send; unless the caller streams, read the body within bounds (size, the attempt's deadline).

        A 2xx answer to a request marked for a streaming decoder is left unread (and marked so); its
        error answers are read within bounds, as any."""
        streamed = bool(kwargs.get("stream"))
        deadline = deadline_of(kwargs.get("timeout"))
        if "proxies" not in kwargs:
            kwargs["proxies"] = self._proxies_for(request)
        response = super().send(request, **{**kwargs, "stream": True})
        if wants_stream(request) and response.ok and not response.is_redirect:
            setattr(response, STREAMED, True)
        elif not streamed:
            read_bounded(response, deadline)
        return response
