"""A loopback API whose records change after the discovery sample: ``GET /things?page=N``.

``COUNT`` records, ``PAGE`` a page, ``{"data": [...], "total_pages": N}``. Record ``n`` (from 0):
``id`` ``"t<n>"``; ``score`` an integer, a number from ``NUMBER_FROM`` on; ``meta`` ``{"k": "v"}``,
with ``extra`` from ``NESTED_FROM`` on; ``late_field`` from ``LATE_FROM`` on; ``flag`` a boolean,
the string ``"yes"`` at ``STRING_AT``. Everything before record 1,000 (the sample) is uniform.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs, urlsplit

from tests.safety.helpers import Answer, CannedApi, Received

COUNT = 3000
PAGE = 500
LATE_FROM = 1500
NUMBER_FROM = 2000
NESTED_FROM = 2500
STRING_AT = 2900


def thing(n: int, *, retype_flag: bool = True) -> dict[str, t.Any]:
    """Record ``n`` (``retype_flag`` false: ``flag`` stays a boolean)."""
    record: dict[str, t.Any] = {"id": f"t{n}", "score": n + 0.5 if n >= NUMBER_FROM else n,
                                "meta": {"k": "v", **({"extra": n} if n >= NESTED_FROM else {})},
                                "flag": "yes" if n == STRING_AT and retype_flag else n % 2 == 0}
    if n >= LATE_FROM:
        record["late_field"] = f"late {n}"
    return record


def _page(request: Received, *, retype_flag: bool) -> Answer:
    page = int(parse_qs(urlsplit(request.target).query).get("page", ["0"])[0])
    first = page * PAGE
    records = [thing(n, retype_flag=retype_flag) for n in range(first, min(first + PAGE, COUNT))]
    return Answer(body={"data": records, "total_pages": -(-COUNT // PAGE)})


def evolving_api(*, retype_flag: bool = True) -> CannedApi:
    """The API on an ephemeral loopback port (a context manager); ``retype_flag`` false: no boolean
    becomes a string (a type change some targets cannot make to a column)."""
    api = CannedApi()
    api.routes["/things"] = lambda request: _page(request, retype_flag=retype_flag)
    return api


def description(url: str, **resource: t.Any) -> dict[str, t.Any]:
    """A description of the API with one resource ``things`` (``resource`` adds or replaces keys)."""
    return {"client": {"base_url": url}, "resources": [{
        "name": "things", "primary_key": "id",
        "endpoint": {"path": "/things", "data_selector": "data",
                     "paginator": {"type": "page_number", "base_page": 0, "total_path": "total_pages"}},
        **resource}]}
