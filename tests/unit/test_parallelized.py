"""dlt ``parallelized``: absent or true, a resource's requests may run in the fetch pool; false, in turn."""

from __future__ import annotations

import json
import threading
import time
import typing as t

import pytest

from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests
    import requests_mock as rm

BASE = "https://api.test"
PARENTS = 12


def threads_of(requests_mock: rm.Mocker, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               posts: dict[str, t.Any], comments: dict[str, t.Any]) -> dict[str, set[str]]:
    """Sync posts, their comments and the users; the threads each resource's requests ran in."""
    seen: dict[str, set[str]] = {"posts": set(), "comments": set(), "users": set()}

    def answer(name: str, records: list[dict[str, t.Any]]) -> t.Callable[..., t.Any]:
        def reply(request: requests.PreparedRequest, context: t.Any) -> dict[str, t.Any]:
            seen[name].add(threading.current_thread().name)
            time.sleep(0.01)  # slow enough that the pool runs ahead of the writer
            return {"data": records}
        return reply

    requests_mock.get(f"{BASE}/posts", json=answer("posts", [{"id": n} for n in range(PARENTS)]))
    requests_mock.get(f"{BASE}/users", json=answer("users", [{"id": 1}]))
    for n in range(PARENTS):
        requests_mock.get(f"{BASE}/posts/{n}/comments", json=answer("comments", [{"id": f"{n}-1"}]))
    common = {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": "single_page"}}
    resources = [
        {"name": "posts", **posts, **common},
        {"name": "comments", **comments, **common,
         "endpoint": {**common["endpoint"], "path": "posts/{resources.posts.id}/comments"}},
        {"name": "users", **comments, **common},
    ]
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"client": {"base_url": BASE}, "resources": resources}), encoding="utf-8")
    tap = TapGenericRest(config={"api_description": str(path), "max_concurrency": 4}, parse_env_config=False)
    _ = tap.streams  # discovery samples responses (in the main thread): not counted
    for requests_seen in seen.values():
        requests_seen.clear()
    discovery = requests_mock.call_count
    tap.sync_all()
    seen["count"] = {str(requests_mock.call_count - discovery)}
    capsys.readouterr()
    return seen


@pytest.mark.parametrize("flag", [{}, {"parallelized": True}])
def test_absent_or_true_uses_the_pool(flag: dict[str, t.Any], requests_mock: rm.Mocker, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    seen = threads_of(requests_mock, tmp_path, capsys, posts={}, comments=flag)
    assert any(name != "MainThread" for name in seen["comments"]), seen
    assert seen["users"] == {"tap-generic-rest-fetch"}


def test_false_fetches_in_turn(requests_mock: rm.Mocker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen = threads_of(requests_mock, tmp_path, capsys, posts={}, comments={"parallelized": False})
    assert seen["comments"] == {"MainThread"}
    assert seen["users"] == {"MainThread"}
    assert seen["count"] == {str(2 + PARENTS)}  # every request made, once
