"""What each Airbyte template variable becomes in ours (the scope of a place in the manifest decides).

``config`` chains become the flattened setting (``config['credentials']['token']`` ->
``config.credentials_token``, see :mod:`spec`); ``parameters`` the parameter's value; ``stream_partition`` /
``stream_slice`` keys a parent field (``stream_slice.<key>``, written as ``parent_fields``), a list
partition (``stream_partition.<name>``) or the date window (``stream_interval.start_time``/``end_time``);
``stream_interval`` stays; a scope's own variables (``response``, ``record``, ``headers``) stay; aliases
(``last_record``, ``last_page_size``) become their text. Everything else is :class:`Unmappable`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing as t

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_DICT_METHODS = frozenset({"items", "keys", "values", "get", "pop", "update", "copy", "clear", "setdefault"})
_INTERVAL = frozenset({"start_time", "end_time"})
Accessor = tuple[str, t.Any]  # ("key", "x") / ("index", 0)


class Unmappable(Exception):  # noqa: N818 (a reason, caught where the path is known)
    """An expression that cannot be written as ours; the message says why."""


@dataclasses.dataclass
class Scope:
    """What one place in a manifest lets an expression read."""

    stream: Stream
    parameters: t.Mapping[str, t.Any]
    #: variables passed through as they are (``response``, ``record``, ``headers``)
    variables: frozenset[str] = frozenset()
    #: variable -> the expression text it is (``last_record`` -> ``response.data[-1]``)
    aliases: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: placeholders apply (dlt's endpoint parts); else only templates (auth, client headers)
    placeholders: bool = True



def render_accessors(accessors: list[Accessor]) -> str:
    """``.a['b-c'][0]``: attributes where the key is a plain name, else items."""
    parts = []
    for kind, key in accessors:
        if kind == "index":
            parts.append(f"[{key}]")
        elif re.fullmatch(r"[A-Za-z]\w*", key) and key not in _DICT_METHODS:
            parts.append(f".{key}")
        else:
            parts.append(f"[{json.dumps(key)}]")
    return "".join(parts)


def literal(value: object) -> str:
    """A Python value as a Jinja literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))





def setting_reference(name: str) -> str:
    """``config.<name>`` (``config["<name>"]`` where the name is a dict method or not a plain name)."""
    return "config" + render_accessors([("key", name)])


def rewrite(head: str, accessors: list[Accessor], scope: Scope) -> str:
    """The text of variable ``head`` read through ``accessors``, in our terms."""
    if head in scope.aliases:
        return scope.aliases[head] + render_accessors(accessors)
    if head == "config":
        return _config(accessors, scope.stream.settings)
    if head == "parameters":
        return _parameter(accessors, scope.parameters)
    if head in ("stream_partition", "stream_slice"):
        return _partition(head, accessors, scope)
    if head == "stream_interval" and accessors and accessors[0][1] in _INTERVAL:
        return head + render_accessors(accessors)
    if head in scope.variables:
        return head + render_accessors(accessors)
    if head == "next_page_token":
        raise Unmappable("next_page_token is read here, not only where the paginator puts it")
    raise Unmappable(f"the variable {head!r} is not available here")


def _config(accessors: list[Accessor], settings: t.Mapping[tuple[str, ...], str]) -> str:
    keys: list[str] = []
    for kind, key in accessors:
        if kind != "key":
            break
        keys.append(str(key))
    for size in range(len(keys), 0, -1):
        if tuple(keys[:size]) in settings:
            return setting_reference(settings[tuple(keys[:size])]) + render_accessors(accessors[size:])
    if not keys:
        raise Unmappable("the whole config is read, not one setting")
    if any(len(path) > 1 and path[0] == keys[0] for path in settings):
        raise Unmappable(f"config {keys[0]!r} is read as a whole object; settings are flat (read one of its "
                         "fields)")
    return setting_reference(re.sub(r"\W", "_", keys[0])) + render_accessors(accessors[1:])


def _parameter(accessors: list[Accessor], parameters: t.Mapping[str, t.Any]) -> str:
    if not accessors or accessors[0][0] != "key":
        raise Unmappable("the whole parameters mapping is read")
    return literal(parameters.get(str(accessors[0][1]))) + render_accessors(accessors[1:])


def _partition(head: str, accessors: list[Accessor], scope: Scope) -> str:
    if not accessors:
        raise Unmappable(f"the whole {head} is read, not one of its keys")
    key = str(accessors[0][1])
    rest = accessors[1:]
    if key == "extra_fields" and rest:
        key, rest = str(rest[0][1]), rest[1:]
    found = scope.stream.partition_keys.get(key)
    if found is None:
        raise Unmappable(f"{head}.{key} is not a partition key of this stream")
    if found[0] == "parent":
        scope.stream.parent_fields[key] = found[2]
        return "stream_slice" + render_accessors([("key", key), *rest])
    if found[0] == "list":
        return "stream_partition" + render_accessors([("key", key), *rest])
    return "stream_interval" + render_accessors([("key", found[1]), *rest])
