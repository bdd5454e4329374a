"""Partition routers -> the parent relation, ``partitions`` and ``group_parents``.

``SubstreamPartitionRouter`` (one ``ParentStreamConfig``): the parent is the stream named by ``stream``;
``parent_key`` is the parent's field and ``partition_field`` its name in the child's templates;
``request_option`` puts ``{resources.<parent>.<parent_key>}`` into a param, header or body;
``extra_fields`` are more parent fields the templates read (``parent_fields``); ``incremental_dependency``:
children are read for every parent record (a superset, warned). ``ListPartitionRouter`` -> one
``partitions`` entry (``cursor_field`` -> ``name``, ``values``; ``request_option`` -> ``"{<name>}"`` in the
request); a list of routers gives several (a product). ``GroupingPartitionRouter`` -> ``group_parents``
(``group_size`` -> ``size``, ``deduplicate``; values joined with ``,``).
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.context import custom_refusal, is_custom
from tap_generic_rest.importers.airbyte.requesters import inject, translate
from tap_generic_rest.importers.airbyte.variables import Scope

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream


class Routers(t.NamedTuple):
    """What a stream's routers give: its parent stream (component) and where it is, and resource keys."""

    parent: dict[str, t.Any] | None
    parent_path: str
    keys: dict[str, t.Any]


def declare_keys(router: object, stream: Stream) -> None:
    """Note the partition keys templates may read (before anything is translated)."""
    for item in _routers(router):
        if item.get("type") == "GroupingPartitionRouter":
            declare_keys(item.get("underlying_partition_router"), stream)
        elif item.get("type") == "ListPartitionRouter":
            stream.partition_keys[str(item.get("cursor_field"))] = ("list", str(item.get("cursor_field")))
        elif item.get("type") == "SubstreamPartitionRouter":
            for config in item.get("parent_stream_configs") or []:
                parent = str((config.get("stream") or {}).get("name") or "")
                field = _dotted(config.get("parent_key"))
                stream.partition_keys[str(config.get("partition_field"))] = ("parent", parent, field)
                for extra in config.get("extra_fields") or []:
                    name = _dotted(extra)
                    stream.partition_keys[name.rsplit(".", 1)[-1]] = ("parent", parent, name)


def _routers(router: object) -> list[dict[str, t.Any]]:
    items = router if isinstance(router, list) else [router] if router else []
    return [item for item in items if isinstance(item, dict)]


def _dotted(value: object) -> str:
    if isinstance(value, list):
        return ".".join(str(part) for part in value)
    return str(value or "").replace("/", ".")


def map_routers(router: object, endpoint: dict[str, t.Any], stream: Stream, path: str) -> Routers:
    """The parent stream and resource keys; writes the request options into ``endpoint``."""
    parent: dict[str, t.Any] | None = None
    parent_path = ""
    keys: dict[str, t.Any] = {}
    items = _routers(router)
    for index, item in enumerate(items):
        at = f"{path}[{index}]" if isinstance(router, list) else path
        kind = item.get("type")
        if is_custom(item):
            custom_refusal(stream, item, at)
        elif kind == "SubstreamPartitionRouter":
            parent = _substream(item, endpoint, stream, at, parent)
            parent_path = f"{at}.parent_stream_configs[0].stream"
        elif kind == "GroupingPartitionRouter":
            stream.check_options(item, at, ("group_size", "underlying_partition_router", "deduplicate"))
            below = item.get("underlying_partition_router")
            if not isinstance(below, dict) or below.get("type") != "SubstreamPartitionRouter":
                stream.refuse(f"{at}.underlying_partition_router", "grouping is supported over a "
                              "SubstreamPartitionRouter only")
                continue
            parent = _substream(below, endpoint, stream, f"{at}.underlying_partition_router", parent)
            parent_path = f"{at}.underlying_partition_router.parent_stream_configs[0].stream"
            keys["group_parents"] = {"size": item.get("group_size"), "style": "join", "separator": ",",
                                     "deduplicate": bool(item.get("deduplicate", True))}
        elif kind == "ListPartitionRouter":
            keys.setdefault("partitions", []).append(_list(item, endpoint, stream, at))
        else:
            stream.refuse(at, f"{kind} is not supported")
    return Routers(parent, parent_path, keys)


def _substream(router: dict[str, t.Any], endpoint: dict[str, t.Any], stream: Stream, path: str,
               parent: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    stream.check_options(router, path, ("parent_stream_configs",))
    configs = router.get("parent_stream_configs") or []
    if parent is not None or len(configs) != 1:
        stream.refuse(path, "more than one parent stream is not supported (a resource has one parent)")
        return None
    config = configs[0]
    at = f"{path}.parent_stream_configs[0]"
    stream.check_options(config, at, ("stream", "parent_key", "partition_field", "request_option",
                                      "incremental_dependency", "extra_fields"))
    if config.get("incremental_dependency"):
        stream.warn(f"{at}.incremental_dependency", "children are read for every parent record, not only the "
                    "parents changed since the last run (more requests, no record lost)")
    found = config.get("stream")
    if not isinstance(found, dict) or not found.get("name"):
        stream.refuse(f"{at}.stream", "the parent stream has no name")
        return None
    placeholder = "{resources." + str(found["name"]) + "." + _dotted(config.get("parent_key")) + "}"
    if config.get("request_option"):
        inject(endpoint, config["request_option"], placeholder, stream, f"{at}.request_option")
    return found


def _list(router: dict[str, t.Any], endpoint: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any]:
    stream.check_options(router, path, ("cursor_field", "values", "request_option"))
    name = str(router.get("cursor_field"))
    scope = Scope(stream, router.get("$parameters") or {}, placeholders=False)
    values = translate(router.get("values"), scope, f"{path}.values")
    if router.get("request_option"):
        inject(endpoint, router["request_option"], "{" + name + "}", stream, f"{path}.request_option")
    return {"name": name, "values": values}
