"""Schema loaders -> the resource's ``schema`` file (written with ``--schemas-dir``), and ``primary_key``.

``InlineSchemaLoader`` gives the schema itself; ``JsonFileSchemaLoader`` a file read relative to the
manifest (its ``file_path``, else ``schemas/<stream>.json``). With ``--schemas-dir DIR`` each is written to
``DIR/<stream>.json`` and the resource gets ``schema: DIR/<stream>.json``; without it the schema is inferred
at discovery (noted once).
"""

from __future__ import annotations

import json
import re
import typing as t

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.importers.airbyte.context import Stream


def load_schema(loader: object, stream: Stream, path: str, root: Path) -> dict[str, t.Any] | None:
    """The stream's JSON schema (None: none given, or refused)."""
    if not isinstance(loader, dict):
        return None
    kind = loader.get("type")
    if kind == "InlineSchemaLoader":
        schema = loader.get("schema")
        return schema if isinstance(schema, dict) and schema else None
    if kind == "JsonFileSchemaLoader":
        text = str(loader.get("file_path") or f"schemas/{stream.name}.json")
        text = re.sub(r"\{\{\s*parameters(?:\.name|\[['\"]name['\"]\])\s*\}\}", stream.name, text)
        candidates = [root / text, root / "schemas" / f"{stream.name}.json"]
        found = next((candidate for candidate in candidates if candidate.is_file()), None)
        if found is None:
            stream.warn(path, f"the schema file {text} is not next to the manifest; the schema is inferred at "
                        "discovery")
            return None
        try:
            return t.cast("dict[str, t.Any]", json.loads(found.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            stream.refuse(path, f"the schema file {found} cannot be read: {exc}")
            return None
    if kind == "DynamicSchemaLoader":
        stream.warn(path, "DynamicSchemaLoader: the schema is inferred at discovery instead")
        return None
    stream.refuse(path, f"{kind} is not supported")
    return None


def primary_key(value: object, stream: Stream, path: str) -> str | list[str] | None:
    """``primary_key``: a field, or a list of fields (a nested key path is refused)."""
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        fields = []
        for item in value:
            if isinstance(item, list):
                if len(item) != 1:
                    stream.refuse(path, f"the nested key path {item} is not supported (a top-level field is)")
                    return None
                item = item[0]  # noqa: PLW2901
            fields.append(str(item))
        return fields[0] if len(fields) == 1 else fields
    stream.refuse(path, f"primary_key {value!r} is not supported")
    return None
