"""Schema inference for resources without a declared schema.

At discovery the tap reads pages as in a sync, up to ``SAMPLE_SIZE`` records, and builds a JSON
Schema from what it saw: every top-level key becomes a property; strings, booleans, integers,
numbers, objects and arrays map to their JSON types (integer and number observed together give
number); every property is nullable except the primary key, which is the only required field; a
key only ever null is a nullable string; objects and array items are inferred recursively; no
``format`` is inferred.
"""

from __future__ import annotations

import decimal
import itertools
import typing as t

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Sequence
    from typing import Protocol

    from singer_sdk.helpers.types import Context

    class SampledStream(Protocol):
        """What inference needs of a stream (no import of the stream modules: no import circle)."""

        name: str

        @property
        def logger(self) -> logging.Logger: ...

        @property
        def primary_keys(self) -> Sequence[str]: ...

        def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]: ...

SAMPLE_SIZE = 1000
_ORDER = ("string", "boolean", "integer", "number", "object", "array")


def _json_type(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, decimal.Decimal):  # JSON numbers are parsed as Decimal
        text = str(value)
        return "integer" if value == value.to_integral_value() and not {".", "E", "e"} & set(text) else "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def infer_value_schema(values: list[object], *, nullable: bool = True, item: bool = False) -> dict[str, t.Any]:
    """The schema of one property (or array ``item``) from every value observed for it.

    An object whose keys were never seen gets no ``properties`` (one JSON column when flattened; the
    flattener drops an object with ``properties: {}``), except as an array item, where the SDK's
    record conformance needs ``properties``.
    """
    types = {json_type for value in values if (json_type := _json_type(value)) is not None}
    if "integer" in types and "number" in types:
        types.discard("integer")
    ordered = [name for name in _ORDER if name in types] or ["string"]
    schema: dict[str, t.Any] = {"type": [*ordered, "null"] if nullable else ordered}
    if "object" in types:
        properties = infer_properties([value for value in values if isinstance(value, dict)])
        if properties or item:
            schema["properties"] = properties
    if "array" in types:
        items = list(itertools.chain.from_iterable(value for value in values if isinstance(value, list)))
        schema["items"] = infer_value_schema(items, item=True) if items else {}
    return schema


def infer_properties(records: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """Properties for every key seen in any of ``records`` (in first-seen order)."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return {key: infer_value_schema([record.get(key) for record in records if key in record]) for key in keys}


def schema_from_records(records: list[dict[str, t.Any]], primary_key: t.Sequence[str]) -> dict[str, t.Any]:
    """A stream schema from sampled records; primary key fields are required and never null."""
    properties = infer_properties(records)
    for key in primary_key:
        observed = [record.get(key) for record in records if key in record]
        properties[key] = infer_value_schema(observed, nullable=False)
    ordered = {key: properties[key] for key in primary_key} | properties
    return {"type": "object", "required": list(primary_key), "properties": ordered}


def infer_schema(stream: SampledStream) -> dict[str, t.Any]:
    """Read up to ``SAMPLE_SIZE`` records of ``stream`` and infer its schema."""
    records = list(itertools.islice(stream.request_records(None), SAMPLE_SIZE))
    stream.logger.info("Inferred the schema of %s from %d records", stream.name, len(records))
    return schema_from_records(records, stream.primary_keys)
