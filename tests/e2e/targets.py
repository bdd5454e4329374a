"""``meltano run <tap> <loader>`` for one built-in API, for the target tests (PostgreSQL, JSON lines).

``tap_env`` is the one place that says how a built-in API is picked: its own plugin
(``tap-<api>``), pointed at the test's sandbox, with the test session's own Meltano system database.
"""

from __future__ import annotations

import typing as t
import uuid

from tests.e2e.meltano import meltano, plugin_env, plugin_name

if t.TYPE_CHECKING:
    import subprocess

    from generic_rest_sandbox import Sandbox


def tap_env(api: str, sandbox: Sandbox, flattening_depth: int | None = None) -> dict[str, str]:
    """Environment variables that point the extractor at ``api`` on ``sandbox``."""
    env = plugin_env(api, sandbox)
    if flattening_depth is not None:
        env |= {"TAP_GENERIC_REST_FLATTENING_ENABLED": "true",
                "TAP_GENERIC_REST_FLATTENING_MAX_DEPTH": str(flattening_depth)}
    return env


def run_pipeline(
    api: str, sandbox: Sandbox, loader: str, loader_env: t.Mapping[str, str], flattening_depth: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``meltano run`` the extractor for ``api`` into ``loader`` (fresh state), output captured."""
    env = {**tap_env(api, sandbox, flattening_depth), **loader_env}
    return meltano("run", "--state-id-suffix", f"test-{uuid.uuid4().hex[:8]}", plugin_name(api), loader, env=env)
