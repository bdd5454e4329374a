"""Every problem of a description at once (for ``tap-generic-rest import``), not only the first.

The shape (``description.schema.json``) is checked in full; then each resource whose shape is right
is normalized and built alone, so one bad resource does not hide another's problem (a client key
with a problem of its own is left out for that); last, when no resource has a problem, the whole
description is loaded (the parent graph, auth). Each problem is
one line: ``path: what is wrong``.
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.description.load import parse_description
from tap_generic_rest.description.normalize import normalize
from tap_generic_rest.description.resource import build_resource
from tap_generic_rest.description.schema import schema_errors
from tap_generic_rest.description.where import Where
from tap_generic_rest.errors import DescriptionError

if t.TYPE_CHECKING:
    from pathlib import Path

_RESOURCES = "resources["
#: the base URL resources are checked against when the client has a problem of its own (reported)
_BARE_URL = "https://api.invalid"


def description_problems(document: object, *, origin: str, root: Path) -> list[str]:
    """Every problem of ``document`` (a parsed description) as ``path: message`` lines; [] when it loads."""
    found = [f"{path or '(top)'}: {message}" for path, message in schema_errors(document)]
    if not isinstance(document, dict) or not all(line.startswith((_RESOURCES, "client")) for line in found):
        return sorted(found, key=_in_document_order)  # the document itself is wrong: no resource can be checked
    doc = t.cast("dict[str, t.Any]", document)
    if any(line.startswith("client") for line in found):  # reported: check the resources without those keys
        doc = {**doc, "client": _without_bad_keys(doc.get("client"), found)}
    resources = list(doc.get("resources") or [])
    for index, raw in enumerate(resources):
        if not any(line.startswith(f"{_RESOURCES}{index}]") for line in found):
            found += _alone(doc, raw, index, origin, root)
    if found:
        return sorted(found, key=_in_document_order)
    try:
        parse_description(document, origin=origin, root=root)
    except DescriptionError as exc:
        return [_line(exc.path, exc.message)]
    return []


def _alone(doc: dict[str, t.Any], raw: object, index: int, origin: str, root: Path) -> list[str]:
    """The problem of one resource normalized and built alone (the graph is checked by the whole load)."""
    where = Where(origin)
    try:
        normalized = normalize({**doc, "resources": [raw]}, where)
        build_resource(index, normalized.resources[0], where.at("resources").item(index), root)
    except DescriptionError as exc:
        path = exc.path.replace(f"{_RESOURCES}0]", f"{_RESOURCES}{index}]", 1)
        return [_line(path, exc.message)]
    return []


def _without_bad_keys(client: object, found: list[str]) -> dict[str, t.Any]:
    """The client without the keys a problem was found in (``client.auth.type: ...`` drops ``auth``)."""
    bad = {re.split(r"[.:\[]", line.removeprefix("client."), maxsplit=1)[0] for line in found
           if line.startswith("client.")}
    kept = {key: value for key, value in client.items() if key not in bad} if isinstance(client, dict) else {}
    if not isinstance(kept.get("base_url"), str):
        kept["base_url"] = _BARE_URL
    return kept


def _in_document_order(line: str) -> tuple[int, int]:
    """Problems outside resources first, then by resource index."""
    if not line.startswith(_RESOURCES):
        return (-1, 0)
    return (int(line[len(_RESOURCES):line.index("]")]), 0)


def _line(path: str, message: str) -> str:
    return f"{path or '(top)'}: {message}"
