"""tap-generic-rest: a declarative REST extractor for Singer, built on the Meltano Singer SDK."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tap-generic-rest")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
