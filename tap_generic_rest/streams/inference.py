"""Schema inference for resources without a declared schema (contract 6.3).

At discovery the tap reads pages as in a sync, up to ``SAMPLE_SIZE`` records, and builds a JSON
Schema from what it saw: every top-level key becomes a property; strings, booleans, integers,
numbers, objects and arrays map to their JSON types (integer and number observed together give
number); every property is nullable except the primary key, which is the only required field; a
key only ever null (or a replication key no sampled record holds) is a nullable string; objects
and array items are inferred recursively. A
string property whose every sampled non-null value is an RFC 3339 date-time gets
``format: date-time``; no other ``format`` is inferred.

A child stream is sampled through its parent: the parent's first ``PARENT_SAMPLE`` records (read
for the purpose when the parent's schema is declared) give the child's contexts, and the child's
records from those parents, as a sync would emit them (parent keys included), give its schema.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import re
import typing as t

from tap_generic_rest.run.progress import PROGRESS

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Protocol

    from singer_sdk.helpers.types import Context

    from tap_generic_rest.streams.fanout import FanOut

    class SampledStream(Protocol):
        """What inference needs of a stream (no import of the stream modules: no import circle)."""

        name: str
        fanout: FanOut

        @property
        def logger(self) -> logging.Logger: ...

        @property
        def primary_keys(self) -> Sequence[str]: ...

        @property
        def replication_key(self) -> str | None: ...

        @property
        def parent_stream_type(self) -> type[t.Any] | None: ...

        def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]: ...

        def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None: ...

        def generate_child_contexts(
            self, record: dict[str, t.Any], context: Context | None
        ) -> Iterable[Context | None]: ...

SAMPLE_SIZE = 1000
#: how many parent records a child stream's schema is sampled from
PARENT_SAMPLE = 5
#: levels of nesting an inferred schema describes (a 600-deep value must not exhaust the recursion limit)
MAX_DEPTH = 32
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
ORDER = ("string", "boolean", "integer", "number", "object", "array")


def json_type(value: object) -> str | None:
    """The JSON type of a parsed value (``None`` for null); a Decimal without fraction or exponent is an integer."""
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


def is_date_time(value: str) -> bool:
    """Whether ``value`` is an RFC 3339 date-time (``2024-05-01T12:00:00Z``, offsets, fractions)."""
    if not _RFC3339.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # e.g. month 13, or a leap second, which Python cannot represent
        return False
    return True


def infer_value_schema(
    values: list[object], *, nullable: bool = True, item: bool = False, depth: int = 0
) -> dict[str, t.Any]:
    """The schema of one property (or array ``item``) from every value observed for it.

    An object whose keys were never seen gets no ``properties`` (one JSON column when flattened; the
    flattener drops an object with ``properties: {}``), except as an array item, where the SDK's
    record conformance needs ``properties``. Below :data:`MAX_DEPTH` levels a value's schema names its
    type only: deeper values pass as the API sent them (nested values are not conformed).
    """
    types = {name for value in values if (name := json_type(value)) is not None}
    if "integer" in types and "number" in types:
        types.discard("integer")
    ordered = [name for name in ORDER if name in types] or ["string"]
    schema: dict[str, t.Any] = {"type": [*ordered, "null"] if nullable else ordered}
    if types == {"string"} and all(is_date_time(value) for value in values if isinstance(value, str)):
        schema["format"] = "date-time"
    if depth >= MAX_DEPTH:
        return schema
    if "object" in types:
        properties = infer_properties([value for value in values if isinstance(value, dict)], depth + 1)
        if properties or item:
            schema["properties"] = properties
    if "array" in types:
        items = list(itertools.chain.from_iterable(value for value in values if isinstance(value, list)))
        schema["items"] = infer_value_schema(items, item=True, depth=depth + 1) if items else {}
    return schema


def infer_properties(records: list[dict[str, t.Any]], depth: int = 0) -> dict[str, t.Any]:
    """Properties for every key seen in any of ``records`` (in first-seen order)."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return {key: infer_value_schema([record.get(key) for record in records if key in record], depth=depth)
            for key in keys}


def schema_from_records(records: list[dict[str, t.Any]], primary_key: t.Sequence[str]) -> dict[str, t.Any]:
    """A stream schema from sampled records; primary key fields are required and never null."""
    properties = infer_properties(records)
    for key in primary_key:
        observed = [record.get(key) for record in records if key in record]
        properties[key] = infer_value_schema(observed, nullable=False)
    ordered = {key: properties[key] for key in primary_key} | properties
    return {"type": "object", "required": list(primary_key), "properties": ordered}


class SchemaSampler:
    """Infers the schemas of one discovery's streams, parents before children."""

    def __init__(self) -> None:
        """Start with no streams and no samples."""
        self._streams: dict[type[SampledStream], SampledStream] = {}
        self._samples: dict[str, tuple[int, list[tuple[dict[str, t.Any], Context | None]]]] = {}

    def add(self, stream: SampledStream) -> None:
        """Know ``stream`` (every stream is added, in order, before its children are inferred)."""
        self._streams[type(stream)] = stream

    def infer_schema(self, stream: SampledStream) -> dict[str, t.Any]:
        """Read up to ``SAMPLE_SIZE`` records of ``stream`` (through its parents) and infer its schema."""
        records = [record for record, _ in self._sample(stream, SAMPLE_SIZE)]
        stream.logger.info("Inferred the schema of %s from %d records", stream.name, len(records))
        schema = schema_from_records(records, stream.primary_keys)
        if stream.replication_key and stream.replication_key not in schema["properties"]:
            # no sampled record holds it (e.g. every one is before the start value): never seen
            schema["properties"][stream.replication_key] = infer_value_schema([])
        return schema

    def _sample(self, stream: SampledStream, limit: int) -> list[tuple[dict[str, t.Any], Context | None]]:
        cached = self._samples.get(stream.name)
        if cached is not None and (cached[0] >= limit or len(cached[1]) < cached[0]):
            return cached[1]  # enough, or everything there is
        sample = list(itertools.islice(self._records(stream), limit))
        self._samples[stream.name] = (limit, sample)
        return sample

    def _records(self, stream: SampledStream) -> Iterator[tuple[dict[str, t.Any], Context | None]]:
        for context in self._contexts(stream):  # a sync's records (a parent gone with 404 gives none)
            for record in stream.get_records(context):
                if (row := stream.post_process(dict(record), context)) is not None:
                    PROGRESS.sample(stream.name)
                    yield row, context

    def _contexts(self, stream: SampledStream) -> Iterator[Context | None]:
        if stream.parent_stream_type is None:
            yield from (context or None for context in stream.fanout.samples(None))  # each partition of its lists
            return
        parent = self._streams[t.cast("type[SampledStream]", stream.parent_stream_type)]
        contexts = (
            child_context
            for record, context in self._sample(parent, PARENT_SAMPLE)
            for parent_context in parent.generate_child_contexts(record=dict(record), context=context)
            if parent_context is not None
            for child_context in stream.fanout.samples(parent_context)
        )
        yield from itertools.islice(contexts, PARENT_SAMPLE)

