"""The refresh-token store: where a rotated refresh token outlives the run (a Singer tap cannot write its config).

One JSON file, named by the ``refresh_token_store`` setting (or the auth's key of that name)::

    {"refresh_token": "...", "seeded_from": "<SHA-256 of the refresh_token setting>", "updated_at": "<UTC>"}

At start the store is read; its token is used when it continues the chain of the refresh token the settings hold
now (``seeded_from`` matches): it is newer than that setting. When the setting changed since (a new authorization),
the setting is newer: it is used, and the store is overwritten at the next rotation. The file is written
atomically (a temporary file in the same folder, then renamed) with owner-only permissions (0600); its folder is
created (0700) when missing. Two runs sharing one store at the same time are not supported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from tap_generic_rest.errors import AuthError

LOGGER = logging.getLogger("tap-generic-rest")


def fingerprint(token: str) -> str:
    """The SHA-256 of a token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokenStore:
    """A rotated refresh token kept in one file between runs (see the module docstring)."""

    def __init__(self, path: str, configured: str) -> None:
        """The store at ``path`` (``~`` expanded; relative: to the working folder) for the ``configured`` token."""
        self.path = Path(path).expanduser()
        self._seed = fingerprint(configured)

    def check(self) -> None:
        """Before any request: the folder exists (or is created) and can be written, the file (if any) be read."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error("cannot create its folder", exc) from None
        if not os.access(self.path.parent, os.W_OK):
            raise AuthError(f"refresh_token_store {self.path}: its folder cannot be written; choose a writable path")
        self._read()

    def load(self) -> str | None:
        """The stored token when it continues the configured token's chain (else None: the setting is newer)."""
        token, seeded_from = self._read()
        if token is not None and seeded_from != self._seed:
            LOGGER.info("The refresh_token setting changed since %s was written: using the setting", self.path)
            return None
        return token

    def _read(self) -> tuple[str | None, object]:
        """The stored token and the fingerprint it was seeded from ((None, None): no file yet)."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError) as exc:
            raise self._error("cannot be read", exc) from None
        token = document.get("refresh_token") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"refresh_token_store {self.path}: holds no refresh_token; delete the file to start "
                            "again from the refresh_token setting")
        return token, document.get("seeded_from")

    def save(self, token: str) -> None:
        """Keep ``token`` for the next run: written atomically, readable by the owner only."""
        document = {"refresh_token": token, "seeded_from": self._seed,
                    "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        descriptor, temporary = tempfile.mkstemp(prefix=".refresh-token-", dir=self.path.parent)  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(document, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise self._error("cannot be written (the API already rotated the token: authorize again)", exc) from None
        LOGGER.info("The API rotated the refresh token; the new one is kept in %s", self.path)

    def _error(self, what: str, exc: OSError | ValueError) -> AuthError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return AuthError(f"refresh_token_store {self.path}: {what} ({reason})")
