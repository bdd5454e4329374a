"""Record shaping at run time: each selected record filtered, then fields added, then fields removed.

The template variables are the partition's request variables (``config``, ``stream_slice``/``parent``,
``stream_interval``, ``incremental``) plus ``stream_partition`` (the partition's context), ``response``
(the decoded body the record came from) and ``record``. A record the filter drops is counted, and the
count is logged once per stream (``records filtered by record_filter: N``): nothing is dropped silently.
"""

from __future__ import annotations

import decimal
import json
import threading
import typing as t

from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.templating import Template, TemplateError

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Iterator

    import requests
    from singer_sdk.helpers.types import Context

    from tap_generic_rest.description.model import Resource
    from tap_generic_rest.description.shaping import AddedField
    from tap_generic_rest.expressions.conditions import ContextCondition

Record = dict[str, t.Any]
_CONTEXT_ATTRIBUTE = "_tap_generic_rest_context"


def remember_partition(response: requests.Response, context: Context | None) -> requests.Response:
    """Note on ``response`` the partition it answers (the SDK parses responses without their context)."""
    setattr(response, _CONTEXT_ATTRIBUTE, context)
    return response


def partition_of(response: requests.Response) -> Context | None:
    """The partition ``response`` answers (see :func:`remember_partition`)."""
    return t.cast("Context | None", getattr(response, _CONTEXT_ATTRIBUTE, None))


class RecordShaper:
    """One stream's ``record_filter``, ``add_fields`` and ``remove_fields``, with its count of filtered records."""

    def __init__(self, name: str, resource: Resource, variables: Callable[[Context | None], dict[str, t.Any]],
                 logger: logging.Logger) -> None:
        """Shaping of ``resource``; ``variables`` gives a partition's template variables."""
        self._name = name
        self._resource = resource
        self._shaping = resource.shaping
        self._variables = variables
        self._logger = logger
        self._lock = threading.Lock()
        self.filtered = 0

    @property
    def active(self) -> bool:
        """Whether records are shaped at all."""
        return self._shaping.active

    def shape(self, records: Iterable[Record], response: requests.Response, document: object) -> Iterator[Record]:
        """``records`` (selected from ``response``, whose decoded body is ``document``) kept and reshaped."""
        context = partition_of(response)
        variables = {**self._variables(context), "stream_partition": dict(context or {}), "response": document}
        shaping, dropped = self._shaping, 0
        try:
            for record in records:
                variables["record"] = record
                if shaping.record_filter is not None and not self._keeps(shaping.record_filter, variables):
                    dropped += 1
                    continue
                for field in shaping.added:
                    self._put(record, field, self._value(field, variables))
                for pointer in shaping.removed:
                    _pop(record, pointer)
                yield record
        finally:
            self._count(dropped)

    def _keeps(self, condition: ContextCondition, variables: dict[str, t.Any]) -> bool:
        try:
            return condition(variables)
        except TemplateError as exc:
            raise StreamError(f"stream {self._name}: {exc}; fix {self._resource.where}.record_filter") from None

    def _count(self, dropped: int) -> None:
        if dropped:
            with self._lock:
                self.filtered += dropped

    def _value(self, field: AddedField, variables: dict[str, t.Any]) -> object:
        where = f"{self._resource.where}.add_fields (path {list(field.path)})"
        value = field.value
        try:
            if isinstance(value, Template):
                value = value.render(variables)
                if field.value_type is None:
                    return as_text(value)
            return converted(value, field.value_type)
        except TemplateError as exc:
            raise StreamError(f"stream {self._name}: {exc}; fix {where}") from None
        except (ValueError, TypeError, decimal.InvalidOperation):
            msg = (f"stream {self._name}: the value {str(value)[:60]!r} is not of value_type {field.value_type}; "
                   f"fix {where}")
            raise StreamError(msg) from None

    def _put(self, record: Record, field: AddedField, value: object) -> None:
        node = record
        for depth, name in enumerate(field.path[:-1]):
            child = node.setdefault(name, {})
            if child is None:
                child = node[name] = {}
            if not isinstance(child, dict):
                msg = (f"stream {self._name}: a record's {'.'.join(field.path[:depth + 1])!r} is "
                       f"{type(child).__name__}, not an object, so {'.'.join(field.path)!r} cannot be added; "
                       f"fix {self._resource.where}.add_fields")
                raise StreamError(msg)
            node = child
        node[field.path[-1]] = value

    def report(self) -> None:
        """One line for the records the filter dropped since the last report."""
        if self._shaping.record_filter is None:
            return
        with self._lock:
            filtered, self.filtered = self.filtered, 0
        self._logger.info("Stream %s: records filtered by record_filter: %d", self._name, filtered)

    def reset(self) -> None:
        """Forget what was counted (records read to infer a schema are not the sync's)."""
        with self._lock:
            self.filtered = 0


def as_text(value: object) -> str | None:
    """A template's value without ``value_type``: text (JSON for booleans, objects and lists), null kept."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def converted(value: object, value_type: str | None) -> object:
    """``value`` as ``value_type`` (null stays null); a value that is not of the type raises ValueError."""
    if value is None or value_type is None:
        return value
    if value_type == "string":
        return as_text(value)
    if value_type == "boolean":
        return _boolean(value)
    if isinstance(value, bool):
        raise ValueError(value)
    number = decimal.Decimal(str(value).strip())
    if value_type == "integer":
        if number != number.to_integral_value():
            raise ValueError(value)
        return int(number)
    if not number.is_finite():
        raise ValueError(value)
    return int(number) if isinstance(value, int) else number


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise ValueError(value)


def _pop(record: Record, pointer: tuple[str, ...]) -> None:
    node: object = record
    for name in pointer[:-1]:
        node = node.get(name) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(pointer[-1], None)
