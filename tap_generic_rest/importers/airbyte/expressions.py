"""Airbyte's Jinja ``{{ }}`` expressions translated to our templates and placeholders.

A string is split into literal text and ``{{ expr }}``; the text keeps its braces (escaped as ``{{``/``}}``
where our placeholders apply); each expression is lexed and its variables rewritten: ``config['a']['b']`` /
``config.a.b`` become the flattened setting ``config.a_b`` (see :mod:`spec`), ``parameters.x`` the
parameter's value (resolved at import), ``stream_partition``/``stream_slice`` keys the parent's field
(``{resources.<parent>.<field>}`` when the whole string is that one value), a list partition or the date
window (``stream_interval``). What a context allows (``response``, ``record``, ``headers``, aliases such as
``last_record``) is its :class:`Scope`'s. Macros and filters run as our sandbox's own
(``expressions/macros.py``). Anything else (``{% %}`` blocks, an unknown variable, macro or filter) is
:class:`Unmappable`, with the reason.
"""

from __future__ import annotations

import json
import re
import typing as t

from jinja2 import TemplateSyntaxError

from tap_generic_rest.expressions.sandbox import ENV, TEMPLATE_FUNCTIONS
from tap_generic_rest.importers.airbyte.variables import Accessor, Scope, Unmappable, rewrite

_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False",
                       "None"})
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

def translate_value(value: object, scope: Scope) -> object:
    """A nested value with every string translated (dict keys too)."""
    if isinstance(value, dict):
        return {translate_value(key, scope): translate_value(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [translate_value(item, scope) for item in value]
    if isinstance(value, str):
        return translate_string(value, scope)
    return value


def translate_string(source: str, scope: Scope) -> object:
    """One string: a literal, a translated template, a placeholder, or a parameter's value (typed)."""
    if "{%" in source or "{#" in source:
        raise Unmappable(f"the Jinja block in {source!r} is not supported (only {{{{ }}}} expressions are)")
    matches = list(_EXPRESSION.finditer(source))
    if len(matches) == 1 and matches[0].group(0) == source.strip():
        value = _parameter_value(matches[0].group(1), scope)
        if value is not _NONE and not isinstance(value, str):
            return value
    out, last = [], 0
    for match in matches:
        out.append(_literal_text(source[last:match.start()], scope))
        inline = _inline(match.group(1), scope)
        out.append(inline if inline is not None else _template(translate_expression(match.group(1), scope)))
        last = match.end()
    out.append(_literal_text(source[last:], scope))
    return "".join(out)


def _template(expression: str) -> str:
    return "{{ " + expression.strip() + " }}"


def _literal_text(text: str, scope: Scope) -> str:
    return text.replace("{", "{{").replace("}", "}}") if scope.placeholders else text


_NONE = object()


def _simple_chain(expression: str) -> tuple[str, list[Accessor]] | None:
    """``head`` and its accessors when the expression is nothing but a variable read."""
    try:
        tokens = [token for token in lex(expression) if token[0] != "whitespace"]
    except Unmappable:
        return None
    if not tokens or tokens[0][0] != "name":
        return None
    head, accessors, end = read_chain(tokens, 0)
    return (head, accessors) if end == len(tokens) else None


def _parameter_value(expression: str, scope: Scope) -> object:
    """The value of ``parameters.x`` (resolved at import), or ``_NONE``."""
    found = _simple_chain(expression)
    if found is None or found[0] != "parameters" or len(found[1]) != 1 or found[1][0][1] not in scope.parameters:
        return _NONE
    return scope.parameters[found[1][0][1]]


def _inline(expression: str, scope: Scope) -> str | None:
    """Text for an expression inside a string: a parameter's text or a placeholder, else None."""
    value = _parameter_value(expression, scope)
    if isinstance(value, str):
        return t.cast("str", translate_string(value, scope)) if "{{" in value else _literal_text(value, scope)
    if value is not _NONE:
        return _literal_text(json.dumps(value) if isinstance(value, (list, dict)) else str(value), scope)
    found = _simple_chain(expression)
    if found is None or not scope.placeholders:
        return None
    head, accessors = found
    if head in ("stream_partition", "stream_slice") and len(accessors) == 1:
        return _placeholder(str(accessors[0][1]), scope)
    if head == "stream_slice" and len(accessors) == 2 and accessors[0][1] == "extra_fields":
        return _placeholder(str(accessors[1][1]), scope)
    return None


def _placeholder(key: str, scope: Scope) -> str | None:
    found = scope.stream.partition_keys.get(key)
    if found and found[0] == "parent":
        return "{resources." + found[1] + "." + found[2] + "}"
    if found and found[0] == "list":
        return "{" + key + "}"
    return None


def translate_expression(expression: str, scope: Scope) -> str:
    """One ``{{ }}`` expression's text, translated."""
    tokens = lex(expression)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        previous = _previous(tokens, i)
        if kind != "name" or value in _KEYWORDS or previous in (".", "|", "is") or _next(tokens, i) == "=":
            if kind == "name" and previous == "|" and value not in ENV.filters:
                raise Unmappable(f"the filter {value!r} is not supported")
            out.append(value)
            i += 1
            continue
        if _next(tokens, i) == "(":
            if value not in TEMPLATE_FUNCTIONS:
                raise Unmappable(f"the macro {value}() is not supported")
            out.append(value)
            i += 1
            continue
        head, accessors, end = read_chain(tokens, i)
        with_default = _get_with_default(tokens, end)
        if with_default is None:
            out.append(rewrite(head, accessors, scope))
            i = end
            continue
        key, default, i = with_default
        value = rewrite(head, [*accessors, ("key", key)], scope)
        out.append(f"({value} | default({translate_expression(default, scope).strip()}))")
    return "".join(out)


def _get_with_default(tokens: list[tuple[str, str]], i: int) -> tuple[str, str, int] | None:
    """``.get('key', default)`` at ``i``: the key, the default's text and the index after the call."""
    values = [value for _, value in tokens[i:i + 5]]
    if values[:3] != [".", "get", "("] or len(tokens) < i + 5 or tokens[i + 3][0] != "string" or values[4] != ",":
        return None
    depth, j = 0, i + 5
    while j < len(tokens):
        value = tokens[j][1]
        if value in ("(", "[", "{"):
            depth += 1
        elif value in (")", "]", "}"):
            if depth == 0:
                return _string(tokens[i + 3][1]), "".join(v for _, v in tokens[i + 5:j]), j + 1
            depth -= 1
        j += 1
    return None


def lex(expression: str) -> list[tuple[str, str]]:
    try:
        lexed = list(ENV.lex("{{" + expression + "}}"))
    except TemplateSyntaxError as exc:
        raise Unmappable(f"the expression {expression.strip()!r} does not parse: {exc.message}") from None
    return [(kind, value) for _, kind, value in lexed if kind not in ("variable_begin", "variable_end")]


def _significant(tokens: list[tuple[str, str]], indices: t.Iterable[int]) -> str | None:
    for j in indices:
        if tokens[j][0] != "whitespace":
            return tokens[j][1]
    return None


def _previous(tokens: list[tuple[str, str]], i: int) -> str | None:
    return _significant(tokens, range(i - 1, -1, -1))


def _next(tokens: list[tuple[str, str]], i: int) -> str | None:
    return _significant(tokens, range(i + 1, len(tokens)))


def read_chain(tokens: list[tuple[str, str]], i: int) -> tuple[str, list[Accessor], int]:
    """A variable and its constant accessors (``.a``, ``['a']``, ``[0]``, ``.get('a')``); the index after."""
    head, j = tokens[i][1], i + 1
    accessors: list[Accessor] = []
    while j < len(tokens):
        rest = [value for _, value in tokens[j:j + 5]]
        if rest[:1] == ["."] and j + 1 < len(tokens) and tokens[j + 1][0] == "name":
            if rest[1:3] == ["get", "("] and j + 4 < len(tokens) and tokens[j + 3][0] == "string" \
                    and rest[4] == ")":
                accessors.append(("key", _string(tokens[j + 3][1])))
                j += 5
                continue
            with_default = _get_with_default(tokens, j)
            if with_default is not None and with_default[1].strip() in ("{}", "dict()"):
                accessors.append(("key", with_default[0]))  # .get('a', {}): a step into an object
                j = with_default[2]
                continue
            if j + 2 < len(tokens) and tokens[j + 2][1] == "(":
                break  # a method call: kept as it is
            accessors.append(("key", rest[1]))
            j += 2
        elif rest[:1] == ["["] and j + 2 < len(tokens) and tokens[j + 2][1] == "]" \
                and tokens[j + 1][0] in ("string", "integer"):
            token_kind, text = tokens[j + 1]
            accessors.append(("key", _string(text)) if token_kind == "string" else ("index", int(text)))
            j += 3
        else:
            break
    return head, accessors, j


def _string(text: str) -> str:
    return str(json.loads('"' + text[1:-1].replace('"', '\\"') + '"')) if text[:1] in "'\"" else text
