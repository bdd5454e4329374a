"""Every paginator type, driven through the real GenericStream request loop against bare responses."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest

from tap_generic_rest.errors import StreamError

if t.TYPE_CHECKING:
    import requests_mock as rm

URL = "https://api.test/items"
WEBHOOKS_CURSOR = {"type": "cursor", "cursor_param": "iterator", "cursor_path": "iterator", "stop_condition": "done"}
SEARCH_CURSOR = {
    "type": "cursor",
    "cursor_path": "pages.next.starting_after",
    "cursor_body_path": "pagination.starting_after",
}
SCROLL = {"type": "scroll", "cursor_param": "scroll_param", "cursor_path": "scroll_param"}
NEXT_URL = {"type": "json_link", "next_url_path": "pages.next"}
PAGE_NUMBER = {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": "meta.total_pages"}
#: the page size each paginator's API wants, sent as a plain dlt param
PAGE_SIZE = {json.dumps(WEBHOOKS_CURSOR): {"limit": 50}, json.dumps(PAGE_NUMBER): {"per_page": 100}}
OFFSET = {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 2, "total_path": "total"}


def ids(*names: str) -> list[dict[str, str]]:
    return [{"id": name} for name in names]


@pytest.fixture
def read(
    requests_mock: rm.Mocker, records_of: t.Callable[..., list[dict[str, t.Any]]], resource: t.Callable[..., t.Any]
) -> t.Callable[..., tuple[list[dict[str, t.Any]], list[str]]]:
    """Serve ``bodies`` in order at /items; return the records read and the URLs requested."""

    def run(paginator: dict[str, t.Any] | None, *bodies: dict[str, t.Any], **endpoint: t.Any) -> tuple[list, list[str]]:
        requests_mock.register_uri(endpoint.get("method", "GET"), URL, [{"json": body} for body in bodies])
        if paginator is not None:
            endpoint["paginator"] = paginator
            endpoint.setdefault("params", PAGE_SIZE.get(json.dumps(paginator), {}))
        records = records_of(resource(endpoint=endpoint))
        return records, [request.url for request in requests_mock.request_history]

    return run


# -- cursor (webhooks, contract 3.1) -------------------------------------------------------------


def test_cursor_sends_limit_and_stops_on_done_with_an_iterator(read: t.Callable[..., t.Any]) -> None:
    records, urls = read(
        WEBHOOKS_CURSOR,
        {"data": ids("1", "2"), "iterator": "it_2", "prevIterator": None, "done": False},
        {"data": ids("3"), "iterator": "it_3", "prevIterator": "-it_2", "done": True},
        {"data": ids("never"), "iterator": "it_4", "done": True},
    )
    assert records == ids("1", "2", "3")
    assert urls == [f"{URL}?limit=50", f"{URL}?limit=50&iterator=it_2"]


def test_cursor_empty_result(read: t.Callable[..., t.Any]) -> None:
    assert read(WEBHOOKS_CURSOR, {"data": [], "iterator": None, "done": True}) == ([], [f"{URL}?limit=50"])


def test_cursor_stops_with_warning_on_null_iterator_before_done(
    read: t.Callable[..., t.Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        records, urls = read(WEBHOOKS_CURSOR, {"data": ids("1"), "iterator": None, "done": False})
    assert (records, urls) == (ids("1"), [f"{URL}?limit=50"])
    assert (
        "Pagination stopped: the stop condition 'done' says more pages follow, but the response has no "
        "'iterator' to continue from"
    ) in caplog.messages


def test_cursor_fails_on_a_repeated_iterator(read: t.Callable[..., t.Any]) -> None:
    page = {"data": ids("1"), "iterator": "it_1", "done": False}
    with pytest.raises(StreamError) as caught:
        read(WEBHOOKS_CURSOR, page, page)
    assert str(caught.value) == (
        f"stream items: pagination loop: the response from {URL}?limit=50&iterator=it_1 gives the same cursor "
        "as the request ('it_1'); stopping instead of reading the same page forever"
    )


def test_cursor_in_the_json_body(requests_mock: rm.Mocker, read: t.Callable[..., t.Any]) -> None:
    body = {"query": {"field": "updated_at", "operator": ">", "value": 0}, "pagination": {"per_page": 150}}
    records, urls = read(
        SEARCH_CURSOR,
        {"data": ids("1"), "pages": {"page": 1, "next": {"page": 2, "starting_after": "WzE3MTk0OTI3ODBd"}}},
        {"data": ids("2"), "pages": {"page": 2, "next": {"page": 3, "starting_after": "WzJd"}}},
        {"data": ids("3"), "pages": {"page": 3}},
        method="POST",
        json=body,
    )
    assert records == ids("1", "2", "3")
    assert urls == [URL] * 3
    assert [request.json() for request in requests_mock.request_history] == [
        body,
        {**body, "pagination": {"per_page": 150, "starting_after": "WzE3MTk0OTI3ODBd"}},
        {**body, "pagination": {"per_page": 150, "starting_after": "WzJd"}},
    ]
    assert {request.headers["Content-Type"] for request in requests_mock.request_history} == {"application/json"}


# -- scroll (support companies, contract 5.3) ------------------------------------------------------


def test_scroll_stops_only_on_an_empty_page(read: t.Callable[..., t.Any]) -> None:
    records, urls = read(
        SCROLL,
        {"data": ids("1", "2"), "pages": None, "scroll_param": "s_1"},
        {"data": ids("3"), "pages": None, "scroll_param": "s_2"},
        {"data": [], "pages": None, "scroll_param": "s_3"},
    )
    assert records == ids("1", "2", "3")
    assert urls == [URL, f"{URL}?scroll_param=s_1", f"{URL}?scroll_param=s_2"]


def test_scroll_with_a_constant_scroll_param(read: t.Callable[..., t.Any]) -> None:
    page = {"data": ids("1"), "scroll_param": "s_1"}
    records, urls = read(SCROLL, page, {**page, "data": ids("2")}, {**page, "data": []})
    assert records == ids("1", "2")
    assert urls == [URL, f"{URL}?scroll_param=s_1", f"{URL}?scroll_param=s_1"]


# -- next URL (support activity_logs, contract 5.2) -----------------------------------------------


def test_next_url_is_followed_verbatim(read: t.Callable[..., t.Any], requests_mock: rm.Mocker) -> None:
    next_url = "https://api.test/v1/elsewhere?created_at_after=5&page=2&q=a%2Fb"
    requests_mock.get(next_url, json={"data": ids("2"), "pages": {"next": None}})
    records, urls = read(NEXT_URL, {"data": ids("1"), "pages": {"next": next_url}}, params={"created_at_after": 5})
    assert records == ids("1", "2")
    assert urls == [f"{URL}?created_at_after=5", next_url]


def test_relative_next_url_is_resolved_against_the_request(read: t.Callable[..., t.Any]) -> None:
    records, urls = read(NEXT_URL, {"data": ids("1"), "pages": {"next": "/items?page=2"}}, {"data": ids("2")})
    assert (records, urls) == (ids("1", "2"), [URL, f"{URL}?page=2"])


def test_next_url_stops_without_pages(read: t.Callable[..., t.Any]) -> None:
    assert read(NEXT_URL, {"data": ids("1")}) == (ids("1"), [URL])


def test_next_url_refuses_another_host(read: t.Callable[..., t.Any], requests_mock: rm.Mocker) -> None:
    with pytest.raises(StreamError) as caught:
        read(NEXT_URL, {"data": ids("1"), "pages": {"next": "https://evil.test/items?page=2"}})
    assert str(caught.value) == (
        f"stream items: the next-page URL https://evil.test/items?page=2 points at another scheme or host than {URL}; "
        "refusing to send credentials there"
    )
    assert [request.url for request in requests_mock.request_history] == [URL]


# -- page number (marketing, contract 4.1) ---------------------------------------------------------


def meta(total_pages: int) -> dict[str, int]:
    return {"total_pages": total_pages}


@pytest.mark.parametrize(
    ("bodies", "pages_read", "records"),
    [
        pytest.param(
            [
                {"data": ids("1"), "meta": meta(2)},
                {"data": ids("2"), "meta": meta(2)},
                {"data": ids("x"), "meta": meta(2)},
            ],
            2,
            ids("1", "2"),
            id="stops-at-total-pages",
        ),
        pytest.param([{"data": ids("1")}, {"data": ids("x")}], 1, ids("1"), id="stops-without-meta"),
        pytest.param(
            [{"data": ids("1"), "meta": meta(5)}, {"data": [], "meta": meta(5)}], 2, ids("1"), id="empty-page"
        ),
        pytest.param([{"data": [], "meta": meta(0)}], 1, [], id="empty-result"),
    ],
)
def test_page_number(
    read: t.Callable[..., t.Any], bodies: list[dict[str, t.Any]], pages_read: int, records: list
) -> None:
    got, urls = read(PAGE_NUMBER, *bodies)
    assert got == records
    assert urls == [f"{URL}?per_page=100&page={page}" for page in range(1, pages_read + 1)]


# -- offset (oauth_offset, contract 6.2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("bodies", "offsets", "records"),
    [
        pytest.param(
            [{"data": ids("1", "2"), "total": 5}, {"data": ids("3", "4"), "total": 5}, {"data": ids("5"), "total": 5}],
            [0, 2, 4],
            ids("1", "2", "3", "4", "5"),
            id="stops-at-total",
        ),
        pytest.param(
            [{"data": ids("1", "2"), "total": 4}, {"data": ids("3", "4"), "total": 4}, {"data": ids("x"), "total": 4}],
            [0, 2],
            ids("1", "2", "3", "4"),
            id="total-is-a-multiple",
        ),
        pytest.param(
            [{"data": ids("1", "2")}, {"data": ids("3")}, {"data": []}],
            [0, 2, 4],
            ids("1", "2", "3"),
            id="empty-page-without-total",
        ),
        pytest.param([{"data": [], "total": 0}], [0], [], id="empty-result"),
    ],
)
def test_offset(
    read: t.Callable[..., t.Any], bodies: list[dict[str, t.Any]], offsets: list[int], records: list
) -> None:
    got, urls = read(OFFSET, *bodies)
    assert got == records
    assert urls == [f"{URL}?offset={offset}&limit=2" for offset in offsets]


# -- single page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("paginator", [{"type": "single_page"}, "single_page"])
def test_single_page_makes_one_request(read: t.Callable[..., t.Any], paginator: dict[str, t.Any] | None) -> None:
    body = {"data": ids("1", "2"), "next": "https://api.test/items?page=2", "pages": {"next": "x"}}
    assert read(paginator, body, {"data": ids("x")}) == (ids("1", "2"), [URL])
