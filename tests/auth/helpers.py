"""Running the tap against the auth server (tests/auth/server.py): a description with one paged resource."""

from __future__ import annotations

import typing as t

from tests.safety.helpers import FAST, TapRun, object_schema, resource, run_tap, write_description

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.auth.server import AuthServer

ITEMS = object_schema("id", "page", types={"id": {"type": "integer"}, "page": {"type": "integer"}})
PAGINATOR = {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"}


def sync(server: AuthServer, directory: Path, auth: dict[str, t.Any], *, env: dict[str, str] | None = None,
         **settings: t.Any) -> TapRun:
    """Run the tap (a subprocess, as a user does) over ``/items`` with ``auth``; every secret checked absent."""
    items = resource(endpoint={"paginator": PAGINATOR})
    path = write_description(directory, items, base_url=server.url, auth=auth, schemas={"items.json": ITEMS})
    config = {"api_description": str(path), **FAST, "max_retries": 2, **settings}
    run = run_tap(config=config, directory=directory, env=env)
    assert_no_secrets(run, server, *(str(value) for value in settings.values() if isinstance(value, str)
                                     and value not in (str(path),) and not value.startswith("/")))
    return run


def assert_no_secrets(run: TapRun, server: AuthServer, *more: str) -> None:
    """No token, session, password or key the server issued or knows is in the tap's output."""
    output = run.stdout + run.stderr
    leaked = [secret for secret in (*server.secrets(), *more) if len(secret) >= 6 and secret in output]
    assert not leaked, f"secrets in the output: {leaked}\n{run.stderr[-2000:]}"


def ids(run: TapRun) -> list[int]:
    """The record ids written, in order."""
    return [record["id"] for record in run.records("items")]
