"""The one templating mechanism of API descriptions: dlt placeholders and sandboxed Jinja2 expressions.

One rule for braces (docs/format.md, "Placeholders and templates"):

- ``{{ expr }}`` is a template when ``expr`` names a template variable (``config``, ``stream_slice``,
  ``stream_interval``, ``response``, ``parent``, ``incremental``) and only those and the helper
  ``format_datetime``. It runs in the sandbox (``template_sandbox``: no underscore attributes, no Python internals,
  no mutation, imports, files or environment).
- Otherwise, as in dlt, ``{{`` and ``}}`` are literal braces (``{{not_this}}`` is sent as
  ``{not_this}``) and ``{name}`` is a dlt placeholder (``{resources.<parent>.<field>}``,
  ``{incremental.start_value}``, a static path param), resolved by the description.
- Where dlt does not interpolate (client headers, auth values) only templates are expanded.

A string that is exactly one expression or placeholder keeps its value's type (an integer stays
an integer in a JSON body); any other string renders to text.
"""

from __future__ import annotations

import re
import typing as t

from jinja2 import nodes

from tap_generic_rest.expressions.datetimes import format_datetime, to_datetime
from tap_generic_rest.expressions.sandbox import (
    TEMPLATE_VARIABLES,
    Condition,
    TemplateError,
    Variables,
    compile_expression,
    evaluate,
    is_template_expression,
    parse_expression,
)

__all__ = ["Condition", "Template", "TemplateError", "compile_string", "compile_tree", "format_datetime",
           "render_tree", "to_datetime"]


#: A compiled piece of a string: literal text, or a callable over the template variables.
Part = str | t.Callable[[Variables], object]
#: Resolves a dlt placeholder's field name (``resources.posts.id``) to a part; raises on an unknown one.
Resolver = t.Callable[[str], Part]


def _expression_part(expression: str, source: str) -> Part:
    compiled = compile_expression(expression, f"template {source!r}")
    return lambda variables: evaluate(f"template {source!r}", compiled, variables)


def parse_parts(source: str, resolve: Resolver | None = None,
                variables: frozenset[str] = TEMPLATE_VARIABLES) -> list[Part]:
    """Split ``source`` into literal text and expressions.

    ``{{ expr }}`` naming a template variable is a sandboxed Jinja expression. With a ``resolve``
    (dlt mode), ``{field}`` is a dlt placeholder and ``{{``/``}}`` are literal braces, as in dlt;
    without one (client headers, auth values) every other character is literal. ``variables``: the
    template variables of the place (see ``sandbox.is_template_expression``).
    """
    parts: list[Part] = []
    text, i = "", 0
    while i < len(source):
        if source.startswith("{{", i):
            end = source.find("}}", i + 2)
            if end != -1 and is_template_expression(source[i + 2:end], variables):
                parts.extend([text] if text else [])
                parts.append(_expression_part(source[i + 2:end], source))
                text, i = "", end + 2
                continue
            text, i = (text + "{", i + 2) if resolve else (text + "{{", i + 2)
        elif source.startswith("}}", i):
            text, i = (text + "}", i + 2) if resolve else (text + "}}", i + 2)
        elif resolve is not None and source[i] == "{":
            end = source.find("}", i + 1)
            if end == -1:
                msg = f"{source!r} has an unclosed '{{'; write {{{{ for a literal brace"
                raise TemplateError(msg)
            parts.extend([text] if text else [])
            parts.append(resolve(source[i + 1:end]))
            text, i = "", end + 1
        elif resolve is not None and source[i] == "}":
            msg = f"{source!r} has a single '}}'; write }}}} for a literal brace"
            raise TemplateError(msg)
        else:
            text, i = text + source[i], i + 1
    if text or not parts:
        parts.append(text)
    return parts


class Template:
    """A compiled description string: literal text and expressions (see :func:`parse_parts`)."""

    __slots__ = ("_parts", "_source")

    def __init__(self, source: str, resolve: Resolver | None = None, parts: list[Part] | None = None) -> None:
        """Compile ``source``; raise :class:`TemplateError` when it cannot work."""
        self._source = source
        self._parts = parts if parts is not None else parse_parts(source, resolve)

    @property
    def source(self) -> str:
        """The template text."""
        return self._source

    def render(self, variables: Variables) -> object:
        """Evaluate with ``variables``; a value that is exactly one expression keeps its type."""
        values = [part if isinstance(part, str) else part(variables) for part in self._parts]
        if len(values) == 1 and not isinstance(self._parts[0], str):
            return values[0]
        return "".join("" if value is None else str(value) for value in values)


def compile_string(source: str, resolve: Resolver | None = None,
                   variables: frozenset[str] = TEMPLATE_VARIABLES) -> str | Template:
    """A literal string (braces unescaped) or a :class:`Template` when ``source`` has expressions."""
    if "{" not in source and "}" not in source:
        return source
    parts = parse_parts(source, resolve, variables)
    if all(isinstance(part, str) for part in parts):
        return "".join(t.cast("list[str]", parts))
    return Template(source, parts=parts)


def compile_tree(value: object, resolve: Resolver | None = None) -> object:
    """Compile every string in a nested description value (dict keys too, in dlt mode)."""
    if isinstance(value, dict):
        return {(compile_key(key, resolve)): compile_tree(item, resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_tree(item, resolve) for item in value]
    if isinstance(value, str):
        return compile_string(value, resolve)
    return value


def compile_key(key: object, resolve: Resolver | None) -> object:
    """A dict key: compiled like a value (a header name may hold a placeholder)."""
    return compile_string(key, resolve) if isinstance(key, str) else key


def render_tree(value: object, variables: Variables) -> t.Any:
    """Render a tree compiled by :func:`compile_tree`."""
    if isinstance(value, Template):
        return value.render(variables)
    if isinstance(value, dict):
        return {render_tree(key, variables): render_tree(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render_tree(item, variables) for item in value]
    return value


def template_expressions(value: object, variables: frozenset[str] = TEMPLATE_VARIABLES) -> list[str]:
    """The ``{{ ... }}`` template expressions in a raw description value (naming ``variables``)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += template_expressions(key, variables) + template_expressions(item, variables)
    elif isinstance(value, list):
        for item in value:
            found += template_expressions(item, variables)
    elif isinstance(value, str):
        for match in re.finditer(r"\{\{(.*?)\}\}", value):
            if is_template_expression(match.group(1), variables):
                found.append(match.group(1))
    return found


def referenced_names(value: object, variables: frozenset[str] = TEMPLATE_VARIABLES) -> frozenset[str]:
    """The ``variables`` the template expressions of a raw description value name."""
    names: set[str] = set()
    for expression in template_expressions(value, variables):
        tree = parse_expression(expression)
        if tree is not None:  # else reported when the value is compiled
            names.update(node.name for node in tree.find_all(nodes.Name))
    return frozenset(names & variables)


def referenced_keys(value: object, variable: str, variables: frozenset[str] = TEMPLATE_VARIABLES) -> set[str]:
    """The keys of ``variable`` (e.g. ``config``, ``stream_slice``) a raw description value reads."""
    found: set[str] = set()
    for expression in template_expressions(value, variables):
        tree = parse_expression(expression)
        if tree is None:
            continue  # reported when the value is compiled
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            access = t.cast("nodes.Getattr | nodes.Getitem", node)
            target = access.node
            if not (isinstance(target, nodes.Name) and target.name == variable):
                continue
            if isinstance(access, nodes.Getattr):
                found.add(access.attr)
            elif isinstance(access.arg, nodes.Const):
                found.add(str(access.arg.value))
    return found


def referenced_slice_keys(value: object) -> set[str]:
    """The ``stream_slice``/``parent`` keys a (raw) description value refers to."""
    return referenced_keys(value, "stream_slice") | referenced_keys(value, "parent")
