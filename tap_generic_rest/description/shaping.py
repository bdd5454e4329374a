"""Record shaping and filtering (``record_filter``, ``add_fields``, ``remove_fields``): read, checked, and
applied to a declared schema.

Everything is compiled here, before any request: the filter is a condition over ``record`` (and
the partition, the response, the settings), every added value a template or a literal, every
removed pointer a path. A pointer that would remove a primary key or the replication key is
refused. :func:`shaped_schema` gives the schema a stream emits: added fields declared (typed by
``value_type``; without it a literal keeps its JSON type and a template is text), removed ones gone.
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass

from tap_generic_rest.expressions.conditions import RECORD_VARIABLES, ContextCondition
from tap_generic_rest.expressions.templating import compile_string

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

#: value_type -> its JSON Schema type
VALUE_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}
#: a YAML literal's JSON type (anything else: text)
_LITERAL_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number"}


@dataclass(frozen=True)
class AddedField:
    """One ``add_fields`` entry: where the value goes, the value (a literal or a Template), its type."""

    path: tuple[str, ...]
    value: object
    value_type: str | None = None

    @property
    def json_type(self) -> str:
        """The JSON type of its values: ``value_type``; else a literal's own type; a template's is text."""
        if self.value_type:
            return VALUE_TYPES[self.value_type]
        return _LITERAL_TYPES.get(type(self.value), "string")


@dataclass(frozen=True)
class Shaping:
    """A resource's record shaping, applied in this order: filter, add, remove."""

    record_filter: ContextCondition | None = None
    added: tuple[AddedField, ...] = ()
    removed: tuple[tuple[str, ...], ...] = ()

    @property
    def active(self) -> bool:
        """Whether records are shaped at all."""
        return bool(self.record_filter or self.added or self.removed)


def build_shaping(raw: t.Mapping[str, t.Any], where: Where) -> Shaping:
    """The shaping keys of a (normalized) resource, compiled; a bad template fails at its exact place."""
    record_filter = None
    if raw.get("record_filter") is not None:
        record_filter = where.at("record_filter").checked(
            lambda: ContextCondition(raw["record_filter"], RECORD_VARIABLES))
    added = tuple(_added(spec, where.at("add_fields").item(index))
                  for index, spec in enumerate(raw.get("add_fields") or ()))
    removed = tuple(tuple(pointer) for pointer in raw.get("remove_fields") or ())
    return Shaping(record_filter, added, removed)


def _added(spec: t.Mapping[str, t.Any], where: Where) -> AddedField:
    value = spec["value"]
    if isinstance(value, str):
        value = where.at("value").checked(lambda: compile_string(value, None, RECORD_VARIABLES))
    return AddedField(tuple(spec["path"]), value, spec.get("value_type"))



def check_keys(shaping: Shaping, keys: t.Mapping[str, str], fix: str, where: Where) -> None:
    """No ``remove_fields`` pointer removes a key (``keys``: key path -> what it is, e.g. the primary key 'id')."""
    for index, pointer in enumerate(shaping.removed):
        for key, what in keys.items():
            parts = tuple(key.split("."))
            if parts[:len(pointer)] == pointer:
                raise where.at("remove_fields").item(index).error(f"removes {'.'.join(pointer)!r}, {what}; {fix}")


def shaped_schema(schema: dict[str, t.Any], shaping: Shaping) -> dict[str, t.Any]:
    """``schema`` with the added fields declared and the removed ones gone (a copy)."""
    if not (shaping.added or shaping.removed):
        return schema
    shaped = copy.deepcopy(schema)
    for field in shaping.added:
        _declare(shaped, field.path, {"type": [field.json_type, "null"]})
    for pointer in shaping.removed:
        _undeclare(shaped, pointer)
    return shaped


def _declare(schema: dict[str, t.Any], path: tuple[str, ...], spec: dict[str, t.Any]) -> None:
    node = schema
    for name in path[:-1]:
        properties = node.setdefault("properties", {})
        child = properties.get(name)
        if child is None:
            child = properties[name] = {"type": ["object", "null"], "properties": {}}
        elif "properties" not in child:
            return  # a free-form object admits any key
        node = child
    node.setdefault("properties", {})[path[-1]] = spec


def _undeclare(schema: dict[str, t.Any], pointer: tuple[str, ...]) -> None:
    node: t.Any = schema
    for name in pointer[:-1]:
        node = node.get("properties", {}).get(name)
        if not isinstance(node, dict):
            return
    properties = node.get("properties")
    if isinstance(properties, dict):
        properties.pop(pointer[-1], None)
        required = node.get("required")
        if isinstance(required, list) and pointer[-1] in required:
            node["required"] = [name for name in required if name != pointer[-1]]
