"""Fixtures of the unit tests: own API descriptions in tmp_path, taps built on them, sync capture."""

from __future__ import annotations

import json
import typing as t

import pytest
import yaml

from tap_generic_rest.description.load import parse_description
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.description.load import Description

BASE_URL = "https://api.test"
#: Every property a test resource may use; all nullable strings unless a test passes its own schema.
ITEM_PROPERTIES = ("id", "name", "app_id", "updatedAt", "tag")


def object_schema(*names: str, types: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """An object schema whose properties are nullable strings (or ``types[name]``)."""
    types = types or {}
    return {
        "type": "object",
        "properties": {name: types.get(name, {"type": ["string", "null"]}) for name in names},
    }


def build_resource(name: str = "items", path: str = "/items", **fields: t.Any) -> dict[str, t.Any]:
    """A resource of a test description; ``endpoint`` fields other than the path go in ``endpoint=``."""
    endpoint = {"path": path, "data_selector": "data", **fields.pop("endpoint", {})}
    return {"name": name, "primary_key": "id", "schema": "items.json", "endpoint": endpoint, **fields}


@pytest.fixture
def resource() -> t.Callable[..., dict[str, t.Any]]:
    """Build a resource of a test description (see :func:`build_resource`)."""
    return build_resource


@pytest.fixture
def schema() -> t.Callable[..., dict[str, t.Any]]:
    """Build an object schema (see :func:`object_schema`)."""
    return object_schema


@pytest.fixture
def describe(tmp_path: Path) -> t.Callable[..., Description]:
    """A description (no file) of ``resources`` (dlt resource configs); ``client`` adds client keys."""

    def make(*resources: dict[str, t.Any], **client: t.Any) -> Description:
        document = {"client": {"base_url": BASE_URL, **client}, "resources": list(resources)}
        return parse_description(document, origin="(test)", root=tmp_path)

    return make


@pytest.fixture
def write_description(tmp_path: Path) -> t.Callable[..., Path]:
    """Write a description (and its schema files) to tmp_path; return the description's path."""

    def write(
        *resources: dict[str, t.Any],
        auth: dict[str, t.Any] | None = None,
        schemas: t.Mapping[str, dict[str, t.Any]] | None = None,
        **document: t.Any,
    ) -> Path:
        client: dict[str, t.Any] = {"base_url": BASE_URL}
        if auth is not None:
            client["auth"] = auth
        files = {"items.json": object_schema(*ITEM_PROPERTIES), **(schemas or {})}
        for file_name, schema in files.items():
            (tmp_path / file_name).write_text(json.dumps(schema), encoding="utf-8")
        path = tmp_path / "api.yaml"
        path.write_text(yaml.safe_dump({"client": client, "resources": list(resources), **document}), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_tap(write_description: t.Callable[..., Path]) -> t.Callable[..., TapGenericRest]:
    """A tap on an own description; ``config`` adds settings (retries are fast by default)."""

    def make(
        *resources: dict[str, t.Any], config: dict[str, t.Any] | None = None, **description: t.Any
    ) -> TapGenericRest:
        path = write_description(*(resources or (build_resource(),)), **description)
        settings = {"api_description": str(path), "backoff_factor": 0.001, "max_retries": 3, **(config or {})}
        return TapGenericRest(config=settings, parse_env_config=False)

    return make


@pytest.fixture
def records_of(make_tap: t.Callable[..., TapGenericRest]) -> t.Callable[..., list[dict[str, t.Any]]]:
    """The records ``stream.get_records(None)`` yields for a tap on an own description."""

    def collect(*resources: dict[str, t.Any], stream: str = "items", **kwargs: t.Any) -> list[dict[str, t.Any]]:
        tap = make_tap(*resources, **kwargs)
        return list(tap.streams[stream].get_records(None))

    return collect


@pytest.fixture
def sync(capsys: pytest.CaptureFixture[str]) -> t.Callable[[TapGenericRest], dict[str, list[dict[str, t.Any]]]]:
    """Run a full sync; return the emitted records by stream."""

    def run(tap: TapGenericRest) -> dict[str, list[dict[str, t.Any]]]:
        capsys.readouterr()
        tap.sync_all()
        emitted: dict[str, list[dict[str, t.Any]]] = {}
        for line in capsys.readouterr().out.splitlines():
            message = json.loads(line)
            if message["type"] == "RECORD":
                emitted.setdefault(message["stream"], []).append(message["record"])
        return emitted

    return run
