"""dlt ``columns`` hints on a resource: ``primary_key``, ``data_type`` and ``nullable``.

Hints are a dict by column name or a list of hint dicts with ``name``. ``data_type`` and ``nullable``
set the column's property in the stream's JSON schema, declared or inferred alike (a hinted column
the schema lacks is added); other hints (``partition``, ...) are dlt's loader's and are ignored.
"""

from __future__ import annotations

import copy
import typing as t

#: dlt data type -> the JSON schema of the property (without ``null``)
DATA_TYPES: dict[str, dict[str, t.Any]] = {
    "text": {"type": ["string"]},
    "bigint": {"type": ["integer"]},
    "double": {"type": ["number"]},
    "decimal": {"type": ["number"]},
    "wei": {"type": ["number"]},
    "bool": {"type": ["boolean"]},
    "timestamp": {"type": ["string"], "format": "date-time"},
    "date": {"type": ["string"], "format": "date"},
    "time": {"type": ["string"], "format": "time"},
    "json": {"type": ["object", "array"]},  # no properties: one JSON column
    "binary": {"type": ["string"]},
}

Hints = dict[str, dict[str, t.Any]]


def column_hints(columns: object) -> Hints:
    """The hints by column name (the list form keyed by each hint dict's ``name``)."""
    if isinstance(columns, dict):
        items = list(columns.items())
    elif isinstance(columns, list):
        items = [(c.get("name"), c) for c in columns if isinstance(c, dict)]
    else:
        items = []
    return {str(name): dict(hints) for name, hints in items if name is not None and isinstance(hints, dict)}


def column_keys(hints: Hints) -> list[str]:
    """The columns hinted ``primary_key: true``."""
    return [name for name, hint in hints.items() if hint.get("primary_key")]


def hint_errors(hints: Hints) -> list[tuple[str, str]]:
    """(column, message) for each hint the tap cannot apply."""
    errors = []
    for name, hint in hints.items():
        data_type = hint.get("data_type")
        if data_type is not None and data_type not in DATA_TYPES:
            errors.append((name, f"data_type {data_type!r} is not one of: {', '.join(DATA_TYPES)}"))
        if "nullable" in hint and not isinstance(hint["nullable"], bool):
            errors.append((name, f"nullable must be true or false, not {hint['nullable']!r}"))
    return errors


def apply_hints(schema: dict[str, t.Any], hints: Hints) -> dict[str, t.Any]:
    """``schema`` with each hinted column's ``data_type`` and ``nullable`` applied (a new dict)."""
    typed = {name: hint for name, hint in hints.items() if "data_type" in hint or "nullable" in hint}
    if not typed:
        return schema
    result = copy.deepcopy(schema)
    properties = result.setdefault("properties", {})
    for name, hint in typed.items():
        prop = properties.get(name, {})
        if "data_type" in hint:
            prop = copy.deepcopy(DATA_TYPES[hint["data_type"]])
        properties[name] = _with_nullable(prop, hint.get("nullable", True))
    return result


def _with_nullable(prop: dict[str, t.Any], nullable: bool) -> dict[str, t.Any]:
    """``prop`` with ``null`` in (or out of) its type; an untyped property stays untyped."""
    if "type" not in prop:
        return prop
    declared = prop["type"]
    types = [declared] if isinstance(declared, str) else list(declared)
    types = [name for name in types if name != "null"] + (["null"] if nullable else [])
    return {**prop, "type": types}
