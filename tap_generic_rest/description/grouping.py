"""The ``group_parents`` extension: a child requests up to ``size`` parent values at once.

The child's one parent placeholder (``{resources.<parent>.<field>}``) takes the values of a group: joined into
one string (``style: join``, by ``separator``), or as a list, sent as a repeated query parameter (``repeat``:
the placeholder must be a whole ``params`` value) or as a JSON array (``json``: a whole value in the body).
``record_parent_field`` names the record field holding the parent value a record belongs to, so fields taken
from the parent are added per record. Airbyte's ``GroupingPartitionRouter`` maps onto it (``group_size`` ->
``size``, ``deduplicate`` -> ``deduplicate``).
"""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass

from tap_generic_rest.description.relationships import ENDPOINT_PARTS
from tap_generic_rest.expressions.templating import referenced_slice_keys

if t.TYPE_CHECKING:
    from tap_generic_rest.description.relationships import Relationship
    from tap_generic_rest.description.where import Where

STYLES = ("join", "repeat", "json")
_PLACEHOLDER = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}")
_WHOLE = re.compile(r"^(?:\{(?!\{)[^{}]*\}|\{\{[^{}]*\}\})$")


@dataclass(frozen=True)
class Grouping:
    """How a child groups its parents' values into requests."""

    size: int
    style: str
    separator: str
    deduplicate: bool
    #: the record field naming the parent value a record belongs to (None: records are not attributed)
    record_parent_field: str | None
    #: the context key of the grouped parent value
    key: str

    def value(self, values: t.Sequence[object]) -> object:
        """What the placeholder renders to for a group's values."""
        if self.style == "join":
            return self.separator.join(text(value) for value in values)
        return list(values)


def text(value: object) -> str:
    """A parent value as text (JSON's spelling for booleans and null)."""
    return value if isinstance(value, str) else json.dumps(value)


def build_grouping(raw: dict[str, t.Any] | None, relation: Relationship, resource: dict[str, t.Any],
                   where: Where) -> Grouping | None:
    """The resource's ``group_parents`` checked against its endpoint and parent (None: not grouped)."""
    if raw is None:
        return None
    if relation.parent is None:
        raise where.error("group_parents is only allowed on a resource that depends on another "
                          "(use {resources.<parent>.<field>} in its endpoint)")
    endpoint = resource["endpoint"]
    keys = set(relation.placeholder_keys.values())
    keys |= {key for part in ENDPOINT_PARTS for key in referenced_slice_keys(endpoint.get(part))}
    if len(keys) != 1:
        raise where.error(f"group_parents groups one parent value per request; the endpoint uses {len(keys)} "
                          f"({', '.join(sorted(keys))}); keep one parent placeholder")
    if "incremental" in endpoint:
        raise where.error("group_parents cannot be combined with incremental (one request serves several "
                          "parents, whose bookmarks differ); drop one of them")
    field = raw.get("record_parent_field")
    if relation.added and field is None:
        raise where.at("record_parent_field").error(
            f"is needed to add {', '.join(relation.added)} (include_from_parent / parent_fields) to each record: "
            "name the record field that holds its parent's value")
    grouping = Grouping(size=int(raw["size"]), style=raw.get("style", "join"), separator=raw.get("separator", ","),
                        deduplicate=bool(raw.get("deduplicate", True)), record_parent_field=field, key=keys.pop())
    _check_places(grouping, relation, endpoint, where)
    return grouping


def _check_places(grouping: Grouping, relation: Relationship, endpoint: dict[str, t.Any], where: Where) -> None:
    """``repeat``: the placeholder only as a whole ``params`` value; ``json``: only as a whole body value."""
    if grouping.style == "join":
        return
    allowed = "params" if grouping.style == "repeat" else "json"
    for part in ENDPOINT_PARTS:
        for text_, whole in _strings(endpoint.get(part)):
            if not _uses(text_, grouping.key, relation):
                continue
            if part != allowed or not whole or not _WHOLE.match(text_):
                what = ("a repeated query parameter, so the parent placeholder must be the whole value of an "
                        "endpoint.params entry" if grouping.style == "repeat" else
                        "a JSON array, so the parent placeholder must be a whole value in endpoint.json")
                raise where.at("style").error(f"{grouping.style} sends the parent values as {what} "
                                              f"(found {text_!r} in endpoint.{part}); or use style join")


def _uses(source: str, key: str, relation: Relationship) -> bool:
    placeholders = {relation.placeholder_keys.get(name) for name in _PLACEHOLDER.findall(source)}
    return key in placeholders or key in referenced_slice_keys(source)


def _strings(value: object, *, whole: bool = True) -> t.Iterator[tuple[str, bool]]:
    """Every string in a value, and whether it is a whole value (not a dict key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, whole=False)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value, whole
