r"""The sandbox every description expression runs in: Jinja2's immutable sandbox, bounded.

What an expression may name (``TEMPLATE_VARIABLES``, ``TEMPLATE_FUNCTIONS``), how one compiles
(:func:`compile_expression`) and evaluates (:func:`evaluate`) — sandbox violations and failures
become one-line :class:`TemplateError`\\ s — and :class:`Condition`, a boolean expression over a
response. No underscore attributes, no Python internals, no mutation, imports, files or
environment; sizes, arithmetic and time are bounded (``limits``: no CPU or memory bombs).
"""

from __future__ import annotations

import re
import typing as t

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from typing_extensions import override

from tap_generic_rest.errors import UserError
from tap_generic_rest.expressions.limits import MAX_SIZE, check_binop, check_call, check_size, size_of, start_clock
from tap_generic_rest.expressions.macros import FILTERS, MACROS

Variables = t.Mapping[str, t.Any]

#: The names a ``{{ ... }}`` expression may use; one of the variables makes it a template.
TEMPLATE_VARIABLES = frozenset({"config", "stream_slice", "stream_interval", "response", "parent", "incremental",
                                "stream_partition"})
#: The helpers an expression may call (Airbyte's macros, see ``macros``); an expression calling one is a template.
TEMPLATE_FUNCTIONS = frozenset(MACROS)


class TemplateError(UserError):
    """A template failed to compile or evaluate."""


class MissingValueError(TemplateError):
    """An expression read a field or key its value does not have."""


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox with the helpers descriptions may call; operators, filters and calls are bounded."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})  # also keeps Jinja from folding them at compile time

    def __init__(self) -> None:
        super().__init__(autoescape=False)
        self.globals.clear()
        self.globals.update(MACROS)
        self.filters.update(FILTERS)
        self.filters.update({name: _bounded(name, f) for name, f in self.filters.items()})

    @override
    def call_binop(self, context: t.Any, operator: str, left: t.Any, right: t.Any) -> t.Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    @override
    def call(__self, __context: t.Any, __obj: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:  # noqa: N805
        check_call(getattr(__obj, "__name__", ""), getattr(__obj, "__self__", None), args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


    @override
    def wrap_str_format(self, value: t.Any) -> t.Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        name, template = value.__name__, value.__self__

        def checked(*args: t.Any, **kwargs: t.Any) -> str:
            check_call(name, template, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked


def _bounded(name: str, function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """A filter checked before it runs (its arguments cannot build too much); Jinja's pass_* marks kept."""

    def bounded(*args: t.Any, **kwargs: t.Any) -> t.Any:
        values = [a for a in args if not _is_jinja_context(a)]
        check_call(name, values[0] if values else None, values[1:], kwargs)
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):
        bounded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _is_jinja_context(value: object) -> bool:
    return isinstance(value, (Environment, Context, EvalContext))


ENV = _Environment()


def parse_expression(expression: str) -> nodes.Template | None:
    """The syntax tree of one expression, or None when it does not parse."""
    try:
        return ENV.parse("{{" + expression + "}}")
    except TemplateSyntaxError:
        return None


def is_template_expression(expression: str, variables: frozenset[str] = TEMPLATE_VARIABLES) -> bool:
    """The one brace rule: ``{{ expr }}`` is a template when it names a template variable and nothing else.

    An expression that calls a helper and names no variable (``now_utc()``) is a template too.
    Anything else in double braces is dlt's escaping: literal braces (``{{not_this}}`` -> ``{not_this}``).
    ``variables``: the names of the place (record shaping and error rules add ``record``, ``headers``...).
    """
    tree = parse_expression(expression)
    if tree is None:  # a broken template is reported, not sent as text
        return bool(re.search(r"\b(" + "|".join(variables) + r")\b", expression))
    names = {node.name for node in tree.find_all(nodes.Name)}
    called = any(isinstance(node.node, nodes.Name) for node in tree.find_all(nodes.Call))
    allowed = bool(names) and names <= variables | TEMPLATE_FUNCTIONS
    return allowed and (bool(names & variables) or called)


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
    start_clock()
    try:
        result = compiled(**variables)
        check_size(size_of(result), "values")
    except SecurityError as exc:
        msg = f"{what} is not allowed: {exc}"
        raise TemplateError(msg) from None
    except MemoryError:
        msg = f"{what} ran out of memory (it builds more than {MAX_SIZE:,} characters or items)"
        raise TemplateError(msg) from None
    except UndefinedError as exc:
        raise MissingValueError(f"{what} failed: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError, RecursionError) as exc:
        msg = f"{what} failed: {exc or type(exc).__name__}"
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
