"""One source of truth per list: the built-in APIs are the folders under apis/, the secret settings one
table (settings.CREDENTIALS), the format's paginator and auth types the registries; every other list of
them (Meltano's plugin files, the sandbox, catalogs/, the JSON Schema) is checked against it here."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import yaml
from generic_rest_sandbox.registry import API_NAMES

from tap_generic_rest.apis import APIS_DIR, BUILTIN_APIS
from tap_generic_rest.description.schema import FORMAT_SCHEMA
from tap_generic_rest.http.auth import AUTH_TYPES, SECRET_FIELDS
from tap_generic_rest.pagination.registry import PAGINATION_TYPES
from tap_generic_rest.settings import CONFIG_SCHEMA, CREDENTIALS, SECRET_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(folder.name for folder in APIS_DIR.iterdir() if (folder / "api.yaml").is_file())


def _extractors() -> list[dict[str, t.Any]]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    return t.cast("list[dict[str, t.Any]]", project["plugins"]["extractors"])


def _plugin_definitions() -> dict[str, dict[str, t.Any]]:
    """The generic plugin's definition in meltano.yml and in plugins/extractors/."""
    generic = next(plugin for plugin in _extractors() if plugin["name"] == "tap-generic-rest")
    published = yaml.safe_load((ROOT / "plugins/extractors/tap-generic-rest.yml").read_text(encoding="utf-8"))
    return {"meltano.yml": generic, "plugins/extractors/tap-generic-rest.yml": published}


def _setting(definition: dict[str, t.Any], name: str) -> dict[str, t.Any]:
    return next(setting for setting in definition["settings"] if setting["name"] == name)


def test_builtin_apis_are_the_folders() -> None:
    assert list(BUILTIN_APIS) == FOLDERS
    assert len(FOLDERS) >= 5


@pytest.mark.parametrize("where", ["meltano.yml", "plugins/extractors/tap-generic-rest.yml"])
def test_meltano_api_options_are_the_folders(where: str) -> None:
    options = _setting(_plugin_definitions()[where], "api")["options"]
    assert [option["value"] for option in options] == FOLDERS
    assert [option["label"] for option in options] == FOLDERS


def test_one_meltano_plugin_per_folder() -> None:
    per_api = [plugin for plugin in _extractors() if plugin.get("inherit_from") == "tap-generic-rest"]
    assert sorted(plugin["config"]["api"] for plugin in per_api) == FOLDERS
    assert all(plugin["load_schema"] == plugin["config"]["api"] for plugin in per_api)


def test_sandbox_serves_every_folder() -> None:
    assert sorted(API_NAMES) == FOLDERS


def test_one_catalog_per_folder() -> None:
    assert sorted(path.stem for path in (ROOT / "catalogs").glob("*.json")) == FOLDERS


def test_secret_settings_are_the_table() -> None:
    assert SECRET_SETTINGS == ("api_key", "password", "access_token", "client_id", "client_secret", "refresh_token",
                               "secret_key")
    declared = CONFIG_SCHEMA["properties"]
    assert [name for name, prop in declared.items() if prop.get("secret")] == list(SECRET_SETTINGS)
    assert set(CREDENTIALS) <= set(declared)


@pytest.mark.parametrize("where", ["meltano.yml", "plugins/extractors/tap-generic-rest.yml"])
def test_meltano_sensitive_settings_are_the_secret_settings(where: str) -> None:
    settings = _plugin_definitions()[where]["settings"]
    assert [setting["name"] for setting in settings if setting.get("sensitive")] == list(SECRET_SETTINGS)
    assert {setting["name"] for setting in settings} >= set(CREDENTIALS)


def test_every_credential_fills_a_field_of_its_auth_type() -> None:
    for name, credential in CREDENTIALS.items():
        for auth_type, field in credential.fills:
            assert field in AUTH_TYPES[auth_type].credential_fields, name
    fills = [pair for credential in CREDENTIALS.values() for pair in credential.fills]
    assert len(fills) == len(set(fills))  # one setting per field


def test_masked_auth_fields() -> None:
    """The auth fields whose values messages mask: every credential field a secret setting (or none) holds."""
    assert {"token", "api_key", "password", "client_secret", "access_token"} <= SECRET_FIELDS
    assert "access_token_url" not in SECRET_FIELDS


def _branches(definition: str) -> list[dict[str, t.Any]]:
    return t.cast("list[dict[str, t.Any]]", FORMAT_SCHEMA["definitions"][definition]["oneOf"])


def _typed_fields(branch: dict[str, t.Any]) -> set[str]:
    """The type names the ``if`` blocks of an object branch give fields to."""
    names: set[str] = set()
    for block in branch["allOf"]:
        condition = block["if"]["properties"]["type"]
        names |= {condition["const"]} if "const" in condition else set(condition["enum"])
    return names


def test_schema_paginator_types_are_the_registry() -> None:
    shorthand, typed = _branches("paginator")
    assert set(typed["properties"]["type"]["enum"]) == set(PAGINATION_TYPES)
    assert set(shorthand["enum"]) <= set(PAGINATION_TYPES)
    assert _typed_fields(typed) == set(PAGINATION_TYPES)


def test_schema_auth_types_are_the_registry() -> None:
    shorthand, _token_only, typed = _branches("auth")
    assert shorthand["enum"] == typed["properties"]["type"]["enum"]
    assert set(shorthand["enum"]) == set(AUTH_TYPES)
    assert _typed_fields(typed) == set(AUTH_TYPES)


def test_schema_allows_every_credential_field() -> None:
    *_, typed = _branches("auth")
    allowed = {block["if"]["properties"]["type"]["const"]: set(block["then"]["properties"]) for block in typed["allOf"]}
    for name, cls in AUTH_TYPES.items():
        assert set(cls.credential_fields) <= allowed[name], name


@pytest.mark.parametrize("name", ["request_timeout", "max_retries", "max_concurrency"])
def test_the_readme_settings_table_says_what_about_says(name: str) -> None:
    """``--about`` (settings.py), the README's table and the Meltano definitions describe a setting alike."""
    description = CONFIG_SCHEMA["properties"][name]["description"]
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, name
    assert rows[0].split(" | ")[3].startswith(description), (rows[0], description)
    for definition in ("meltano.yml", "plugins/extractors/tap-generic-rest.yml"):
        text = (ROOT / definition).read_text(encoding="utf-8")
        assert f"description: {description}" in text, (definition, description)
