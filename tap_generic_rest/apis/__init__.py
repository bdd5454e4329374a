"""Built-in API descriptions (api.yaml + JSON Schemas), shipped as package data.

The built-in APIs are the folders here that hold an ``api.yaml``: a new one is a new folder.
"""

from __future__ import annotations

from pathlib import Path

from tap_generic_rest.errors import UserError

APIS_DIR = Path(__file__).parent
#: every built-in API, by name (sorted)
BUILTIN_APIS = tuple(sorted(folder.name for folder in APIS_DIR.iterdir() if (folder / "api.yaml").is_file()))


def builtin_path(api: str) -> Path:
    """The description file of a built-in API."""
    if api not in BUILTIN_APIS:
        msg = f"unknown api {api!r}; use one of: {', '.join(BUILTIN_APIS)}, or set api_description"
        raise UserError(msg)
    return APIS_DIR / api / "api.yaml"
