"""Whether a stream's schema already covers a record: the hot path of schema evolution.

A schema is compiled once (per schema object) into nodes: per property the Python types its JSON
types admit, the keys of an object with ``properties``, the node of an array's ``items``. A record
is covered when every key is a property and every value's type is admitted, recursively where the
schema declares nested properties or typed items. For a record of known keys and types that is one
dict look-up and one set membership per value; only nested objects and lists are walked. A schema
without ``type`` (``{}``, ``anyOf``...) admits anything; an object without ``properties`` (or with
``properties: {}``, the inferred and SDK-friendly form of an array item of any keys) is free-form:
one JSON value whose keys are not checked.
"""

from __future__ import annotations

import decimal
import typing as t
from dataclasses import dataclass

from tap_generic_rest.streams.inference import json_type

#: the Python types of parsed JSON values each JSON type admits
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float, decimal.Decimal), "boolean": (bool,),
    "null": (type(None),), "object": (dict,), "array": (list,),
}


@dataclass(frozen=True)
class Node:
    """One compiled property schema."""

    #: the JSON types the schema admits (empty: anything)
    types: frozenset[str]
    #: the Python types those admit at a glance (an integral Decimal for ``integer`` is checked slowly)
    python_types: frozenset[type]
    #: an object's property nodes (None: not an object with declared properties)
    properties: dict[str, Node] | None = None
    #: an array's items node (None: untyped items)
    items: Node | None = None
    #: whether values are walked (declared properties or typed items)
    deep: bool = False

    @property
    def anything(self) -> bool:
        """Whether any value is admitted."""
        return not self.types

    def admits_type(self, value: object) -> bool:
        """Whether the JSON type of ``value`` is one of this node's (integer counts as a number)."""
        if not self.types or type(value) in self.python_types:
            return True
        name = json_type(value) or "null"
        return name in self.types or (name == "integer" and "number" in self.types)


def types_of(schema: dict[str, t.Any]) -> list[str]:
    """A schema's ``type`` as a list (absent: empty)."""
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def compile_node(schema: dict[str, t.Any]) -> Node:
    """The node of one property schema."""
    types = frozenset(types_of(schema))
    python_types = frozenset(kind for name in types for kind in _PYTHON_TYPES.get(name, ()))
    properties = items = None
    if "object" in types and declares_properties(schema):
        properties = {key: compile_node(spec) for key, spec in schema["properties"].items()}
    if "array" in types and isinstance(schema.get("items"), dict) and types_of(schema["items"]):
        items = compile_node(schema["items"])
    return Node(types, python_types, properties, items, deep=properties is not None or items is not None)


def declares_properties(schema: dict[str, t.Any]) -> bool:
    """Whether an object schema lists its keys (an object without properties, or with ``properties: {}``,
    is free-form: any keys)."""
    return isinstance(schema.get("properties"), dict) and bool(schema["properties"])


def compile_root(schema: dict[str, t.Any]) -> dict[str, Node]:
    """The property nodes of a stream schema (its root is always an object)."""
    return {key: compile_node(spec) for key, spec in schema.get("properties", {}).items()}


def covers(properties: dict[str, Node], record: dict[str, t.Any]) -> bool:
    """Whether every key of ``record`` is a property and every value is admitted (recursively)."""
    get = properties.get
    for key, value in record.items():
        node = get(key)
        if node is None:
            return False
        kind = type(value)
        if kind not in node.python_types and not node.admits_type(value):
            return False
        if node.deep and not _covers_deep(node, kind, value):
            return False
    return True


def _covers_deep(node: Node, kind: type, value: t.Any) -> bool:
    if kind is dict:
        return node.properties is None or covers(node.properties, value)
    items = node.items
    if kind is list and items is not None:
        admitted, deep = items.python_types, items.deep
        for item in value:
            item_kind = type(item)
            if (item_kind not in admitted and not items.admits_type(item)) or (
                    deep and not _covers_deep(items, item_kind, item)):
                return False
    return True
