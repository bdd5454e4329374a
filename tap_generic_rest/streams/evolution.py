"""Schema evolution: keys and value types a stream's schema lacks, handled by its ``schema_contract``.

Nothing is dropped unless the contract says so. A record the schema covers (``coverage.covers``)
passes untouched. Otherwise its changes are found — a key absent from the schema (top-level, or in
a nested object with declared ``properties``) and a value of a JSON type the property lacks — and
each is handled by its entity's mode (``description/contract.py``): ``evolve`` adds the key (typed by
the inference rules, ``inference.infer_value_schema``) or widens the type (``integer`` + ``number``
give ``number``; a widened string loses its ``format``) in a new schema, which the stream sends
again before the record; ``freeze`` fails the stream in one line naming the stream, the key and
the record's primary key; ``discard_value`` removes the value, ``discard_row`` the record, each
counted and reported in one warning per stream.
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass

from tap_generic_rest.errors import UserError
from tap_generic_rest.streams.coverage import compile_root, covers, declares_properties, types_of
from tap_generic_rest.streams.inference import ORDER, infer_value_schema, json_type

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Sequence

    from tap_generic_rest.description.contract import SchemaContract
    from tap_generic_rest.streams.coverage import Node


@dataclass
class Change:
    """One way a record departs from the schema."""

    entity: str  # "columns": a new key; "data_type": a value of a new type
    path: str
    #: the dict or list holding the value, and its key or index there
    holder: dict[str, t.Any] | list[t.Any]
    key: t.Any
    #: the schema to change: the object schema that lacks ``key``, or the property schema to widen
    schema: dict[str, t.Any]


class SchemaEvolver:
    """Applies one stream's ``schema_contract`` to its records."""

    def __init__(self, stream_name: str, contract: SchemaContract, primary_key: Sequence[str],
                 logger: logging.Logger) -> None:
        """Know the stream, its contract and its key (for messages)."""
        self._stream = stream_name
        self._contract = contract
        self._primary_key = tuple(primary_key)
        self._logger = logger
        self._schema: dict[str, t.Any] | None = None
        self._nodes: dict[str, Node] = {}
        self.discarded_rows = 0
        self.discarded_values = 0

    def admit(self, record: dict[str, t.Any], schema: dict[str, t.Any]
              ) -> tuple[dict[str, t.Any] | None, dict[str, t.Any] | None]:
        """``(record, new schema)``: the record as emitted (None: discarded) and the evolved schema
        (None: ``schema`` still covers it)."""
        if self._schema is not schema:
            self._schema, self._nodes = schema, compile_root(schema)
        if covers(self._nodes, record):
            return record, None
        evolved = copy.deepcopy(schema)
        changes: list[Change] = []
        _walk_object(record, evolved, "", changes)
        return self._apply(record, evolved, changes)

    def report(self) -> None:
        """One warning for what the contract discarded since the last report."""
        if self.discarded_rows or self.discarded_values:
            self._logger.warning(
                "Stream %s: schema_contract discarded %d records and %d values with keys or types "
                "its schema lacks", self._stream, self.discarded_rows, self.discarded_values)
            self.discarded_rows = self.discarded_values = 0

    def _mode(self, change: Change) -> str:
        return self._contract.columns if change.entity == "columns" else self._contract.data_type

    def _apply(self, record: dict[str, t.Any], evolved: dict[str, t.Any], changes: list[Change]
               ) -> tuple[dict[str, t.Any] | None, dict[str, t.Any] | None]:
        modes = [self._mode(change) for change in changes]
        if "freeze" in modes:
            raise UserError(self._frozen(record, changes[modes.index("freeze")]))
        if "discard_row" in modes:
            self.discarded_rows += 1
            return None, None
        for change, mode in reversed(list(zip(changes, modes, strict=True))):
            if mode == "discard_value":
                self.discarded_values += 1
                del change.holder[change.key]
        added = [(change, mode) for change, mode in zip(changes, modes, strict=True) if mode == "evolve"]
        if not added:
            return record, None
        for change, _ in added:
            _evolve(change)
        self._logger.info("Stream %s: schema evolved (%s); its SCHEMA is sent again", self._stream,
                          ", ".join(f"{_word(change)} {change.path!r}" for change, _ in added))
        return record, evolved

    def _frozen(self, record: dict[str, t.Any], change: Change) -> str:
        key = {name: record.get(name) for name in self._primary_key} if self._primary_key else "(no primary key)"
        what = "a key the schema lacks" if change.entity == "columns" else (
            f"a {json_type(change.holder[change.key]) or 'null'} value, a type the schema lacks")
        return (f"stream {self._stream}: {change.path!r} is {what} (schema_contract {change.entity}: freeze); "
                f"record {key}")


def _word(change: Change) -> str:
    return "new key" if change.entity == "columns" else "type widened of"


def _walk_object(value: dict[str, t.Any], schema: dict[str, t.Any], path: str, changes: list[Change]) -> None:
    properties = schema.setdefault("properties", {})
    for key, item in value.items():
        here = f"{path}.{key}" if path else key
        spec = properties.get(key)
        if spec is None:
            changes.append(Change("columns", here, value, key, schema))
        else:
            _walk_value(item, spec, here, (value, key), changes)


def _walk_value(value: object, spec: dict[str, t.Any], path: str, place: tuple[dict[str, t.Any] | list[t.Any], t.Any],
                changes: list[Change]) -> None:
    types = types_of(spec)
    if not types:
        return  # admits anything
    name = json_type(value) or "null"
    if name not in types and not (name == "integer" and "number" in types):
        changes.append(Change("data_type", path, *place, spec))
        return
    if isinstance(value, dict) and declares_properties(spec):
        _walk_object(value, spec, path, changes)
    elif isinstance(value, list) and isinstance(spec.get("items"), dict):
        for index, item in enumerate(value):
            _walk_value(item, spec["items"], f"{path}[{index}]", (value, index), changes)


def _evolve(change: Change) -> None:
    value = change.holder[change.key]
    if change.entity == "columns":
        change.schema["properties"][change.key] = infer_value_schema([value])
    else:
        _widen(change.schema, value)


def _widen(spec: dict[str, t.Any], value: object) -> None:
    """``spec`` (a property schema) widened to admit ``value``'s type, as inference would type both."""
    added = infer_value_schema([value])
    types = set(types_of(spec)) | set(types_of(added))
    if {"integer", "number"} <= types:
        types.discard("integer")
    spec["type"] = [name for name in ORDER if name in types] + (["null"] if "null" in types else [])
    if value is not None:
        spec.pop("format", None)
    for part in ("properties", "items"):
        if part in added and part not in spec:
            spec[part] = added[part]
