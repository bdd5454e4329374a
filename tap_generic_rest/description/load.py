"""API descriptions: read, validated, normalized and built into the typed model in one pass.

Everything that can be checked is checked here, before any request: the document's shape
(``description.schema.json``, see ``schema``), resource names, schema files, keys, the parent graph
(unknown parents, cycles), every placeholder's source, templates, selectors and stop conditions.
Every problem is a :class:`DescriptionError` naming the exact place (one :class:`Where`: the file
and the path, e.g. ``resources[2].endpoint.paginator.type``) and the fix.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import replace
from pathlib import Path

import yaml

from tap_generic_rest.apis import BUILTIN_APIS, builtin_path
from tap_generic_rest.description.decoding import check_body_rules
from tap_generic_rest.description.error_handler import build_error_handler
from tap_generic_rest.description.graph import children_of
from tap_generic_rest.description.model import Description, Endpoint, Parent, Resource
from tap_generic_rest.description.normalize import normalize
from tap_generic_rest.description.resource import build_resource
from tap_generic_rest.description.schema import schema_error
from tap_generic_rest.description.setting_reads import bare_reads
from tap_generic_rest.description.shaping import check_keys
from tap_generic_rest.description.where import Where
from tap_generic_rest.expressions.conditions import EVERY_VARIABLE
from tap_generic_rest.expressions.templating import compile_tree, referenced_keys
from tap_generic_rest.http.auth import build_auth

#: The most values a YAML description may expand to through anchors and aliases.
MAX_YAML_NODES = 100_000

__all__ = ["BUILTIN_APIS", "Description", "Endpoint", "Parent", "Resource", "builtin_path", "load_description",
           "parse_description"]


def load_description(path: Path | str, origin: str | None = None) -> Description:
    """Read, validate and check the description file at ``path`` (``origin`` names it in errors)."""
    path = Path(path)
    where = Where(origin or str(path))
    return parse_description(_read(path, where), origin=where.file, root=path.parent)


def _read(path: Path, where: Where) -> object:
    """The YAML (or, by its suffix, JSON) document in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise where.error(f"cannot read the file ({exc.strerror})") from None
    try:
        return json.loads(text) if path.suffix == ".json" else _bounded_yaml(text, where)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        detail = " ".join(str(exc).replace('"<unicode string>"', path.name).split())
        raise where.error(f"not valid {kind}: {detail}") from None


def _bounded_yaml(text: str, where: Where) -> object:
    """The YAML document, refused when its anchors and aliases expand past :data:`MAX_YAML_NODES`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        expanded = _expanded_size(node, {})
        if expanded > MAX_YAML_NODES:
            raise where.error(f"the YAML expands to more than {MAX_YAML_NODES:,} values through its anchors and "
                              "aliases (&name / *name); a description that large is refused (billion laughs?)")
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node | None, sizes: dict[int, int]) -> int:
    """Values in ``node`` once every alias is expanded (a shared node counted at each use; stops growing early)."""
    if node is None:
        return 0
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a recursive alias counts once
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1
        for child in children:
            total += _expanded_size(child, sizes)
            if total > MAX_YAML_NODES:
                break
        sizes[id(node)] = total
    return sizes[id(node)]


def _check_parent_fields(built: list[Resource], where: Where) -> None:
    """No parent's ``remove_fields`` removes a field its children read from each of its records."""
    by_name = {resource.name: resource for resource in built}
    for resource in built:
        parent = by_name.get(resource.parent.resource) if resource.parent is not None else None
        if parent is not None and resource.parent is not None:
            reads = {field: f"the field {field!r} child resource {resource.name!r} reads from each record"
                     for field in resource.parent.fields.values()}
            check_keys(parent.shaping, reads, "its children could not be requested; remove the pointer",
                       where.item(parent.index))


def _check_client_rules(client: dict[str, t.Any], built: list[Resource], where: Where) -> None:
    """The client's error rules, on every streamed endpoint that has no rules of its own, read no 2xx body."""
    filters = (client.get("error_handler") or {}).get("response_filters") or ()
    for resource in built:
        decoder = resource.endpoint.decoder
        if decoder.streams and decoder.type != "json" and resource.endpoint.error_handler.filters is None:
            check_body_rules(filters, decoder, where, whose=f" of resource {resource.name!r}")


def parse_description(document: object, *, origin: str, root: Path) -> Description:
    """Validate a dlt rest_api config (plus extensions), normalize it and build its resources."""
    where = Where(origin)
    error = schema_error(document)
    if error is not None:
        raise Where(origin, error[0]).error(error[1])
    doc = t.cast("dict[str, t.Any]", document)
    if "name" in (doc.get("resource_defaults") or {}):
        raise where.at("resource_defaults").error("unknown field(s) 'name' (dlt refuses it too); defaults apply "
                                                  "to every resource, each names itself")
    normalized = normalize(doc, where)
    built = [build_resource(index, raw, where.at("resources").item(index), root)
             for index, raw in enumerate(normalized.resources)]
    _check_parent_fields(built, where.at("resources"))
    _check_client_rules(doc["client"], built, where.at("client.error_handler.response_filters"))
    children = children_of(built, where)
    client = doc["client"]
    return Description(
        origin=origin,
        base_url=client["base_url"],
        auth=build_auth(normalized.client_auth),
        headers=t.cast("dict[str, t.Any]", compile_tree(dict(client.get("headers", {})))),
        resources=tuple(replace(resource, children=children[resource.name]) for resource in built),
        settings=frozenset(referenced_keys(doc, "config", EVERY_VARIABLE)),
        setting_reads=bare_reads(client.get("headers"), where.at("client.headers")),
        error_handler=build_error_handler(client.get("error_handler"), where.at("client.error_handler")),
    )
