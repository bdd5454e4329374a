"""User-facing errors and secret redaction.

Every error a user can cause (bad settings, a bad description, a bad credential, an API that
misbehaves) is a :class:`UserError`: the CLI prints its one-line message and exits non-zero,
without a traceback. Messages pass through :class:`Redactor`, so secrets never reach the output.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

MASK = "****"

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


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record it sees."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = REDACTOR.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
