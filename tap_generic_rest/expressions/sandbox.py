r"""The sandbox every description expression runs in: Jinja2's immutable sandbox, bounded.

What an expression may name (``TEMPLATE_VARIABLES``, ``TEMPLATE_FUNCTIONS``), how one compiles
(:func:`compile_expression`) and evaluates (:func:`evaluate`) — sandbox violations and failures
become one-line :class:`TemplateError`\\ s — and :class:`Condition`, a boolean expression over a
response. No underscore attributes, no Python internals, no mutation, imports, files or
environment; ``**`` and ``*`` are bounded (no CPU or memory bombs).
"""

from __future__ import annotations

import re
import typing as t

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from typing_extensions import override

from tap_generic_rest.errors import UserError
from tap_generic_rest.expressions.datetimes import format_datetime

Variables = t.Mapping[str, t.Any]

#: Largest power and largest string/list a template may build (no CPU or memory bombs).
MAX_EXPONENT = 128
MAX_SIZE = 1_000_000
#: The names a ``{{ ... }}`` expression may use; one of the variables makes it a template.
TEMPLATE_VARIABLES = frozenset({"config", "stream_slice", "stream_interval", "response", "parent", "incremental"})
TEMPLATE_FUNCTIONS = frozenset({"format_datetime"})


class TemplateError(UserError):
    """A template failed to compile or evaluate."""


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox with the helpers descriptions may call; ``**`` and ``*`` are bounded."""

    intercepted_binops = frozenset({"**", "*"})  # also keeps Jinja from folding them at compile time

    def __init__(self) -> None:
        super().__init__(autoescape=False)
        self.globals.clear()
        self.globals.update(format_datetime=format_datetime)

    @override
    def call_binop(self, context: t.Any, operator: str, left: t.Any, right: t.Any) -> t.Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            msg = f"exponents above {MAX_EXPONENT} are not allowed"
            raise SecurityError(msg)
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                sized = isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                if sized and len(sequence) * count > MAX_SIZE:
                    msg = f"results longer than {MAX_SIZE} are not allowed"
                    raise SecurityError(msg)
        return super().call_binop(context, operator, left, right)


ENV = _Environment()


def parse_expression(expression: str) -> nodes.Template | None:
    """The syntax tree of one expression, or None when it does not parse."""
    try:
        return ENV.parse("{{" + expression + "}}")
    except TemplateSyntaxError:
        return None


def is_template_expression(expression: str) -> bool:
    """The one brace rule: ``{{ expr }}`` is a template when it names a template variable and nothing else.

    Anything else in double braces is dlt's escaping: literal braces (``{{not_this}}`` -> ``{not_this}``).
    """
    tree = parse_expression(expression)
    if tree is None:  # a broken template is reported, not sent as text
        return bool(re.search(r"\b(" + "|".join(TEMPLATE_VARIABLES) + r")\b", expression))
    names = {node.name for node in tree.find_all(nodes.Name)}
    return bool(names) and names <= TEMPLATE_VARIABLES | TEMPLATE_FUNCTIONS and bool(names & TEMPLATE_VARIABLES)


def compile_expression(expression: str, label: str) -> t.Callable[..., object]:
    """Compile one sandboxed expression; ``label`` (``template '...'``) names it in the error."""
    try:
        return t.cast("t.Callable[..., object]", ENV.compile_expression(expression, undefined_to_none=True))
    except TemplateSyntaxError as exc:
        msg = f"{label} does not parse: {exc.message}"
        raise TemplateError(msg) from None
    except (SecurityError, ArithmeticError, ValueError, RecursionError, MemoryError) as exc:
        msg = f"{label} is not allowed: {exc}"
        raise TemplateError(msg) from None


def evaluate(what: str, compiled: t.Callable[..., object], variables: Variables) -> object:
    """Run compiled template code; sandbox violations and failures become :class:`TemplateError`."""
    try:
        result = compiled(**variables)
    except SecurityError as exc:
        msg = f"{what} is not allowed: {exc}"
        raise TemplateError(msg) from None
    except (UndefinedError, TypeError, ValueError, KeyError, AttributeError, ArithmeticError, MemoryError,
            RecursionError) as exc:
        msg = f"{what} failed: {exc}"
        raise TemplateError(msg) from None
    if callable(result):
        msg = f"{what} gives a function, not a value; call it or pick a value"
        raise TemplateError(msg)
    return result


class Condition:
    """A sandboxed boolean expression over the parsed ``response``, e.g. a stop condition."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        """Compile ``source``; raise :class:`TemplateError` on a syntax error."""
        self._source = source
        self._compiled = compile_expression(source, f"expression {source!r}")

    def __call__(self, **variables: object) -> bool:
        """Evaluate to a boolean."""
        return bool(evaluate(f"expression {self._source!r}", self._compiled, variables))
