"""A whole manifest -> our description: streams mapped, the shared client chosen, refusals gathered.

The client's ``base_url`` is the ``url_base`` most streams use (a stream on another base gets its full URL
as its path); ``client.auth`` is the authenticator when every stream has the same one (else each endpoint
has its own). A parent stream that is not one of ``streams`` is added as a resource with ``selected:
false``. Top-level options a Singer tap does not need are warned about once each; ``dynamic_streams``
are refused (their streams are only known at run time).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import typing as t

from tap_generic_rest.importers.airbyte.context import Issues
from tap_generic_rest.importers.airbyte.load import ManifestError, read_document, resolve_references
from tap_generic_rest.importers.airbyte.parameters import propagate
from tap_generic_rest.importers.airbyte.spec import Setting, setting_names, settings_of
from tap_generic_rest.importers.airbyte.streams import Mapped, map_stream

if t.TYPE_CHECKING:
    from pathlib import Path

#: top-level keys a Singer tap does not need -> why (one warning each)
IGNORED = {"concurrency_level": "the tap's max_concurrency setting applies",
           "api_budget": "the tap follows the API's rate-limit headers and Retry-After",
           "metadata": "Airbyte's connector metadata", "check": "the tap checks a connection by --discover",
           "stream_groups": "streams run on their own", "description": "not needed",
           "max_concurrent_async_job_count": "report jobs run one at a time per stream"}
_SHAPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError)
_KNOWN = frozenset({"version", "type", "streams", "dynamic_streams", "definitions", "schemas", "spec", *IGNORED})


@dataclasses.dataclass
class Imported:
    """The result of one import."""

    description: dict[str, t.Any]
    schemas: dict[str, dict[str, t.Any]]
    settings: list[Setting]
    issues: Issues
    skipped: list[str]


def import_manifest(path: Path, document: object | None = None) -> Imported:
    """Map the manifest at ``path``; refusals are in ``issues`` (nothing is raised for them)."""
    raw = read_document(path) if document is None else document
    manifest = resolve_references(t.cast("dict[str, t.Any]", raw))
    issues = Issues()
    for key in manifest:
        if key in IGNORED:
            issues.warn(key, f"ignored ({IGNORED[key]})")
        elif key not in _KNOWN:
            issues.refuse(key, f"the top-level key {key!r} is not supported")
    for index, _ in enumerate(_list(manifest, "dynamic_streams")):
        issues.refuse(f"dynamic_streams[{index}]", "dynamic streams are not supported (their streams are only "
                      "known when the connector runs)")
    try:
        settings = settings_of(manifest.get("spec"))
    except _SHAPE_ERRORS as exc:
        raise ManifestError(f"{path}: spec: {_shape(exc)}") from None
    names = setting_names(settings)
    mapped: list[Mapped] = []
    for index, stream in enumerate(_list(manifest, "streams")):
        mapped.append(_guarded(stream, f"streams[{index}]", issues, names, path.parent))
    mapped += _hidden_parents(mapped, issues, names, path.parent)
    return _assemble(mapped, settings, issues)


def _list(manifest: dict[str, t.Any], key: str) -> list[t.Any]:
    value = manifest.get(key) or []
    if not isinstance(value, list):
        raise ManifestError(f"{key}: a list is expected, not {type(value).__name__}")
    return value


def _guarded(stream: object, at: str, issues: Issues, names: t.Mapping[tuple[str, ...], str],
             root: Path, *, propagated: bool = False) -> Mapped:
    """One stream mapped; a component of a shape Airbyte's schema does not allow refuses the stream."""
    name = str(stream.get("name") or "") if isinstance(stream, dict) else ""
    try:
        if not isinstance(stream, dict):
            raise TypeError(f"a stream is a mapping, not {type(stream).__name__}")
        component = stream if propagated else propagate(stream, "DeclarativeSource.streams", {})
        return map_stream(component, at, issues, names, root)
    except _SHAPE_ERRORS as exc:
        issues.refuse(at, _shape(exc))
        return Mapped({"name": name or at}, "", None, None, None, refused=True)


def _shape(exc: Exception) -> str:
    return f"a component does not have the shape Airbyte's schema gives it ({type(exc).__name__}: {exc})"


def _hidden_parents(mapped: list[Mapped], issues: Issues, names: t.Mapping[tuple[str, ...], str],
                    root: Path) -> list[Mapped]:
    """Parent streams that are not in ``streams`` (mapped as unselected resources)."""
    known = {item.resource["name"] for item in mapped}
    added: list[Mapped] = []
    queue = [(item.parent, item.parent_path) for item in mapped if item.parent]
    while queue:
        parent, at = queue.pop(0)
        assert parent is not None
        if str(parent.get("name")) in known:
            continue
        known.add(str(parent.get("name")))
        item = _guarded(parent, at, issues, names, root, propagated=True)
        item.resource["selected"] = False
        added.append(item)
        if item.parent:
            queue.append((item.parent, item.parent_path))
    return added


def _assemble(mapped: list[Mapped], settings: list[Setting], issues: Issues) -> Imported:
    refused = {item.resource["name"] for item in mapped if item.refused}
    skipped = [f"stream {name!r} (refused above)" for name in sorted(refused)]
    changed = True
    while changed:  # a child of a left-out parent is left out too
        changed = False
        for item in mapped:
            if item.parent and str(item.parent.get("name")) in refused and item.resource["name"] not in refused:
                refused.add(item.resource["name"])
                skipped.append(f"stream {item.resource['name']!r} (its parent {item.parent.get('name')!r} is left out)")
                changed = True
    kept = [item for item in mapped if item.resource["name"] not in refused]
    bases = collections.Counter(item.url_base for item in kept if item.url_base and "{{" not in item.url_base)
    base = bases.most_common(1)[0][0] if bases else ""
    auths = {json.dumps(item.auth, sort_keys=True) for item in kept}
    client: dict[str, t.Any] = {"base_url": base or "https://example.invalid"}
    if len(auths) == 1 and kept and kept[0].auth:
        client["auth"] = kept[0].auth
    resources = []
    for item in kept:
        endpoint = item.resource.get("endpoint")
        if endpoint is not None and item.url_base and item.url_base != base:
            endpoint["path"] = _join(item.url_base, str(endpoint.get("path") or ""))
        if item.auth and "auth" not in client:
            item.resource.setdefault("endpoint", {})["auth"] = item.auth
        resources.append(item.resource)
    description = {"client": client, "resources": resources}
    schemas = {item.resource["name"]: item.schema for item in kept if item.schema}
    return Imported(description, schemas, settings, issues, skipped)


def _join(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/") if path else base
