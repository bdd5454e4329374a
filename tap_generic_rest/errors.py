"""User-facing errors and secret redaction.

Every error a user can cause (bad settings, a bad description, a bad credential, an API that
misbehaves) is a :class:`UserError`: the CLI prints its one-line message and exits non-zero,
without a traceback. Messages pass through :class:`Redactor`, so secrets never reach the output.
"""

from __future__ import annotations

import logging
import re
import typing as t
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Callable

MASK = "****"
#: The longest error line (characters) and the longest value kept whole in a long line or log message.
MAX_LINE = 2_000
MAX_VALUE = 200
#: A log message longer than this has its long values cut too.
MAX_LOG_MESSAGE = 10_000
_LONG_VALUE = re.compile(rf"\S{{{MAX_VALUE + 1},}}")

#: Query parameters whose values are always masked, whatever the settings say.
SECRET_PARAM_PATTERN = re.compile(
    r"(token|secret|password|passwd|api[_-]?key|apikey|signature|sig|auth|credential|session)",
    re.IGNORECASE,
)


class UserError(Exception):
    """An error caused by the user's input or the API; printed as one line, no traceback."""


class DescriptionError(UserError):
    """An API description is invalid; the message names the exact path and the fix."""

    def __init__(self, origin: str, path: str, message: str) -> None:
        """Build the error.

        Args:
            origin: Which description (a built-in API name or a file path).
            path: The path inside the description, e.g. ``resources[2].endpoint.paginator.type``.
            message: What is wrong and how to fix it.
        """
        self.origin = origin
        self.path = path
        self.message = message
        where = f"{path}: " if path else ""
        super().__init__(f"invalid API description {origin}: {where}{message}")


class SettingsError(UserError):
    """A tap setting is missing or invalid."""


class AuthError(UserError):
    """Credentials are missing or refused."""


class StreamError(FatalAPIError, UserError):
    """A stream failed (HTTP error, malformed response, pagination loop, ...)."""


class Redactor:
    """Masks secret values wherever they may appear in text and URLs."""

    def __init__(self) -> None:
        """Start with no known secrets."""
        self._secrets: set[str] = set()

    def add(self, *values: object) -> None:
        """Register secret values (empty and very short values are ignored)."""
        for value in values:
            if isinstance(value, str) and len(value) >= 3:
                self._secrets.update({value, quote(value, safe=""), quote_plus(value)})

    def clear(self) -> None:
        """Forget every secret (a process that runs more than one tap, e.g. a test session)."""
        self._secrets.clear()

    def text(self, text: str) -> str:
        """Mask every known secret in ``text``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def url(self, url: str) -> str:
        """Mask secret-looking query parameters and known secrets in a URL."""
        parts = urlsplit(url)
        query = [
            (key, MASK if SECRET_PARAM_PATTERN.search(key) else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        netloc = parts.netloc.rsplit("@", 1)[-1]  # drop user:password@
        masked = urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
        return self.text(masked)


REDACTOR = Redactor()


class LazyText:
    """Text made when it is first written: an error line's context, e.g. a redacted URL (~40 us), which
    most requests never need."""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        """``make()`` gives the text."""
        self._make = make
        self._text: str | None = None

    @override
    def __str__(self) -> str:
        if self._text is None:
            self._text = self._make()
        return self._text


def cut_long_values(text: str, limit: int = MAX_LINE) -> str:
    """``text`` within about ``limit`` characters: each long value keeps its start and end, then the middle of
    the text is cut if it is still too long; what is cut is counted. Short texts are returned as they are."""
    if len(text) <= limit:
        return text

    def cut(match: re.Match[str]) -> str:
        value = match[0]
        return f"{value[:MAX_VALUE // 2]}...({len(value) - MAX_VALUE // 2 - 40} characters cut)...{value[-40:]}"

    text = _LONG_VALUE.sub(cut, text)
    if len(text) > limit:
        half = limit // 2
        text = f"{text[:half]} ...({len(text) - 2 * half} characters cut)... {text[-half:]}"
    return text


def error_line(message: str) -> str:
    """The CLI's error line: one line, secrets masked, long values cut."""
    return cut_long_values(" ".join(REDACTOR.text(message).splitlines()))


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record it sees, and cuts very long messages."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = cut_long_values(REDACTOR.text(message), MAX_LOG_MESSAGE)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
