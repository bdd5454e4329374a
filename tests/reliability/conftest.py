"""Every reliability test runs serially (max_concurrency 1) and at the default concurrency."""

from __future__ import annotations

import pytest

from tap_generic_rest.run.runtime import DEFAULT_MAX_CONCURRENCY
from tests.conftest import CONCURRENCY_ENV


@pytest.fixture(autouse=True, params=[1, DEFAULT_MAX_CONCURRENCY], ids=lambda n: f"concurrency{n}")
def concurrency(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv(CONCURRENCY_ENV, str(request.param))
    return int(request.param)
