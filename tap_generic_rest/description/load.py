"""API descriptions: loading, checking and building the typed model (``description_model``).

Everything that can be checked is checked here, before any request: the document's shape
(``description.schema.json``, see ``description_schema``), resource names, schema files, keys, the
parent graph (unknown parents, cycles), every placeholder's source, templates, selectors and stop
conditions. Every
problem is a :class:`DescriptionError` naming the exact path, e.g.
``resources[2].endpoint.paginator.type``, and the fix.
"""

from __future__ import annotations

import json
import logging
import typing as t
from pathlib import Path

import yaml

from tap_generic_rest.description.columns import apply_hints, column_hints, column_keys, hint_errors
from tap_generic_rest.description.incremental import incremental_spec
from tap_generic_rest.description.model import Description, Endpoint, Parent, Resource
from tap_generic_rest.description.normalize import normalize, normalize_auth
from tap_generic_rest.description.relationships import Relationship
from tap_generic_rest.description.schema import schema_error
from tap_generic_rest.description.schema_files import load_schema
from tap_generic_rest.errors import DescriptionError, UserError
from tap_generic_rest.expressions.selectors import Selector, SelectorSyntaxError
from tap_generic_rest.expressions.templating import Template, compile_tree, referenced_keys, referenced_slice_keys
from tap_generic_rest.http.auth import build_auth
from tap_generic_rest.pagination.registry import build_pagination

__all__ = ["BUILTIN_APIS", "Description", "Endpoint", "Parent", "Resource", "builtin_path", "load_description",
           "parse_description"]

LOGGER = logging.getLogger("tap-generic-rest")
APIS_DIR = Path(__file__).parent.parent / "apis"
BUILTIN_APIS = ("avatars", "webhooks", "marketing", "support", "oauth_offset")


def builtin_path(api: str) -> Path:
    """The description file of a built-in API."""
    if api not in BUILTIN_APIS:
        msg = f"unknown api {api!r}; use one of: {', '.join(BUILTIN_APIS)}, or set api_description"
        raise UserError(msg)
    return APIS_DIR / api / "api.yaml"


def load_description(path: Path | str, origin: str | None = None) -> Description:
    """Read, validate and check the description file at ``path``."""
    path = Path(path)
    origin = origin or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DescriptionError(origin, "", f"cannot read the file ({exc.strerror})") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        detail = " ".join(str(exc).replace('"<unicode string>"', path.name).split())
        raise DescriptionError(origin, "", f"not valid {kind}: {detail}") from None
    return parse_description(document, origin=origin, root=path.parent)


def parse_description(document: object, *, origin: str, root: Path) -> Description:
    """Validate a dlt rest_api config (plus extensions) and build its resources."""
    error = schema_error(document)
    if error is not None:
        raise DescriptionError(origin, *error)
    doc = t.cast("dict[str, t.Any]", document)
    if "name" in (doc.get("resource_defaults") or {}):
        raise DescriptionError(origin, "resource_defaults", "unknown field(s) 'name' (dlt refuses it too); "
                               "defaults apply to every resource, each names itself")
    client = doc["client"]
    client_auth = build_auth(normalize_auth(client.get("auth"), "client.auth", origin))
    resources = [_build_resource(index, raw, origin, root) for index, raw in enumerate(normalize(doc, origin))]
    _check_graph(resources, origin)
    return Description(
        origin=origin,
        base_url=client["base_url"],
        auth=client_auth,
        headers=t.cast("dict[str, t.Any]", compile_tree(dict(client.get("headers", {})))),
        resources=tuple(resources),
        settings=frozenset(referenced_keys(doc, "config")),
    )


def _build_resource(index: int, raw: dict[str, t.Any], origin: str, root: Path) -> Resource:
    where = f"resources[{index}]"

    def fail(sub: str, message: str) -> t.NoReturn:
        raise DescriptionError(origin, f"{where}.{sub}", message)

    relation = Relationship(raw, where, origin)
    endpoint_raw = raw["endpoint"]
    columns = column_hints(raw.get("columns"))
    for column, message in hint_errors(columns):
        fail(f"columns.{column}", message)
    key = raw.get("primary_key", ()) or column_keys(columns)
    primary_key = tuple([key] if isinstance(key, str) else key)
    schema = (apply_hints(load_schema(raw["schema"], root, lambda m: fail("schema", m)), columns)
              if "schema" in raw else None)
    incremental, params = incremental_spec(endpoint_raw, lambda sub, m: fail(f"endpoint.{sub}", m),
                                           f"{origin}: {where}.endpoint")
    replication_key = incremental["cursor_path"] if incremental else None
    records = raw.get("records", {})
    parent = (Parent(relation.parent, dict(relation.fields), tuple(relation.added))
              if relation.parent else None)
    if schema is not None:
        properties = schema.get("properties", {})
        for name in (*primary_key, *([replication_key] if replication_key else []), *(parent.added if parent else ())):
            if name not in properties:
                fail("schema", f"{name!r} is a key or an added field but not a property of {raw['schema']}; "
                     f"properties: {', '.join(properties) or 'none'}")
    sources = set(parent.fields) if parent else set()
    for part in ("path", "params", "json", "data", "headers"):
        for name in sorted(referenced_slice_keys(endpoint_raw.get(part))):
            if name not in sources:
                known = f"the context has: {', '.join(sorted(sources))}" if sources else "this resource has no parent"
                fail(f"endpoint.{part}", f"placeholder {name!r} has no source ({known}); refer to the parent "
                     "with {resources.<parent>.<field>}")
    compiled: dict[str, t.Any] = {}
    for part, value in (("path", endpoint_raw["path"]), ("params", params), ("json", endpoint_raw.get("json")),
                        ("data", endpoint_raw.get("data")), ("headers", endpoint_raw.get("headers"))):
        try:
            compiled[part] = compile_tree(value, relation.resolve)
        except UserError as exc:
            fail(f"endpoint.{part}{_first_template_key(value, relation.resolve)}", str(exc))
    try:
        pagination = build_pagination(endpoint_raw.get("paginator"))
    except UserError as exc:
        fail("endpoint.paginator", str(exc))
    try:
        selector = Selector(endpoint_raw.get("data_selector"))
    except SelectorSyntaxError as exc:
        fail("endpoint.data_selector", str(exc))
    auth_spec = normalize_auth(endpoint_raw.get("auth"), f"{where}.endpoint.auth", origin)
    disposition = raw.get("write_disposition", "merge")
    wanted = disposition if isinstance(disposition, dict) else {"disposition": disposition}
    kind, strategy = wanted.get("disposition", "merge"), wanted.get("strategy")
    if kind in {"replace", "skip"} or strategy in {"scd2", "insert-only"}:
        LOGGER.warning("%s: %s.write_disposition %s only steers dlt's loader; ignored (a Singer target writes "
                       "by its own settings, upserting by key_properties)", origin, where,
                       "/".join(str(x) for x in (kind, strategy) if x))
    return Resource(
        index=index,
        name=raw["name"],
        primary_key=primary_key,
        write_disposition=str(kind),
        schema=schema,
        replication_key=replication_key,
        incremental=incremental,
        is_sorted=bool(incremental and incremental.get("row_order") == "asc"),
        parent=parent,
        scalar_key=records.get("scalar_key"),
        allow_missing=bool(records.get("allow_missing", False)),
        selected=bool(raw.get("selected", True)),
        parallelized=bool(raw.get("parallelized", True)),
        columns=columns,
        endpoint=Endpoint(
            path=t.cast("str | Template", compiled["path"]),
            method=endpoint_raw.get("method", "GET"),
            params=t.cast("dict[str, t.Any]", compiled["params"] or {}),
            json=compiled["json"],
            data=compiled["data"],
            headers=t.cast("dict[t.Any, t.Any]", compiled["headers"] or {}),
            selector=selector,
            pagination=pagination,
            response_actions=tuple(endpoint_raw.get("response_actions") or ()),
            auth=build_auth(auth_spec) if auth_spec else None,
        ),
    )


def _first_template_key(value: object, resolve: t.Any) -> str:
    """The path suffix of the first string in ``value`` that does not compile."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        try:
            compile_tree(item, resolve)
        except UserError:
            step = f"[{key}]" if isinstance(key, int) else f".{key}"
            return f"{step}{_first_template_key(item, resolve)}"
    return ""


def _check_graph(resources: list[Resource], origin: str) -> None:
    by_name: dict[str, Resource] = {}
    for resource in resources:
        if resource.name in by_name:
            raise DescriptionError(origin, f"{resource.where}.name", f"duplicate resource name {resource.name!r} "
                                   f"(also {by_name[resource.name].where}); names must be unique")
        by_name[resource.name] = resource
    for resource in resources:
        if resource.parent is None:
            continue
        where = f"{resource.where}.endpoint"
        parent = by_name.get(resource.parent.resource)
        if parent is None:
            raise DescriptionError(origin, where, f"refers to non existing parent resource "
                                   f"{resource.parent.resource!r}; resources: {', '.join(by_name)}")
        chain = [resource.name]
        node: Resource | None = parent
        while node is not None:
            if node.name in chain:
                cycle = [*chain[chain.index(node.name):], node.name]
                raise DescriptionError(origin, where, f"cycle {' -> '.join(cycle)}; a parent cannot "
                                       "descend from its child")
            chain.append(node.name)
            node = by_name.get(node.parent.resource) if node.parent else None
        parent_properties = (parent.schema or {}).get("properties")
        for parent_field in resource.parent.fields.values():
            simple = parent_field.isidentifier()
            if parent_properties is not None and simple and parent_field not in parent_properties:
                raise DescriptionError(origin, f"{resource.where}.endpoint",
                                       f"{parent_field!r} is not a property of {parent.name}'s schema")
        for sibling_name in parent.children:
            sibling = by_name[sibling_name]
            for key, parent_field in resource.parent.fields.items():
                other = t.cast("Parent", sibling.parent).fields.get(key, parent_field)
                if other != parent_field:
                    raise DescriptionError(origin, f"{resource.where}.parent_fields.{key}",
                                           f"{sibling.name} takes {key!r} from {other!r}, this resource from "
                                           f"{parent_field!r}; children of one parent must agree, rename one key")
        parent.children.append(resource.name)
