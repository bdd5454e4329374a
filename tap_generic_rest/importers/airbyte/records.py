"""Records: ``RecordSelector`` + ``DpathExtractor`` -> ``data_selector``; ``RecordFilter`` -> ``record_filter``;
``AddFields`` -> ``add_fields``; ``RemoveFields`` -> ``remove_fields``.

``field_path: [data, items]`` -> ``data.items``; ``[]`` -> ``$`` (the whole response); a ``*`` -> JSONPath
``$.data[*].items``. Airbyte filters before it transforms (unless ``transform_before_filtering``), which is
our order too (filter, add, remove).
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.importers.airbyte.context import custom_refusal, is_custom
from tap_generic_rest.importers.airbyte.expressions import translate_string
from tap_generic_rest.importers.airbyte.requesters import translate
from tap_generic_rest.importers.airbyte.variables import Scope, Unmappable

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_RECORD_VARIABLES = frozenset({"record", "response"})
_VALUE_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}


def map_selector(selector: object, stream: Stream, path: str) -> str | None:
    """The ``data_selector`` (None after a refusal)."""
    if not isinstance(selector, dict):
        stream.refuse(path, "a record_selector is required")
        return None
    stream.check_options(selector, path, ("extractor", "record_filter", "transform_before_filtering"),
                         {"schema_normalization": "a Singer target types values by the schema"})
    extractor = selector.get("extractor") or {}
    if is_custom(extractor):
        custom_refusal(stream, extractor, f"{path}.extractor")
        return None
    if extractor.get("type") != "DpathExtractor":
        stream.refuse(f"{path}.extractor", f"{extractor.get('type')} is not supported (DpathExtractor is)")
        return None
    stream.check_options(extractor, f"{path}.extractor", ("field_path",))
    keys = []
    scope = Scope(stream, extractor.get("$parameters") or {})
    field_path = extractor.get("field_path") or []
    if isinstance(field_path, str):  # "{{ parameters.x }}" holding a list
        try:
            field_path = translate_string(field_path, scope)
        except Unmappable as exc:
            stream.refuse(f"{path}.extractor.field_path", str(exc))
            return None
    for index, key in enumerate(field_path if isinstance(field_path, list) else [field_path]):
        try:
            value = translate_string(str(key), scope)
        except Unmappable as exc:
            stream.refuse(f"{path}.extractor.field_path[{index}]", str(exc))
            return None
        if "{" in str(value):
            stream.refuse(f"{path}.extractor.field_path[{index}]", f"{key!r}: a field path must be fixed at import")
            return None
        keys.append(str(value))
    return _jsonpath(keys)


def _jsonpath(keys: list[str]) -> str:
    if not keys:
        return "$"
    if "*" not in keys and all(re.fullmatch(r"[A-Za-z_]\w*", key) for key in keys):
        return ".".join(keys)
    parts = ["[*]" if key == "*" else f".{key}" if re.fullmatch(r"[A-Za-z_]\w*", key) else f"['{key}']"
             for key in keys]
    return "$" + "".join(parts)


def map_filter(selector: object, stream: Stream, path: str) -> str | None:
    """``record_filter``: the condition as a template over ``record`` (None: no filter or refused)."""
    record_filter = selector.get("record_filter") if isinstance(selector, dict) else None
    if not isinstance(record_filter, dict):
        return None
    if is_custom(record_filter):
        custom_refusal(stream, record_filter, f"{path}.record_filter")
        return None
    stream.check_options(record_filter, f"{path}.record_filter", ("condition",))
    scope = Scope(stream, record_filter.get("$parameters") or {}, variables=_RECORD_VARIABLES)
    value = translate(str(record_filter.get("condition") or ""), scope, f"{path}.record_filter.condition")
    return str(value) if value else None


def map_transformations(transformations: object, stream: Stream, path: str) -> dict[str, t.Any]:
    """``add_fields`` and ``remove_fields`` from a stream's ``transformations`` (in order: adds, then removes)."""
    result: dict[str, t.Any] = {}
    seen_remove = False
    for index, item in enumerate(transformations if isinstance(transformations, list) else []):
        at = f"{path}[{index}]"
        kind = item.get("type") if isinstance(item, dict) else None
        if is_custom(item):
            custom_refusal(stream, item, at)
        elif kind == "AddFields":
            if seen_remove:
                stream.refuse(at, "AddFields after RemoveFields is not supported (fields are added, then removed)")
            result.setdefault("add_fields", []).extend(_add_fields(item, stream, at))
        elif kind == "RemoveFields":
            seen_remove = True
            stream.check_options(item, at, ("field_pointers",))
            if item.get("condition"):
                stream.refuse(f"{at}.condition", "a conditional RemoveFields is not supported")
            result.setdefault("remove_fields", []).extend([str(p) for p in pointer] if isinstance(pointer, list)
                                                          else [str(pointer)]
                                                          for pointer in item.get("field_pointers") or [])
        else:
            stream.refuse(at, f"the transformation {kind} is not supported (AddFields and RemoveFields are)")
    return result


def _add_fields(item: dict[str, t.Any], stream: Stream, path: str) -> list[dict[str, t.Any]]:
    stream.check_options(item, path, ("fields",))
    if item.get("condition"):
        stream.refuse(f"{path}.condition", "a conditional AddFields is not supported")
    fields = []
    for index, field in enumerate(item.get("fields") or []):
        at = f"{path}.fields[{index}]"
        stream.check_options(field, at, ("path", "value", "value_type"))
        scope = Scope(stream, field.get("$parameters") or {}, variables=_RECORD_VARIABLES, placeholders=False)
        added: dict[str, t.Any] = {"path": [str(part) for part in field.get("path") or []],
                                   "value": translate(field.get("value"), scope, f"{at}.value")}
        kind = field.get("value_type")
        if kind:
            if kind not in _VALUE_TYPES:
                stream.refuse(f"{at}.value_type", f"value_type {kind!r} is not supported")
            added["value_type"] = _VALUE_TYPES.get(str(kind), str(kind))
        fields.append(added)
    return fields
