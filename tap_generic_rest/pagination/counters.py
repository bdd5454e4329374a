"""dlt's numeric paginators: ``offset`` and ``page_number`` (a position sent on every request)."""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_generic_rest.expressions.selectors import lookup
from tap_generic_rest.http.responses import response_json
from tap_generic_rest.pagination.base import Pagination, set_value

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.streams.rest import HTTPRequest


class _Counter(Pagination):
    """A numeric position sent on every request (offset, page number), with a total and a maximum."""

    position: t.ClassVar[str]  # the position field: offset or page
    maximum: t.ClassVar[str]  # maximum_offset or maximum_page

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        set_value(request, self.spec.get(f"{self.position}_param", self.position),
                  self.spec.get(f"{self.position}_body_path"), token)

    def step(self) -> int:
        """How far the position moves per page."""
        return 1

    def past_total(self, next_value: int, total: float) -> bool:
        """Whether ``next_value`` is beyond the response's total."""
        raise NotImplementedError

    def total_missing(self) -> bool:
        """Whether pagination stops when the response has no usable total."""
        return False

    @override
    def has_more(self, response: requests.Response, token: object) -> bool:
        next_value = t.cast("int", token) + self.step()
        maximum = self.spec.get(self.maximum)
        if maximum is not None and next_value >= maximum:
            return False
        path = self.spec.get("total_path", "total")
        if path:
            total = lookup(response_json(response), path)
            if not isinstance(total, (int, float)) or isinstance(total, bool):
                if self.total_missing():
                    return False
            elif self.past_total(next_value, total):
                return False
        return super().has_more(response, token)

    @override
    def next_token(self, response: requests.Response, token: object) -> object:
        return t.cast("int", token) + self.step()


class Offset(_Counter):
    """dlt ``offset``: ``offset=0,limit,2*limit,...``, both sent on every request; a missing total
    leaves the empty page past the end to stop."""

    type = "offset"
    token_name = "offset"
    position = "offset"
    maximum = "maximum_offset"

    @override
    def start_value(self) -> object:
        return int(self.spec.get("offset", 0))

    @override
    def apply(self, request: HTTPRequest, token: object) -> None:
        super().apply(request, token)
        set_value(request, self.spec.get("limit_param", "limit"), self.spec.get("limit_body_path"),
                  self.spec["limit"])

    @override
    def step(self) -> int:
        return int(self.spec["limit"])

    @override
    def past_total(self, next_value: int, total: float) -> bool:
        return next_value >= total


class PageNumber(_Counter):
    """dlt ``page_number``: ``page=base_page,base_page+1,...``; ``total_path`` holds the page count;
    a missing total stops."""

    type = "page_number"
    token_name = "page number"
    position = "page"
    maximum = "maximum_page"

    @override
    def start_value(self) -> object:
        base = int(self.spec.get("base_page", 0))
        return int(self.spec.get("page", base) if self.spec.get("page") is not None else base)

    @override
    def past_total(self, next_value: int, total: float) -> bool:
        return next_value >= total + int(self.spec.get("base_page", 0))

    @override
    def total_missing(self) -> bool:
        return True
