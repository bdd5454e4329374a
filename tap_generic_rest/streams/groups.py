"""Groups of parent values (``group_parents``): parents' contexts gathered into requests of up to ``size``
values, and each record of a group's response attributed to its parent.

A group's context holds the grouped key with the tuple of its values (what the request renders, joined or as a
list, is :meth:`Grouping.value`); the other parent fields of each member stay here, found again by the value
a record names in ``record_parent_field``.
"""

from __future__ import annotations

import json
import typing as t

from tap_generic_rest.expressions.selectors import lookup

if t.TYPE_CHECKING:
    import logging

    from tap_generic_rest.description.grouping import Grouping

Context = t.Mapping[str, t.Any]


def _same(value: object) -> str:
    """A parent value compared as the API may echo it (``7`` and ``"7"`` are the same parent)."""
    return value if isinstance(value, str) else json.dumps(value)


class ParentGroups:
    """The groups of one grouped child stream."""

    def __init__(self, name: str, grouping: Grouping, logger: logging.Logger) -> None:
        """No parent seen yet."""
        self._name = name
        self._grouping = grouping
        self._logger = logger
        self._pending: list[Context] = []
        self._seen: set[str] = set()
        #: group values -> the contexts of its members, by parent value
        self._members: dict[tuple[t.Any, ...], dict[str, Context]] = {}
        self._unknown_warned = False

    def add(self, context: Context) -> list[dict[str, t.Any]]:
        """Take one parent's context; the groups it completes (at most one)."""
        value = context[self._grouping.key]
        if self._grouping.deduplicate:
            if _same(value) in self._seen:
                return []
            self._seen.add(_same(value))
        self._pending.append(context)
        return self.flush() if len(self._pending) >= self._grouping.size else []

    def flush(self) -> list[dict[str, t.Any]]:
        """The group of the parents taken since the last one (none when there are none)."""
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        return [self.group(pending)]

    def group(self, members: t.Sequence[Context]) -> dict[str, t.Any]:
        """The context of one group of parent contexts."""
        values = tuple(member[self._grouping.key] for member in members)
        self._members[values] = {_same(member[self._grouping.key]): member for member in members}
        return {self._grouping.key: values}

    def member(self, row: t.Mapping[str, t.Any], context: Context | None) -> Context | None:
        """The context of the parent ``row`` belongs to (``context`` itself outside a group)."""
        values = (context or {}).get(self._grouping.key)
        field = self._grouping.record_parent_field
        if not isinstance(values, tuple) or field is None:
            return context
        members = self._members.get(values, {})
        found = members.get(_same(lookup(row, field)))
        if found is None and not self._unknown_warned:
            self._unknown_warned = True
            self._logger.warning(
                "Stream %s: a record's %s is %r, which is none of the parent values it was requested for "
                "(%s); it is written without the fields taken from its parent", self._name, field,
                lookup(row, field), ", ".join(members)[:200])
        return {**(context or {}), **found} if found is not None else context

    def done(self, context: Context | None) -> None:
        """A group's sync ended: its members are forgotten."""
        values = (context or {}).get(self._grouping.key)
        if isinstance(values, tuple):
            self._members.pop(values, None)
