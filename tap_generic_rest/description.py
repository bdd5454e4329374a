"""API descriptions: loading, validation against the shipped JSON Schema, and graph checks.

Everything that can be checked is checked here, before any request: the document's shape
(``description.schema.json``), resource names, schema files, keys, the parent graph (unknown
parents, cycles), every placeholder's source, templates, selectors and stop conditions. Every
problem is a :class:`DescriptionError` naming the exact path, e.g.
``resources[2].endpoint.paginator.type``, and the fix.
"""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from tap_generic_rest.auth import Auth, build_auth
from tap_generic_rest.columns import apply_hints, column_hints, column_keys, hint_errors
from tap_generic_rest.dlt_incremental import incremental_spec
from tap_generic_rest.dlt_normalize import normalize, normalize_auth
from tap_generic_rest.errors import DescriptionError, UserError
from tap_generic_rest.paginator_registry import build_pagination
from tap_generic_rest.relationships import Relationship
from tap_generic_rest.schema_files import load_schema
from tap_generic_rest.selectors import Selector, SelectorSyntaxError
from tap_generic_rest.templating import Template, compile_tree, referenced_slice_keys

if t.TYPE_CHECKING:
    from tap_generic_rest.paginators import Pagination

PACKAGE_DIR = Path(__file__).parent
APIS_DIR = PACKAGE_DIR / "apis"
BUILTIN_APIS = ("avatars", "webhooks", "marketing", "support", "oauth_offset")
FORMAT_SCHEMA: dict[str, t.Any] = json.loads(
    (PACKAGE_DIR / "description.schema.json").read_text(encoding="utf-8")
)
_VALIDATOR = jsonschema.Draft7Validator(FORMAT_SCHEMA)


@dataclass(frozen=True)
class Parent:
    """A child resource's parent and the context it takes from each parent record."""

    resource: str
    #: context key -> parent record field (a key or JSONPath)
    fields: dict[str, str]
    #: context keys added to every child record (include_from_parent, parent_fields)
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """How to request a resource (strings compiled: literals or Templates)."""

    path: str | Template
    method: str
    params: dict[str, t.Any]
    json: t.Any
    selector: Selector
    pagination: Pagination
    headers: dict[t.Any, t.Any] = field(default_factory=dict)
    data: t.Any = None
    response_actions: tuple[dict[str, t.Any], ...] = ()
    auth: Auth | None = None


@dataclass(frozen=True)
class Resource:
    """One resource of a description: one Singer stream."""

    index: int
    name: str
    primary_key: tuple[str, ...]
    write_disposition: str
    schema: dict[str, t.Any] | None
    replication_key: str | None
    incremental: dict[str, t.Any] | None
    is_sorted: bool
    parent: Parent | None
    scalar_key: str | None
    allow_missing: bool
    endpoint: Endpoint
    selected: bool = True
    parallelized: bool = False
    children: list[str] = field(default_factory=list)
    #: dlt ``columns`` hints by column name
    columns: dict[str, dict[str, t.Any]] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """This resource's path in the description."""
        return f"resources[{self.index}]"


@dataclass(frozen=True)
class Description:
    """A validated API description."""

    origin: str
    base_url: str
    auth: Auth
    headers: dict[str, t.Any]
    resources: tuple[Resource, ...]

    def resource(self, name: str) -> Resource:
        """The resource called ``name``."""
        return next(resource for resource in self.resources if resource.name == name)


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
    error = best_match(_VALIDATOR.iter_errors(document))
    while error is not None and error.validator in {"oneOf", "anyOf"} and error.context:
        # a dict given where a string shorthand or a dict may stand: explain the dict branch
        wrong_type = {sub.relative_schema_path[0] for sub in error.context
                      if sub.validator == "type" and len(sub.relative_schema_path) <= 2}
        candidates = [sub for sub in error.context if sub.relative_schema_path[0] not in wrong_type]
        if not candidates:
            break
        error = best_match(candidates)
    if error is not None:
        raise DescriptionError(origin, _path(error.absolute_path), _explain(error))
    doc = t.cast("dict[str, t.Any]", document)
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
    incremental, params = incremental_spec(endpoint_raw, lambda sub, m: fail(f"endpoint.{sub}", m))
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
    return Resource(
        index=index,
        name=raw["name"],
        primary_key=primary_key,
        write_disposition=disposition["disposition"] if isinstance(disposition, dict) else disposition,
        schema=schema,
        replication_key=replication_key,
        incremental=incremental,
        is_sorted=bool(incremental and incremental.get("row_order") == "asc"),
        parent=parent,
        scalar_key=records.get("scalar_key"),
        allow_missing=bool(records.get("allow_missing", False)),
        selected=bool(raw.get("selected", True)),
        parallelized=bool(raw.get("parallelized", False)),
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


def _path(parts: t.Iterable[object]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _explain(error: ValidationError) -> str:
    """One line: what is wrong at the error's path and how to fix it."""
    value = error.instance
    if error.validator == "enum":
        allowed = ", ".join(str(item) for item in t.cast("list[object]", error.validator_value))
        return f"{value!r} is not allowed; use one of: {allowed}"
    if error.validator == "const":
        return f"{value!r} is not allowed; use {error.validator_value!r}"
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        what = missing[0] if missing else error.message
        return f"missing required field {what!r}; add it"
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = ", ".join(sorted(schema.get("properties", {})))
        extra = re.findall(r"'([^']+)'", error.message)
        return f"unknown field(s) {', '.join(repr(x) for x in extra)}; allowed: {allowed}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(value).__name__} {value!r}"
    if error.validator == "pattern":
        if str(error.validator_value).startswith("^https?://"):
            return f"{value!r} is not an http(s) URL; use e.g. https://api.example.com"
        return f"{value!r} is not a valid name; use lowercase letters, digits and underscores, e.g. api_key"
    if error.validator in {"oneOf", "anyOf"} and isinstance(value, (str, list)):
        return f"{value!r} is not a valid value here: {error.message}"
    if error.validator == "anyOf":
        alternatives = t.cast("list[dict[str, t.Any]]", error.validator_value)
        options = [sorted(option.get("required", [])) for option in alternatives]
        return f"needs one of: {' or '.join(', '.join(option) for option in options)}"
    return error.message
