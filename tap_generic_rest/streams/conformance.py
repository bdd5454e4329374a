"""Record conformance: the SDK's ``ROOT_ONLY`` type conformance, prepared once per schema.

The SDK re-derives, for every property of every record, what its schema asks (a boolean, a
number, ...): at 10,000 records that was a third of a sync's time. The result here is the SDK's
own: properties not in the schema are dropped (with the SDK's one warning), values that need no
change (strings, integers, objects, lists; booleans unless the schema is a boolean) pass as they
are, and every other value goes through the SDK's conformance.
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_generic_rest.streams.sdk_seam import (
    _is_exclusive_boolean_type,
    _warn_unmapped_properties,
    conform_record_data_types,
)

if t.TYPE_CHECKING:
    import logging

#: value types ROOT_ONLY conformance leaves unchanged (unless the property is boolean-only)
_UNCHANGED = frozenset({str, int, bool, type(None), dict, list})


class RootConformer:
    """Conforms the records of one stream to one schema."""

    def __init__(self, stream_name: str, schema: dict[str, t.Any], logger: logging.Logger) -> None:
        """Read ``schema`` once."""
        self.schema = schema
        self._stream_name = stream_name
        self._logger = logger
        self._properties: dict[str, t.Any] = schema.get("properties", {})
        self._additional = bool(schema.get("additionalProperties"))
        self._booleans = {name for name, spec in self._properties.items() if _is_exclusive_boolean_type(spec)}

    def conform(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """``record`` as the SDK's ROOT_ONLY conformance makes it."""
        properties = self._properties
        conformed: dict[str, t.Any] = {}
        unmapped: list[str] = []
        for name, value in record.items():
            if name not in properties:
                if self._additional:
                    conformed[name] = value
                else:
                    unmapped.append(name)
            elif type(value) in _UNCHANGED and name not in self._booleans:
                conformed[name] = value
            else:
                one = {"properties": {name: properties[name]}}
                conformed[name] = conform_record_data_types(
                    self._stream_name, {name: value}, one, TypeConformanceLevel.ROOT_ONLY, self._logger
                )[name]
        if unmapped:
            _warn_unmapped_properties(self._stream_name, tuple(unmapped), self._logger)
        return conformed
