"""Shared fixtures: a sandbox serving all five built-in APIs on an ephemeral loopback port."""

from __future__ import annotations

import os
import typing as t

import pytest
from generic_rest_sandbox import Sandbox
from generic_rest_sandbox import credentials as sandbox_credentials

from tap_generic_rest.errors import REDACTOR
from tap_generic_rest.run.writer import flush_writers
from tests.e2e.postgres import PostgresServer

#: Short retry settings, so a failing test fails in seconds, not the SDK's half minute.
FAST_RETRIES = {"max_retries": 3, "backoff_factor": 0.01, "request_timeout": 10}


def sandbox_config(sandbox: Sandbox, api: str, **overrides: t.Any) -> dict[str, t.Any]:
    """The tap config for one built-in API served by ``sandbox``."""
    return {
        "api": api,
        "base_url": sandbox.base_url(api),
        "token_url": sandbox.token_url,
        "api_key": sandbox_credentials.API_KEY,
        "access_token": sandbox_credentials.ACCESS_TOKEN,
        "client_id": sandbox_credentials.CLIENT_ID,
        "client_secret": sandbox_credentials.CLIENT_SECRET,
        **FAST_RETRIES,
        **concurrency_override(),
        **overrides,
    }


#: Runs tests built on :func:`sandbox_config` at a given ``max_concurrency`` (tests/reliability runs
#: each test at 1 and at the default).
CONCURRENCY_ENV = "TAP_GENERIC_REST_TEST_MAX_CONCURRENCY"


def concurrency_override() -> dict[str, int]:
    value = os.environ.get(CONCURRENCY_ENV)
    return {"max_concurrency": int(value)} if value else {}


@pytest.fixture(autouse=True)
def _isolated_taps() -> t.Iterator[None]:
    """In-process taps of one test leave nothing to the next: RECORD lines left pending are written
    within their own test, and the secrets they registered are forgotten."""
    REDACTOR.clear()
    yield
    flush_writers()


@pytest.fixture(scope="session")
def sandbox() -> t.Iterator[Sandbox]:
    """One sandbox for the session (tests that change its data or faults use their own)."""
    with Sandbox(port=0) as running:
        yield running


@pytest.fixture
def own_sandbox() -> t.Iterator[Sandbox]:
    """A fresh sandbox for a test that mutates data or sets faults."""
    with Sandbox(port=0) as running:
        yield running


@pytest.fixture(scope="session")
def postgres() -> t.Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (tests/e2e/postgres.py), stopped at the end."""
    with PostgresServer() as server:
        yield server
