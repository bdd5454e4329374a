"""The one templating mechanism of API descriptions: sandboxed Jinja2 expressions.

Descriptions are user input. Their ``{{ ... }}`` expressions run in Jinja2's immutable sandbox:
no attribute that starts with an underscore, no access to Python internals, no mutation, no
imports, no file or environment access. A string that is exactly one ``{{ expr }}`` evaluates to
the expression's native value (an integer stays an integer in a JSON body); any other string with
``{{`` renders to text.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from typing_extensions import override

from tap_generic_rest.errors import UserError

Variables = t.Mapping[str, t.Any]


class TemplateError(UserError):
    """A template failed to compile or evaluate."""


def to_datetime(value: object) -> dt.datetime | None:
    """Read an RFC 3339 string, UNIX seconds or a datetime as an aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").isdigit():
            return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def format_datetime(value: object, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> object:
    """Format a date-time for a request. ``%s`` gives integer UNIX seconds.

    A missing value (undefined or null) formats as the UNIX epoch, the contracts' "no start point".
    """
    moment = to_datetime(value) if not _is_undefined(value) else None
    moment = (moment or dt.datetime.fromtimestamp(0, tz=dt.UTC)).astimezone(dt.UTC)
    if fmt == "%s":
        return int(moment.timestamp())
    return moment.strftime(fmt)


def _is_undefined(value: object) -> bool:
    return type(value).__name__.endswith("Undefined")


#: Largest power and largest string/list a template may build (no CPU or memory bombs).
MAX_EXPONENT = 128
MAX_SIZE = 1_000_000


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


class Template:
    """A compiled description value: a constant, a native expression, or a text template."""

    __slots__ = ("_expression", "_source", "_template")

    def __init__(self, source: str) -> None:
        """Compile ``source``; raise :class:`TemplateError` on a syntax error."""
        self._source = source
        self._expression: t.Any = None
        self._template: t.Any = None
        stripped = source.strip()
        if "{%" in source:
            msg = f"template {source!r} uses a statement ({{% ... %}}); descriptions allow only {{{{ expressions }}}}"
            raise TemplateError(msg)
        try:
            if _is_single_expression(stripped):
                self._expression = ENV.compile_expression(stripped[2:-2], undefined_to_none=True)
            else:
                self._template = ENV.from_string(source)
        except TemplateSyntaxError as exc:
            msg = f"template {source!r} does not parse: {exc.message}"
            raise TemplateError(msg) from None
        except (SecurityError, ArithmeticError, ValueError, RecursionError, MemoryError) as exc:
            msg = f"template {source!r} is not allowed: {exc}"
            raise TemplateError(msg) from None

    @property
    def source(self) -> str:
        """The template text."""
        return self._source

    def render(self, variables: Variables) -> object:
        """Evaluate with ``variables``; raise :class:`TemplateError` on failure."""
        evaluate = self._expression if self._expression is not None else self._template.render
        return _evaluate(f"template {self._source!r}", evaluate, variables)


def _is_single_expression(text: str) -> bool:
    return text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1


def is_template(value: object) -> bool:
    """Whether a description value is a template."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def compile_tree(value: object) -> object:
    """Compile every template string in a nested description value."""
    if isinstance(value, dict):
        return {key: compile_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_tree(item) for item in value]
    if is_template(value):
        return Template(t.cast("str", value))
    return value


def render_tree(value: object, variables: Variables) -> t.Any:
    """Render a tree compiled by :func:`compile_tree`."""
    if isinstance(value, Template):
        return value.render(variables)
    if isinstance(value, dict):
        return {key: render_tree(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render_tree(item, variables) for item in value]
    return value


def referenced_slice_keys(value: object) -> set[str]:
    """The ``stream_slice``/``parent`` keys a (raw) description value refers to."""
    found: set[str] = set()
    if isinstance(value, dict):
        for item in value.values():
            found |= referenced_slice_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_slice_keys(item)
    elif is_template(value):
        try:
            tree = ENV.parse(t.cast("str", value))
        except TemplateSyntaxError:
            return found
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            access = t.cast("nodes.Getattr | nodes.Getitem", node)
            target = access.node
            if not (isinstance(target, nodes.Name) and target.name in {"stream_slice", "parent"}):
                continue
            if isinstance(access, nodes.Getattr):
                found.add(access.attr)
            elif isinstance(access.arg, nodes.Const):
                found.add(str(access.arg.value))
    return found


class Condition:
    """A sandboxed boolean expression over the parsed ``response``, e.g. a stop condition."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        """Compile ``source``; raise :class:`TemplateError` on a syntax error."""
        self._source = source
        try:
            self._compiled = ENV.compile_expression(source, undefined_to_none=True)
        except TemplateSyntaxError as exc:
            msg = f"expression {source!r} does not parse: {exc.message}"
            raise TemplateError(msg) from None
        except (SecurityError, ArithmeticError, ValueError, RecursionError, MemoryError) as exc:
            msg = f"expression {source!r} is not allowed: {exc}"
            raise TemplateError(msg) from None

    def __call__(self, **variables: object) -> bool:
        """Evaluate to a boolean."""
        return bool(_evaluate(f"expression {self._source!r}", self._compiled, variables))


def _evaluate(what: str, evaluate: t.Callable[..., object], variables: Variables) -> object:
    """Run compiled template code; sandbox violations and failures become :class:`TemplateError`."""
    try:
        result = evaluate(**variables)
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
