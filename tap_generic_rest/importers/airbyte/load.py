"""An Airbyte declarative manifest read and resolved into plain dicts.

Detection: a YAML/JSON mapping with ``type: DeclarativeSource``, or a ``version`` with ``streams`` or
``dynamic_streams`` (and ``definitions``/``spec``). References are resolved as Airbyte does: a string
``"#/a/b"`` is the value at that path, ``$ref: "#/a/b"`` merges the referenced mapping under the keys
written next to it (those win), references nest, and the older ``*ref(a.b)`` strings are read too.
A cycle or a reference to nothing is one line naming it.
"""

from __future__ import annotations

import re
import typing as t

import yaml

from tap_generic_rest.errors import UserError
from tap_generic_rest.importers.files import read_source

if t.TYPE_CHECKING:
    from pathlib import Path

REF = "$ref"
_OLD_REF = re.compile(r"^\*ref\(([^)]*)\)$")
#: Airbyte's fields that hold connector config, not components (a "#/..." there is a value)
_CONFIG_VALUES = frozenset({"config_overrides"})


class ManifestError(UserError):
    """The manifest cannot be read or its references cannot be resolved."""


def read_document(path: Path) -> object:
    """The parsed YAML/JSON of ``path``; one-line errors."""
    text = read_source(path, ManifestError)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ManifestError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def is_manifest(document: object) -> bool:
    """Whether ``document`` is an Airbyte declarative manifest."""
    if not isinstance(document, dict):
        return False
    if document.get("type") == "DeclarativeSource":
        return True
    has_streams = "streams" in document or "dynamic_streams" in document
    return "version" in document and has_streams and ("definitions" in document or "spec" in document)


def resolve_references(manifest: dict[str, t.Any]) -> dict[str, t.Any]:
    """The manifest with every ``$ref``, ``"#/..."`` and ``*ref(...)`` replaced by what it names."""
    return t.cast("dict[str, t.Any]", _Resolver(manifest).node(manifest, ()))


class _Resolver:
    def __init__(self, manifest: dict[str, t.Any]) -> None:
        self.manifest = manifest

    def node(self, value: object, seen: tuple[str, ...]) -> object:
        if isinstance(value, dict):
            own = {key: (item if key in _CONFIG_VALUES else self.node(item, seen))
                   for key, item in value.items() if key != REF}
            if REF not in value:
                return own
            target = self.node(value[REF], seen)
            return {**target, **own} if isinstance(target, dict) else target
        if isinstance(value, list):
            return [self.node(item, seen) for item in value]
        if isinstance(value, str) and (pointer := _pointer(value)) is not None:
            if value in seen:
                raise ManifestError(f"the reference {value!r} refers to itself (through {' -> '.join(seen)})")
            return self.node(self.lookup(pointer, value), (*seen, value))
        return value

    def lookup(self, pointer: list[str], ref: str) -> object:
        """The value at ``pointer``; a key may itself hold a ``/`` (Airbyte tries the longest key first)."""
        found = _walk(self.manifest, pointer)
        if found is _MISSING:
            raise ManifestError(f"the reference {ref!r} names nothing in the manifest")
        return found


_MISSING = object()


def _walk(node: object, parts: list[str]) -> object:
    if not parts:
        return node
    for size in range(len(parts), 0, -1):
        key = "/".join(parts[:size])
        if isinstance(node, dict) and key in node:
            found = _walk(node[key], parts[size:])
            if found is not _MISSING:
                return found
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            found = _walk(node[int(key)], parts[size:])
            if found is not _MISSING:
                return found
    return _MISSING


def _pointer(value: str) -> list[str] | None:
    """The path a reference string names (``#/a/b`` or ``*ref(a.b)``), or None."""
    if value.startswith("#/"):
        return value[2:].split("/")
    match = _OLD_REF.match(value)
    return match.group(1).split(".") if match else None
