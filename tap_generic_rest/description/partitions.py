"""The ``partitions`` extension: a resource fanned out over lists of values (several lists: their product).

Each list has a ``name`` (the placeholder ``{name}``, the template value ``{{ stream_partition.name }}`` and the
key in the stream context, so STATE is kept per partition) and its ``values``: a literal list, or a template over
the settings (``"{{ config.regions }}"``) whose value is a list or the JSON text of one. Airbyte's
``ListPartitionRouter`` maps onto one list (``cursor_field`` -> ``name``, ``values`` -> ``values``).
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

from jinja2 import nodes

from tap_generic_rest.description.relationships import ENDPOINT_PARTS
from tap_generic_rest.description.setting_reads import bare_reads
from tap_generic_rest.errors import SettingsError, UserError
from tap_generic_rest.expressions.sandbox import parse_expression
from tap_generic_rest.expressions.templating import Template, compile_string, referenced_keys, template_expressions

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tap_generic_rest.description.where import Where

#: the JSON types a partition value may have
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class Partition:
    """One list a resource fans out over."""

    name: str
    #: the literal values, or a template over the settings giving them
    values: tuple[t.Any, ...] | Template
    include_in_record: bool
    #: where the values are given (``file: resources[0].partitions[1].values``), for errors
    place: str
    #: the setting a ``values`` template reads bare (``{{ config.regions }}``), for errors
    setting: str | None = None

    def resolve(self, config: Mapping[str, t.Any]) -> tuple[t.Any, ...]:
        """The values; from a setting: a list, or JSON text of one, of scalars without duplicates."""
        if isinstance(self.values, tuple):
            return self.values
        source = f"setting {self.setting}" if self.setting else f"{self.place} ({self.values.source})"
        try:
            value = self.values.render({"config": config})
            items = json.loads(value) if isinstance(value, str) else value
        except (UserError, ValueError) as exc:
            raise _bad(source, self.name, f"is not a JSON array ({exc})") from None
        if not isinstance(items, list):
            raise _bad(source, self.name, f"is {type(items).__name__} {str(items)[:60]!r}, not a JSON array")
        problem = value_problem(items)
        if problem:
            raise _bad(source, self.name, problem)
        return tuple(items)


def _bad(source: str, name: str, problem: str) -> SettingsError:
    return SettingsError(f"{source}, the values of partition {name!r}, {problem}; set it to a JSON array such as "
                         '["eu", "us"]')


def value_problem(values: Sequence[object]) -> str | None:
    """What is wrong with a list of partition values (None: nothing)."""
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, _SCALARS):
            return f"holds {type(value).__name__} {str(value)[:40]!r}; values must be strings, numbers or booleans"
        key = json.dumps(value)
        if key in seen:
            return f"lists {value!r} twice; each value must be unique"
        seen.add(key)
    return None


def build_partitions(raw: object, where: Where) -> tuple[Partition, ...]:
    """The resource's ``partitions`` (validated by the JSON Schema already) checked and built."""
    built: list[Partition] = []
    for index, item in enumerate(t.cast("list[dict[str, t.Any]]", raw or [])):
        at = where.item(index)
        if item["name"] in {partition.name for partition in built}:
            raise at.at("name").error(f"partition name {item['name']!r} is used twice; each list needs its own name")
        built.append(_partition(item, at))
    return tuple(built)


def _partition(item: dict[str, t.Any], at: Where) -> Partition:
    values, include = item["values"], bool(item.get("include_in_record", False))
    if isinstance(values, list):
        problem = value_problem(values)
        if problem:
            raise at.at("values").error(problem)
        return Partition(item["name"], tuple(values), include, str(at.at("values")))
    expressions = template_expressions(values)
    compiled = compile_string(values)
    if not isinstance(compiled, Template) or len(expressions) != 1 or values.strip() != f"{{{{{expressions[0]}}}}}":
        raise at.at("values").error(f"{values!r} must be a list or one template over the settings, such as "
                                    '"{{ config.regions }}" (a setting holding a JSON array)')
    names = _names(expressions[0])
    if names - {"config"}:
        raise at.at("values").error(f"{values!r} may only read the settings (config), not {', '.join(sorted(names))}")
    reads = bare_reads(values, at.at("values"))
    return Partition(item["name"], compiled, include, str(at.at("values")), reads[0][0] if reads else None)


def _names(expression: str) -> set[str]:
    tree = parse_expression(expression)
    return {node.name for node in tree.find_all(nodes.Name)} if tree is not None else set()


def check_names(partitions: Sequence[Partition], context_keys: t.Collection[str], endpoint: Mapping[str, t.Any],
                where: Where) -> None:
    """No partition name is a parent's context key; every ``{{ stream_partition.<name> }}`` names a partition."""
    names = [partition.name for partition in partitions]
    for index, name in enumerate(names):
        if name in context_keys:
            raise where.at("partitions").item(index).at("name").error(
                f"partition name {name!r} is also the key of a value taken from the parent "
                f"({', '.join(sorted(context_keys))}); rename the partition")
    for part in ENDPOINT_PARTS:
        for name in sorted(referenced_keys(endpoint.get(part), "stream_partition") - set(names)):
            known = f"partitions: {', '.join(names)}" if names else "this resource has no partitions"
            raise where.at(f"endpoint.{part}").error(f"{{{{ stream_partition.{name} }}}} names no partition ({known})")
