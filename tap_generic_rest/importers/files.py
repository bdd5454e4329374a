"""Reading the file an importer is given: one-line errors for a missing or unreadable file."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.errors import UserError


def read_source(path: Path, error: type[UserError]) -> str:
    """The text of ``path`` (UTF-8); ``error`` names the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"cannot import {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot import {path}: {exc}") from None
