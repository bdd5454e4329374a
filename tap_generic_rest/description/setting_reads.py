"""The settings a description places in requests as a bare ``{{ config.<name> }}``.

A bare read of a setting that is not set renders to nothing: a header not sent, a parameter dropped,
``GET /a//b``. A run without such a setting fails before any request, naming the setting and the place
that reads it; a template that handles a missing setting itself (``config.x | default('y')``,
``config.x or 'y'``) is not a bare read.
"""

from __future__ import annotations

import typing as t

from jinja2 import nodes

from tap_generic_rest.expressions.sandbox import parse_expression
from tap_generic_rest.expressions.templating import template_expressions

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_generic_rest.description.where import Where

#: (setting, the place that reads it: ``file: path``)
Read = tuple[str, str]


def bare_reads(value: object, where: Where) -> tuple[Read, ...]:
    """The bare setting reads in a raw description value (dict keys and values, list items)."""
    if isinstance(value, dict):
        return tuple(read for key, item in value.items()
                     for read in (*bare_reads(key, where.at(str(key))), *bare_reads(item, where.at(str(key)))))
    if isinstance(value, list):
        return tuple(read for index, item in enumerate(value) for read in bare_reads(item, where.item(index)))
    if isinstance(value, str):
        return tuple((name, str(where)) for expression in template_expressions(value)
                     if (name := _bare_setting(expression)) is not None)
    return ()


def unset(reads: t.Iterable[Read], config: Mapping[str, t.Any], defaults: Mapping[str, t.Any]) -> list[Read]:
    """The reads of settings neither ``config`` nor a declared default sets."""
    return [(name, place) for name, place in reads if config.get(name) is None and defaults.get(name) is None]


def _bare_setting(expression: str) -> str | None:
    tree = parse_expression(expression)
    body = tree.body if tree is not None else []
    output = body[0] if len(body) == 1 and isinstance(body[0], nodes.Output) else None
    node = output.nodes[0] if output is not None and len(output.nodes) == 1 else None
    if not isinstance(node, (nodes.Getattr, nodes.Getitem)) or not isinstance(node.node, nodes.Name):
        return None
    if node.node.name != "config":
        return None
    if isinstance(node, nodes.Getattr):
        return node.attr
    return str(node.arg.value) if isinstance(node.arg, nodes.Const) else None
