"""``meltano run <tap> <loader>`` for one built-in API, for the target tests (PostgreSQL, JSON lines).

``tap_env`` is the one place that says how a built-in API is picked (today: the single
``tap-generic-rest`` extractor with ``TAP_GENERIC_REST_*`` variables).
"""

from __future__ import annotations

import os
import subprocess
import typing as t
import uuid

from tests.e2e.meltano import MELTANO, PROJECT

if t.TYPE_CHECKING:
    from tap_generic_rest.sandbox import Sandbox

EXTRACTOR = "tap-generic-rest"


def tap_env(api: str, sandbox: Sandbox, flattening_depth: int | None = None) -> dict[str, str]:
    """Environment variables that point the extractor at ``api`` on ``sandbox``."""
    env = {
        "TAP_GENERIC_REST_API": api,
        "TAP_GENERIC_REST_BASE_URL": sandbox.base_url(api),
        "TAP_GENERIC_REST_TOKEN_URL": sandbox.token_url,
    }
    if flattening_depth is not None:
        env |= {"TAP_GENERIC_REST_FLATTENING_ENABLED": "true",
                "TAP_GENERIC_REST_FLATTENING_MAX_DEPTH": str(flattening_depth)}
    return env


def run_pipeline(
    api: str, sandbox: Sandbox, loader: str, loader_env: t.Mapping[str, str], flattening_depth: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``meltano run`` the extractor for ``api`` into ``loader`` (fresh state), output captured."""
    env = {**os.environ, **tap_env(api, sandbox, flattening_depth), **loader_env}
    return subprocess.run(
        [MELTANO, "run", "--state-id-suffix", f"test-{uuid.uuid4().hex[:8]}", EXTRACTOR, loader],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
