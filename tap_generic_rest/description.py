"""API descriptions: loading, validation against the shipped JSON Schema, and graph checks.

Everything that can be checked is checked here, before any request: the document's shape
(``description.schema.json``), resource names, schema files, keys, the parent graph (unknown
parents, cycles), every placeholder's source, templates, selectors and stop conditions. Every
problem is a :class:`DescriptionError` naming the exact path, e.g.
``resources[2].endpoint.paginator.type``, and the fix.
"""

from __future__ import annotations

import copy
import json
import re
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from tap_generic_rest.auth import Auth, build_auth
from tap_generic_rest.errors import DescriptionError, UserError
from tap_generic_rest.paginators import Pagination, build_pagination
from tap_generic_rest.selectors import Selector, SelectorSyntaxError
from tap_generic_rest.templating import Template, compile_tree, referenced_slice_keys

PACKAGE_DIR = Path(__file__).parent
APIS_DIR = PACKAGE_DIR / "apis"
BUILTIN_APIS = ("avatars", "webhooks", "marketing", "support", "oauth_offset")
FORMAT_SCHEMA: dict[str, t.Any] = json.loads(
    (PACKAGE_DIR / "description.schema.json").read_text(encoding="utf-8")
)
_VALIDATOR = jsonschema.Draft7Validator(FORMAT_SCHEMA)
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
#: Fields replaced whole by a resource, never merged with resource_defaults.
_REPLACED_FIELDS = frozenset({"paginator", "parent", "records", "primary_key"})


@dataclass(frozen=True)
class Parent:
    """A child resource's parent and the context it takes from each parent record."""

    resource: str
    #: context key -> parent record field; the context is added to every child record
    fields: dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """How to request a resource."""

    path: str | Template  # a Template when the path uses {{ ... }} (seed style); else {key} placeholders
    method: str
    params: dict[str, t.Any]  # values may be compiled templates
    json: dict[str, t.Any] | None
    selector: Selector
    pagination: Pagination


@dataclass(frozen=True)
class Resource:
    """One resource of a description: one Singer stream."""

    index: int
    name: str
    primary_key: tuple[str, ...]
    write_disposition: str
    schema: dict[str, t.Any] | None
    replication_key: str | None
    incremental: str | None
    is_sorted: bool
    parent: Parent | None
    scalar_key: str | None
    allow_missing: bool
    endpoint: Endpoint
    children: list[str] = field(default_factory=list)

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
    headers: dict[str, str]
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
    """Validate a description document and build its resources."""
    error = best_match(_VALIDATOR.iter_errors(document))
    if error is not None:
        raise DescriptionError(origin, _path(error.absolute_path), _explain(error))
    doc = t.cast("dict[str, t.Any]", document)
    defaults = doc.get("resource_defaults", {})
    resources = [
        _build_resource(index, _merge(defaults, raw), origin, root)
        for index, raw in enumerate(doc["resources"])
    ]
    _check_graph(resources, origin)
    client = doc["client"]
    return Description(
        origin=origin,
        base_url=client["base_url"].rstrip("/"),
        auth=build_auth(client.get("auth")),
        headers=dict(client.get("headers", {})),
        resources=tuple(resources),
    )


def _merge(defaults: dict[str, t.Any], resource: dict[str, t.Any]) -> dict[str, t.Any]:
    merged = copy.deepcopy(defaults)
    for key, value in resource.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in _REPLACED_FIELDS:
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _build_resource(index: int, raw: dict[str, t.Any], origin: str, root: Path) -> Resource:
    where = f"resources[{index}]"

    def fail(sub: str, message: str) -> t.NoReturn:
        raise DescriptionError(origin, f"{where}.{sub}", message)

    if "primary_key" not in raw:
        fail("primary_key", "missing; add the field(s) that identify a record, e.g. primary_key: id")
    primary_key = tuple([raw["primary_key"]] if isinstance(raw["primary_key"], str) else raw["primary_key"])
    endpoint_raw = raw.get("endpoint", {})
    if "path" not in endpoint_raw:
        fail("endpoint.path", "missing; add the request path, e.g. endpoint: {path: /v1/items}")
    schema = _load_schema(raw["schema"], root, lambda m: fail("schema", m)) if "schema" in raw else None
    replication_key = raw.get("replication_key")
    incremental = raw.get("incremental")
    if replication_key and not incremental:
        fail("incremental", "missing; a resource with a replication_key needs incremental: client or server")
    if incremental and not replication_key:
        fail("replication_key", "missing; incremental needs the record field that orders changes")
    if raw.get("sorted") and not replication_key:
        fail("sorted", "sorted needs a replication_key (the field the records are sorted by)")
    records = raw.get("records", {})
    scalar_key = records.get("scalar_key")
    parent_raw = raw.get("parent")
    parent = Parent(parent_raw["resource"], dict(parent_raw["fields"])) if parent_raw else None
    if schema is not None:
        properties = schema.get("properties", {})
        for key in primary_key:
            if key not in properties:
                fail("primary_key", f"{key!r} is not a property of the schema {raw['schema']}; "
                     f"properties: {', '.join(properties) or 'none'}")
        if replication_key and replication_key not in properties:
            fail("replication_key", f"{replication_key!r} is not a property of the schema {raw['schema']}")
        for key in (parent.fields if parent else {}):
            if key not in properties:
                fail(f"parent.fields.{key}", f"{key!r} is added to every record but is not a property "
                     f"of the schema {raw['schema']}; add it to the schema")
    if schema is None and parent is not None:
        fail("schema", "a child resource needs a declared schema (only top-level resources are inferred)")
    sources = set(parent.fields) if parent else set()
    for placeholder in _PLACEHOLDER.findall(endpoint_raw["path"]):
        if placeholder not in sources:
            fail("endpoint.path", _no_source(placeholder, sources))
    for part in ("path", "params", "json"):
        for key in sorted(referenced_slice_keys(endpoint_raw.get(part))):
            if key not in sources:
                fail(f"endpoint.{part}", _no_source(key, sources))
    compiled: dict[str, t.Any] = {}
    for part in ("path", "params", "json"):
        try:
            compiled[part] = compile_tree(endpoint_raw.get(part))
        except UserError as exc:
            fail(f"endpoint.{part}{_first_template_key(endpoint_raw.get(part))}", str(exc))
    try:
        pagination = build_pagination(endpoint_raw.get("paginator"))
    except UserError as exc:
        fail("endpoint.paginator.stop_condition", str(exc))
    try:
        selector = Selector(endpoint_raw.get("data_selector"))
    except SelectorSyntaxError as exc:
        fail("endpoint.data_selector", str(exc))
    return Resource(
        index=index,
        name=raw["name"],
        primary_key=primary_key,
        write_disposition=raw.get("write_disposition", "merge"),
        schema=schema,
        replication_key=replication_key,
        incremental=incremental,
        is_sorted=bool(raw.get("sorted", False)),
        parent=parent,
        scalar_key=scalar_key,
        allow_missing=bool(records.get("allow_missing", False)),
        endpoint=Endpoint(
            path=t.cast("str | Template", compiled["path"]),
            method=endpoint_raw.get("method", "GET"),
            params=t.cast("dict[str, t.Any]", compiled["params"] or {}),
            json=t.cast("dict[str, t.Any] | None", compiled["json"]),
            selector=selector,
            pagination=pagination,
        ),
    )


def _first_template_key(value: object) -> str:
    """The path suffix of the first template in ``value`` that does not compile."""
    if isinstance(value, dict):
        for key, item in value.items():
            try:
                compile_tree(item)
            except UserError:
                return f".{key}{_first_template_key(item)}"
    if isinstance(value, list):
        for index, item in enumerate(value):
            try:
                compile_tree(item)
            except UserError:
                return f"[{index}]{_first_template_key(item)}"
    return ""


def _no_source(key: str, sources: set[str]) -> str:
    known = f"declared: {', '.join(sorted(sources))}" if sources else "this resource has no parent"
    return (f"placeholder {key!r} has no source ({known}); declare it in parent.fields, "
            f"e.g. parent: {{resource: <parent>, fields: {{{key}: id}}}}")


def _load_schema(name: str, root: Path, fail: t.Callable[[str], t.NoReturn]) -> dict[str, t.Any]:
    path = root / name
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        fail(f"schema file {name!r} not found next to the description ({path})")
    except ValueError as exc:
        fail(f"schema file {name!r} is not valid JSON: {exc}")
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        fail(f"schema file {name!r} is not a valid JSON Schema: {exc.message}")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        fail(f"schema file {name!r} must be an object schema with properties")
    return t.cast("dict[str, t.Any]", _free_form_objects(schema))


def _free_form_objects(node: t.Any, *, item: bool = False) -> t.Any:
    """Give every array item object schema without ``properties`` an empty one that keeps all keys.

    The SDK's record conformance needs ``properties`` on objects inside arrays. Other objects without
    ``properties`` stay so: the SDK's flattener keeps them as one JSON column, while it drops an object
    declared with ``properties: {}`` from the SCHEMA and still writes its flattened keys to RECORDs.
    """
    if not isinstance(node, dict):
        return node
    node = {key: (_free_form_objects(value, item=key == "items") if key in {"items", "additionalProperties"}
                  else value)
            for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {key: _free_form_objects(value) for key, value in node["properties"].items()}
    types = node.get("type", [])
    if item and "object" in ([types] if isinstance(types, str) else types) and "properties" not in node:
        node["properties"] = {}
        node.setdefault("additionalProperties", True)
    return node


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
        where = f"{resource.where}.parent.resource"
        parent = by_name.get(resource.parent.resource)
        if parent is None:
            raise DescriptionError(origin, where, f"unknown resource {resource.parent.resource!r}; "
                                   f"resources: {', '.join(by_name)}")
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
        for key, parent_field in resource.parent.fields.items():
            if parent_properties is not None and parent_field not in parent_properties:
                raise DescriptionError(origin, f"{resource.where}.parent.fields.{key}",
                                       f"{parent_field!r} is not a property of {parent.name}'s schema")
        for sibling_name in parent.children:
            sibling = by_name[sibling_name]
            for key, parent_field in resource.parent.fields.items():
                other = t.cast("Parent", sibling.parent).fields.get(key, parent_field)
                if other != parent_field:
                    raise DescriptionError(origin, f"{resource.where}.parent.fields.{key}",
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
