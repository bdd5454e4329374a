"""dlt relationships: ``{resources.<parent>.<field>}`` placeholders, ``type: resolve`` params, static
``{name}`` path params and ``{incremental.*}`` placeholders (the cursor's values, and the config's own
``cursor_path`` and ``lag``); one parent per resource.

A parent field a child uses travels in the child's context under ``_<parent>_<field>`` (dlt's
``include_from_parent`` name) unless the ``parent_fields`` extension names it.
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.expressions.sandbox import is_template_expression
from tap_generic_rest.expressions.templating import Part, TemplateError

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

_FIELD = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}")
INCREMENTAL_FIELDS = ("start_value", "initial_value", "last_value", "end_value")
#: ``{incremental.<field>}`` placeholders whose value is the incremental config's own (fixed per run)
STATIC_INCREMENTAL_FIELDS = ("cursor_path", "lag")
ENDPOINT_PARTS = ("path", "params", "json", "data", "headers")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def _strings(value: object) -> t.Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):  # a template's own braces ({'a': 1}, [0-9]{4}) are no placeholders
        text = _TEMPLATE.sub(lambda match: "" if is_template_expression(match.group(1)) else match.group(0), value)
        yield text.replace("{{", "").replace("}}", "")


def _job_strings(job: object) -> t.Iterator[tuple[str, str, str]]:
    """(step, part, string) of every string in a report job's requests (create, poll, download)."""
    steps = job if isinstance(job, dict) else {}
    for step in ("create", "poll", "download"):
        request = steps.get(step)
        if isinstance(request, dict):
            for part in ENDPOINT_PARTS:
                for text in _strings(request.get(part)):
                    yield step, part, text


def parent_key(parent: str, field: str) -> str:
    """dlt's name of a parent field in a child record: ``_<parent>_<field>``."""
    return f"_{parent}_{field}"


class Relationship:
    """What one resource takes from its parent, and how its placeholders resolve."""

    def __init__(self, resource: dict[str, t.Any], where: Where) -> None:
        """Find the parent and the fields; bind static path params and resolve params."""
        self.where = where
        endpoint = resource["endpoint"]
        self.parent: str | None = None
        #: context key -> parent field
        self.fields: dict[str, str] = {}
        self.aliases = {field: key for key, field in (resource.get("parent_fields") or {}).items()}
        #: placeholder text (``resources.<parent>.<field>``) -> its context key
        self.placeholder_keys: dict[str, str] = {}
        #: the names of the resource's partition lists (placeholders ``{name}``)
        self.partition_names = frozenset(p["name"] for p in resource.get("partitions") or [] if isinstance(p, dict))
        params = dict(endpoint.get("params") or {})
        specs = [endpoint["incremental"]] if isinstance(endpoint.get("incremental"), dict) else []
        specs += [v for v in params.values() if isinstance(v, dict) and v.get("type") == "incremental"]
        self.has_incremental = bool(specs) or "incremental" in endpoint
        #: the incremental config's own values a placeholder may name
        self.static: dict[str, t.Any] = {key: specs[0][key] for key in STATIC_INCREMENTAL_FIELDS
                                         if specs and key in specs[0]}
        endpoint["path"], endpoint["params"] = self._bind(endpoint["path"], params)
        for part in ENDPOINT_PARTS:
            for text in _strings(endpoint.get(part)):
                for field_name in _FIELD.findall(text):
                    self._note(field_name, f"endpoint.{part}")
        for step, part, text in _job_strings(resource.get("report_job")):  # a report job's requests too
            for field_name in _FIELD.findall(text):
                if field_name != "job_id":
                    self._note(field_name, f"report_job.{step}.{part}")
        #: keys added to every record
        self.added = self._take_fields(resource)

    def _bind(self, path: str, params: dict[str, t.Any]) -> tuple[str, dict[str, t.Any]]:
        """The path with resolve params and static ``{name}`` params bound, and the params left."""
        for name, value in list(params.items()):
            if isinstance(value, dict) and value.get("type") == "resolve":
                if f"{{{name}}}" not in path:
                    self.fail("endpoint.params", f"resolve param {name!r} is not bound in path {path!r}")
                path = path.replace(f"{{{name}}}", f"{{resources.{value['resource']}.{value['field']}}}")
                del params[name]
            elif isinstance(value, dict) and value.get("type") not in {"incremental"}:
                self.fail(f"endpoint.params.{name}", f"type {value.get('type')!r} is not one of: resolve, incremental")
        for field_name in _FIELD.findall(path):
            if "." not in field_name and field_name not in self.partition_names:
                if field_name not in params or isinstance(params[field_name], dict):
                    names = f" or partition ({', '.join(sorted(self.partition_names))})" if self.partition_names else ""
                    self.fail("endpoint.path", f"{{{field_name}}} in the path has no param{names} of that name")
                static = str(params.pop(field_name)).replace("{", "{{").replace("}", "}}")
                path = path.replace(f"{{{field_name}}}", static)
        return path, params

    def _take_fields(self, resource: dict[str, t.Any]) -> list[str]:
        """Note ``parent_fields`` and ``include_from_parent``; the keys they add to every record."""
        for key, field in (resource.get("parent_fields") or {}).items():
            self._need_parent(resource, "parent_fields")
            self.fields[key] = field
        included = [self.aliases.get(field, parent_key(t.cast("str", self.parent), field))
                    for field in resource.get("include_from_parent") or []]
        for key, field in zip(included, resource.get("include_from_parent") or [], strict=True):
            self._need_parent(resource, "include_from_parent")
            self.fields[key] = field
        return [*(resource.get("parent_fields") or {}), *included]

    def fail(self, sub: str, message: str) -> t.NoReturn:
        """Raise a description error at this resource's ``sub`` path."""
        raise self.where.at(sub).error(message)

    def _need_parent(self, resource: dict[str, t.Any], key: str) -> None:
        if self.parent is None:
            self.fail(key, f"{key} is only allowed on a resource that depends on another "
                      "(use {resources.<parent>.<field>} in its endpoint)")

    def _note(self, field_name: str, part: str) -> None:
        head, _, rest = field_name.partition(".")
        if head == "resources":
            parent, _, field = rest.partition(".")
            if not parent or not field:
                self.fail(part, f"{{{field_name}}} must be {{resources.<parent>.<field>}}")
            if self.parent is not None and parent != self.parent:
                self.fail(part, f"Multiple parent resources: {self.parent!r} and {parent!r}; "
                          "a resource has one parent")
            self.parent = parent
            self.fields.setdefault(self.aliases.get(field, parent_key(parent, field)), field)
            self.placeholder_keys[field_name] = self.aliases.get(field, parent_key(parent, field))
        elif field_name in self.partition_names or self._is_incremental(head, rest):
            return
        else:
            valid = "{'resources', 'incremental'}" if self.has_incremental else "{'resources'}"
            names = f", or a partition name: {', '.join(sorted(self.partition_names))}" if self.partition_names else ""
            self.fail(part, f"placeholder {{{field_name}}}: Valid expressions must start with "
                      f"one of: {valid}{names}")

    def _is_incremental(self, head: str, rest: str) -> bool:
        return head == "incremental" and self.has_incremental and (rest in INCREMENTAL_FIELDS or rest in self.static)

    def resolve(self, field_name: str) -> Part:
        """The compiled part of a placeholder (for :func:`templating.compile_tree`)."""
        head, _, rest = field_name.partition(".")
        if field_name in self.partition_names:
            return lambda variables: variables["stream_slice"][field_name]
        if head == "incremental" and rest in self.static:
            value = self.static[rest]
            return lambda _variables: value
        if head == "incremental":
            return lambda variables: variables["incremental"][rest]
        if head != "resources":
            msg = f"placeholder {{{field_name}}} has no value here"
            raise TemplateError(msg)
        parent, _, field = rest.partition(".")
        key = self.aliases.get(field, parent_key(parent, field))
        return lambda variables: variables["stream_slice"][key]
