"""What every stream of one tap run shares: the HTTP session, the authenticator, the run's start.

The tap builds one :class:`SyncRuntime` and hands it to every stream it generates, so the stream
modules never import the tap (no import circle) and shared pieces exist exactly once.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property

from tap_generic_rest.auth import SameHostSession

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Auth


class SyncRuntime:
    """Shared state of one run of the tap."""

    def __init__(self, build_authenticator: Callable[[], Auth]) -> None:
        """Keep how to build the authenticator (built on first use: discovery may need none)."""
        self._build_authenticator = build_authenticator
        #: when a child stream may write STATE next (child streams throttle their STATE messages)
        self.next_child_state_at = 0.0

    @cached_property
    def authenticator(self) -> Auth:
        """One authenticator for every stream (so an OAuth token is fetched once)."""
        return self._build_authenticator()

    @cached_property
    def session(self) -> SameHostSession:
        """One HTTP session (and connection pool) for every stream."""
        return SameHostSession()

    @cached_property
    def sync_started_at(self) -> dt.datetime:
        """When this run started (the end of server-side incremental windows)."""
        return dt.datetime.now(dt.UTC)
