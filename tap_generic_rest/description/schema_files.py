"""Schema files of a description (our ``schema`` extension): loaded, checked, made SDK-friendly."""

from __future__ import annotations

import json
import typing as t

import jsonschema

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.description.where import Where


def load_schema(name: str, root: Path, where: Where) -> dict[str, t.Any]:
    """The JSON Schema file ``name`` next to the description (``root``), checked; errors at ``where``."""
    path = root / name
    schema = _read(name, path, where)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise where.error(f"schema file {name!r} is not a valid JSON Schema: {exc.message}") from None
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise where.error(f"schema file {name!r} must be an object schema with properties")
    return t.cast("dict[str, t.Any]", _free_form_objects(schema))


def _read(name: str, path: Path, where: Where) -> t.Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise where.error(f"schema file {name!r} not found next to the description ({path})") from None
    except ValueError as exc:
        raise where.error(f"schema file {name!r} is not valid JSON: {exc}") from None


def _free_form_objects(node: t.Any, *, item: bool = False) -> t.Any:
    """Give every array item object schema without ``properties`` an empty one that keeps all keys.

    The SDK's record conformance needs ``properties`` on objects inside arrays. Other objects without
    ``properties`` stay so: the SDK's flattener keeps them as one JSON column, while it drops an object
    declared with ``properties: {}`` from the SCHEMA and still writes its flattened keys to RECORDs.
    """
    if not isinstance(node, dict):
        return node
    node = {key: (_free_form_objects(value, item=key == "items") if key in {"items", "additionalProperties"}
                  else value)
            for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {key: _free_form_objects(value) for key, value in node["properties"].items()}
    types = node.get("type", [])
    if item and "object" in ([types] if isinstance(types, str) else types) and "properties" not in node:
        node["properties"] = {}
        node.setdefault("additionalProperties", True)
    return node
