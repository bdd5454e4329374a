"""catalogs/<api>.json is the tap's --discover output for each built-in API, kept in sync here.

Regenerate after changing a stream, a schema or a key:  UPDATE_CATALOGS=1 pytest tests/test_catalogs.py
"""

from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path

import pytest

from tap_generic_rest.description.load import BUILTIN_APIS
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config

if t.TYPE_CHECKING:
    from generic_rest_sandbox import Sandbox

CATALOGS = Path(__file__).resolve().parents[1] / "catalogs"


@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_catalog_is_current(api: str, sandbox: Sandbox) -> None:
    tap = TapGenericRest(config=sandbox_config(sandbox, api), parse_env_config=False, validate_config=False)
    discovered = json.dumps(tap.catalog_dict, indent=2, sort_keys=True) + "\n"
    path = CATALOGS / f"{api}.json"
    if os.environ.get("UPDATE_CATALOGS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(discovered, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run UPDATE_CATALOGS=1 pytest tests/test_catalogs.py"
    assert path.read_text(encoding="utf-8") == discovered, (
        f"{path} is stale; run UPDATE_CATALOGS=1 pytest tests/test_catalogs.py and commit it"
    )
