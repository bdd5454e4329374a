"""Conditions: one sandboxed ``{{ expression }}`` over a context, true or false.

The one boolean mechanism of descriptions beyond the paginator's ``stop_condition``: a record
filter (``record_filter``, over ``record``) and an error rule's predicate (``predicate``, over the
decoded ``response`` and its ``headers``) are both a :class:`ContextCondition`, compiled with the
template variables of their place and run in the same sandbox as every template. A condition that
reads a field its context lacks is false (most bodies have no ``error`` object).
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.expressions.sandbox import TEMPLATE_VARIABLES, MissingValueError, TemplateError, Variables
from tap_generic_rest.expressions.templating import parse_parts

#: the variables of record shaping (``record_filter``, ``add_fields``)
RECORD_VARIABLES = TEMPLATE_VARIABLES | {"record", "stream_partition"}
#: the variables of error rules (``predicate``, ``error_message``)
RESPONSE_VARIABLES = TEMPLATE_VARIABLES | {"headers"}
#: every template variable of any place (the settings a description reads are found with these)
EVERY_VARIABLE = RECORD_VARIABLES | RESPONSE_VARIABLES
#: text results that count as false (as YAML or an API would write false)
FALSE_TEXTS = frozenset({"", "false", "none", "null"})


def truthy(value: object) -> bool:
    """A condition's result as a boolean: Python's truth, except that the texts in :data:`FALSE_TEXTS` are false."""
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_TEXTS
    return bool(value)


class ContextCondition:
    """One ``{{ expression }}`` over the variables of its place, evaluated to a boolean."""

    __slots__ = ("_part", "source")

    def __init__(self, source: str, variables: frozenset[str]) -> None:
        """Compile ``source``: exactly one ``{{ ... }}`` naming ``variables``; raise :class:`TemplateError`."""
        self.source = source
        parts = parse_parts(source.strip(), None, variables)
        part = parts[0]
        if len(parts) != 1 or isinstance(part, str):
            names = ", ".join(sorted(variables))
            msg = (f"{source!r} is not one {{{{ ... }}}} expression over {names}; "
                   "write e.g. \"{{ record.status != 'deleted' }}\"")
            raise TemplateError(msg)
        self._part: t.Callable[[Variables], object] = part

    def __call__(self, variables: Variables) -> bool:
        """True or false for ``variables``; an expression that reads a field its value lacks
        (``response.error.code`` of a body without ``error``) is false."""
        try:
            return truthy(self._part(variables))
        except MissingValueError:
            return False
