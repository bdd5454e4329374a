"""The search endpoints of the ``support`` API (contract §5.4): query tree, sort, body cursor.

- A query node is a filter ``{"field","operator","value"}`` (fields ``updated_at``/``created_at``,
  operators ``>``, ``<``, ``=``, integer or digit-string values compared exactly) or a group
  ``{"operator":"AND"|"OR","value":[nodes]}``; groups nest at most 2 levels. Anything else is
  400 ``parameter_invalid``.
- ``sort.order`` ``ascending``/``descending`` (default descending, else 400 ``invalid_sort_order``),
  ties broken by ``id`` ascending.
- ``pagination.per_page`` 1-150; ``starting_after`` is base64 of JSON ``[sort value, id]`` of the
  last record served, so a position survives ties and data changes.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import ApiError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .messages import JsonObject

SEARCH_FIELDS = ("updated_at", "created_at")
COMPARISONS: dict[str, Callable[[int, int], bool]] = {">": operator.gt, "<": operator.lt, "=": operator.eq}
MAX_GROUP_DEPTH = 2
MAX_PER_PAGE = 150


def invalid(message: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message)


def as_integer(value: Any, what: str) -> int:
    """A JSON integer or a digit string, else 400 ``parameter_invalid``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise invalid(f"{what} must be an integer")


def compile_query(node: Any, depth: int = 0) -> Callable[[JsonObject], bool]:
    """Turn a query tree into a predicate over records, validating it on the way."""
    if not isinstance(node, dict):
        raise invalid("Each query node must be an object")
    if "field" in node:
        field = node.get("field")
        filter_operator = node.get("operator")
        compare = COMPARISONS.get(filter_operator) if isinstance(filter_operator, str) else None
        if field not in SEARCH_FIELDS:
            raise invalid(f"Unsupported search field: {field!r}")
        if compare is None:
            raise invalid(f"Unsupported operator for {field}: {filter_operator!r}")
        target = as_integer(node.get("value"), f"The value of the {field} filter")
        return lambda record: compare(record[field], target)
    group_operator = node.get("operator")
    children = node.get("value")
    if group_operator not in ("AND", "OR"):
        raise invalid(f"Unsupported group operator: {group_operator!r}")
    if depth >= MAX_GROUP_DEPTH:
        raise invalid(f"Query groups may be nested at most {MAX_GROUP_DEPTH} levels")
    if not isinstance(children, list) or not children:
        raise invalid("A query group needs a non-empty list of nodes")
    predicates = [compile_query(child, depth + 1) for child in children]
    combine = all if group_operator == "AND" else any
    return lambda record: combine(predicate(record) for predicate in predicates)


def encode_cursor(value: int, record_id: str) -> str:
    return base64.b64encode(json.dumps([value, record_id], separators=(",", ":")).encode("utf-8")).decode("ascii")


def decode_cursor(text: Any) -> tuple[int, str]:
    if not isinstance(text, str):
        raise invalid("starting_after must be a string")
    try:
        decoded = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise invalid("starting_after is not a valid cursor") from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or not isinstance(decoded[0], int)
        or isinstance(decoded[0], bool)
        or not isinstance(decoded[1], str)
    ):
        raise invalid("starting_after is not a valid cursor")
    return decoded[0], decoded[1]


@dataclass(frozen=True)
class SearchRequest:
    predicate: Callable[[JsonObject], bool]
    sort_field: str
    descending: bool
    per_page: int
    starting_after: str | None


@dataclass(frozen=True)
class SearchPage:
    records: list[JsonObject]
    total_count: int
    page: int
    per_page: int
    total_pages: int
    next_cursor: str | None


def parse_search(body: Any, default_per_page: int) -> SearchRequest:
    """Validate a search body (see the module docstring)."""
    if not isinstance(body, dict) or "query" not in body:
        raise invalid("The request body must be an object with a query")
    predicate = compile_query(body["query"])
    sort = body.get("sort") or {}
    if not isinstance(sort, dict):
        raise invalid("sort must be an object")
    sort_field = sort.get("field", "updated_at")
    if sort_field not in SEARCH_FIELDS:
        raise invalid(f"Unsupported sort field: {sort_field!r}")
    order = sort.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise ApiError(400, "invalid_sort_order", f"Invalid sort order: {order!r}")
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise invalid("pagination must be an object")
    per_page = as_integer(pagination.get("per_page", default_per_page), "per_page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise invalid(f"per_page must be between 1 and {MAX_PER_PAGE}")
    starting_after = pagination.get("starting_after")
    if starting_after is not None:
        decode_cursor(starting_after)
    return SearchRequest(predicate, sort_field, order == "descending", per_page, starting_after)


def run_search(records: Sequence[JsonObject], search: SearchRequest, *, repeat_cursor: bool = False) -> SearchPage:
    """One page of the matching records; ``repeat_cursor`` echoes a received cursor (fault mode)."""

    def sort_key(value: int, record_id: str) -> tuple[int, str]:
        return (-value if search.descending else value, record_id)

    matching = sorted(
        (record for record in records if search.predicate(record)),
        key=lambda record: sort_key(record[search.sort_field], record["id"]),
    )
    start = 0
    if search.starting_after is not None:
        keys = [sort_key(record[search.sort_field], record["id"]) for record in matching]
        start = bisect.bisect_right(keys, sort_key(*decode_cursor(search.starting_after)))
    page = matching[start : start + search.per_page]
    next_cursor: str | None = None
    if repeat_cursor and search.starting_after is not None:
        next_cursor = search.starting_after
    elif start + len(page) < len(matching):
        next_cursor = encode_cursor(page[-1][search.sort_field], page[-1]["id"])
    return SearchPage(
        records=page,
        total_count=len(matching),
        page=start // search.per_page + 1,
        per_page=search.per_page,
        total_pages=math.ceil(len(matching) / search.per_page),
        next_cursor=next_cursor,
    )
