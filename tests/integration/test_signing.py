"""Each request is signed once, when it is sent (the SDK signed it when preparing it too), and requests
never adds credentials of the user's ``~/.netrc``: the API gets only what the description sends."""

from __future__ import annotations

import typing as t

from tap_generic_rest.run import runtime
from tests.safety.helpers import write_description

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest
    import requests_mock

PAGED = {"type": "page_number", "page_param": "page", "base_page": 1, "total_path": None, "maximum_page": 4}


def resource() -> dict[str, t.Any]:
    return {"name": "items", "primary_key": "id",
            "endpoint": {"path": "/items", "data_selector": "data", "paginator": PAGED}}


def mock_pages(mocker: requests_mock.Mocker) -> None:
    for page in (1, 2, 3):
        mocker.get(f"http://api.test/items?page={page}", complete_qs=True,
                   json={"data": [{"id": f"{page}-{n}", "name": "x"} for n in range(2)]})


def test_each_request_is_signed_once(tmp_path: Path, run_tap: t.Callable[..., t.Any],
                                     requests_mock: requests_mock.Mocker, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_description(tmp_path, resource(), base_url="http://api.test",
                             auth={"type": "bearer", "token": "{{ config.api_key }}"})
    mock_pages(requests_mock)
    signed: list[str] = []
    original = runtime.keeping_query

    def counting(sign: t.Any, request: t.Any) -> t.Any:
        signed.append(str(request.url))
        return original(sign, request)

    monkeypatch.setattr(runtime, "keeping_query", counting)
    records, _ = run_tap({"api_description": str(path), "api_key": "secret-token"})
    assert len(records["items"]) == 6
    sent = [request.url for request in requests_mock.request_history]
    assert len(sent) == 6, "schema sampling reads the pages once, the sync once more"
    assert signed == sent, "one signature per request sent"
    assert all(request.headers["Authorization"] == "Bearer secret-token" for request in requests_mock.request_history)


def test_netrc_credentials_are_not_added(tmp_path: Path, run_tap: t.Callable[..., t.Any],
                                         requests_mock: requests_mock.Mocker, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine api.test login someone password netrc-secret\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    path = write_description(tmp_path, resource(), base_url="http://api.test")
    mock_pages(requests_mock)
    records, _ = run_tap({"api_description": str(path)})
    assert len(records["items"]) == 6
    assert not [request for request in requests_mock.request_history if "Authorization" in request.headers]
