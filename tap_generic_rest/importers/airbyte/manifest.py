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
from tap_generic_rest.importers.airbyte.load import read_document, resolve_references
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
    for index, _ in enumerate(manifest.get("dynamic_streams") or []):
        issues.refuse(f"dynamic_streams[{index}]", "dynamic streams are not supported (their streams are only "
                      "known when the connector runs)")
    settings = settings_of(manifest.get("spec"))
    names = setting_names(settings)
    mapped: list[Mapped] = []
    for index, stream in enumerate(manifest.get("streams") or []):
        component = propagate(stream, "DeclarativeSource.streams", {}) if isinstance(stream, dict) else {}
        mapped.append(map_stream(component, f"streams[{index}]", issues, names, path.parent))
    mapped += _hidden_parents(mapped, issues, names, path.parent)
    return _assemble(mapped, settings, issues)


def _hidden_parents(mapped: list[Mapped], issues: Issues, names: t.Mapping[tuple[str, ...], str],
                    root: Path) -> list[Mapped]:
    """Parent streams that are not in ``streams`` (mapped as unselected resources)."""
    known = {item.resource["name"] for item in mapped}
    added: list[Mapped] = []
    queue = [(item.parent, item.parent_path) for item in mapped if item.parent]
    while queue:
        parent, at = queue.pop(0)
        assert parent is not None
        if parent.get("name") in known:
            continue
        known.add(parent.get("name"))
        item = map_stream(parent, at, issues, names, root)
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
            if item.parent and item.parent.get("name") in refused and item.resource["name"] not in refused:
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
