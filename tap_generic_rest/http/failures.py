"""What an error response means, in one line that names the stream, the URL and the fix."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from tap_generic_rest.errors import REDACTOR, StreamError

if t.TYPE_CHECKING:
    import requests

HINTS = {
    400: "the API rejected the request; check the description's params and body",
    401: "check the credential settings ({settings})",
    403: "the credentials ({settings}) lack access to this resource",
    404: "check base_url and the resource's endpoint.path",
    422: "the API rejected the request; check the description's params and body",
    429: "the API kept rate-limiting; retry later or raise max_retries",
}


class TokenRejectedError(StreamError):
    """A 401 ``invalid_token``: the token expired or was revoked; renew it once and retry."""


class ResponseIgnored(Exception):  # noqa: N818 - a signal, not an error
    """A response matched a ``response_actions`` ignore rule: no records, pagination stops."""


class ParentGone(Exception):  # noqa: N818 - a signal, not an error
    """A child request answered 404: the parent record no longer exists."""


def describe_failure(stream: str, credential_settings: t.Iterable[str], response: requests.Response) -> str:
    """``stream s: HTTP 404 Not Found from GET <url>: <body>; <hint>`` (secrets masked)."""
    hint = HINTS.get(response.status_code, "the API answered with an error")
    settings = ", ".join(credential_settings) or "none"
    body = " ".join(response.text[:300].split())
    return (
        f"stream {stream}: HTTP {response.status_code} {reason(response)} from "
        f"{response.request.method} {REDACTOR.url(response.url)}: {REDACTOR.text(body)}; "
        f"{hint.format(settings=settings)}"
    )


def error_code(response: requests.Response) -> str:
    """The ``error`` field of a JSON error body, or ``""``."""
    try:
        document = response.json()
    except ValueError:
        return ""
    return str(document.get("error", "")) if isinstance(document, dict) else ""


def reason(response: requests.Response) -> str:
    """The reason phrase, or the standard one for the status."""
    if response.reason:
        return str(response.reason)
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""
