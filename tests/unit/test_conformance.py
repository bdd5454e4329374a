"""RootConformer gives exactly the SDK's ROOT_ONLY conformance."""

from __future__ import annotations

import datetime as dt
import logging
import math

import pytest
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_generic_rest.streams.conformance import RootConformer

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": ["string"]},
        "count": {"type": ["integer", "null"]},
        "ratio": {"type": ["number", "null"]},
        "flag": {"type": ["boolean", "null"]},
        "either": {"type": ["boolean", "string"]},
        "when": {"type": ["string", "null"], "format": "date-time"},
        "tags": {"type": ["array", "null"], "items": {"type": ["string"]}},
        "meta": {"type": ["object", "null"], "properties": {"a": {"type": ["integer"]}}},
        "blob": {"type": ["string", "null"]},
    },
}
RECORDS = [
    {"id": "a", "count": 3, "ratio": 0.5, "flag": True, "either": "x", "tags": ["t"], "meta": {"a": 1, "b": 2}},
    {"id": "b", "count": None, "ratio": math.nan, "flag": 0, "either": 1, "when": dt.datetime(2024, 1, 2, 3, 4, 5)},
    {"id": "c", "ratio": math.inf, "flag": "false", "unknown": 1, "blob": b"\x01\x02", "tags": "not a list"},
    {"id": "d", "flag": None, "meta": "text", "count": 2.0, "when": dt.date(2024, 1, 2)},
]


@pytest.mark.parametrize("additional", [False, True])
def test_the_sdks_root_only_result(additional: bool) -> None:
    schema = {**SCHEMA, "additionalProperties": additional}
    logger = logging.getLogger("test-conformance")
    conformer = RootConformer("items", schema, logger)
    for record in RECORDS:
        expected = conform_record_data_types("items", dict(record), schema, TypeConformanceLevel.ROOT_ONLY, logger)
        got = conformer.conform(dict(record))
        assert repr(got) == repr(expected)  # repr: nan == nan
