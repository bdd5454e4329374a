"""A rotating refresh token through Meltano: ``meltano run tap-generic-rest target-jsonl`` twice against a server
that rotates refresh tokens and refuses a used one. The store (``refresh_token_store``, a path relative to the
working folder: the project's root under ``meltano run``) carries the rotated token to the second run, whose
config still holds the first one; no token appears in Meltano's output."""

from __future__ import annotations

import json
import shutil
import stat
import typing as t
import uuid
from urllib.parse import parse_qs

import pytest

from tests.auth.helpers import ITEMS, PAGINATOR
from tests.auth.server import CLIENT_ID, CLIENT_SECRET, FIRST_REFRESH_TOKEN, AuthServer, AuthServerState
from tests.e2e.meltano import PROJECT, ensure_installed, meltano
from tests.safety.helpers import resource, write_description

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def store() -> Iterator[str]:
    relative = f".meltano/run/test-refresh-{uuid.uuid4().hex[:8]}/refresh_token.json"
    yield relative
    shutil.rmtree(PROJECT / relative.rsplit("/", 1)[0], ignore_errors=True)


def test_meltano_run_uses_the_rotated_refresh_token_next_time(store: str, tmp_path: Path) -> None:
    ensure_installed()
    with AuthServer(AuthServerState(rotate=True)) as server:
        auth = {"type": "oauth2_refresh_token", "access_token_url": "/oauth/token"}
        items = resource(endpoint={"paginator": PAGINATOR})
        description = write_description(tmp_path, items, base_url=server.url, auth=auth, schemas={"items.json": ITEMS})
        suffix = f"test-{uuid.uuid4().hex[:8]}"
        env = {"TAP_GENERIC_REST_API_DESCRIPTION": str(description), "TAP_GENERIC_REST_CLIENT_ID": CLIENT_ID,
               "TAP_GENERIC_REST_CLIENT_SECRET": CLIENT_SECRET, "TAP_GENERIC_REST_REFRESH_TOKEN": FIRST_REFRESH_TOKEN,
               "TAP_GENERIC_REST_REFRESH_TOKEN_STORE": store, "TAP_GENERIC_REST_MAX_RETRIES": "1"}
        outputs = []
        for run in (1, 2):
            out = tmp_path / f"run{run}"
            out.mkdir()
            result = meltano("run", "--state-id-suffix", suffix, "--full-refresh", "tap-generic-rest", "target-jsonl",
                             env={**env, "TARGET_JSONL_DESTINATION_PATH": str(out)})
            assert result.returncode == 0, result.stderr[-3000:]
            (written,) = out.iterdir()
            assert len(written.read_text().splitlines()) == 12
            outputs.append(result.stdout + result.stderr)

        path = PROJECT / store
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        sent = [parse_qs(body)["refresh_token"] for _, _, _, body in server.state.requests_to("/oauth/token")]
        rotated = [token for token in server.state.issued if token.startswith("refresh-token-rotated")]
        assert sent == [[FIRST_REFRESH_TOKEN], [rotated[0]]]  # the second run sent the token the first one got
        assert json.loads(path.read_text())["refresh_token"] == rotated[1] in server.state.refresh_tokens
        leaked = [secret for secret in server.secrets() if any(secret in output for output in outputs)]
        assert not leaked
