"""The base of every generated stream: what a resource class declares, and the shared runtime.

The stream behaviour is layered, one concept per module, each building on the one before:
``incremental`` (start points, client-side filter) -> ``state`` (partition state, STATE
throttle) -> ``client`` (requests) -> ``retries`` (status handling, backoff, token renewal) ->
``records`` (parsing, parent context) -> ``streams`` (the class factory).
"""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream

if t.TYPE_CHECKING:
    from tap_generic_rest.description.load import Description, Resource
    from tap_generic_rest.run.runtime import SyncRuntime


def context_key(context: t.Mapping[str, t.Any] | None) -> tuple[tuple[str, t.Any], ...]:
    """A hashable key of a stream context (a partition)."""
    return tuple(sorted((context or {}).items()))


class StreamBase(RESTStream[t.Any]):
    """A stream generated from a description resource (class attributes set by the factory)."""

    resource: t.ClassVar[Resource]
    description: t.ClassVar[Description]
    #: union of the context keys every child of this stream takes from its records
    child_context_fields: t.ClassVar[dict[str, str]] = {}

    def __init__(self, *args: t.Any, runtime: SyncRuntime, **kwargs: t.Any) -> None:
        """Keep the run's shared runtime."""
        super().__init__(*args, **kwargs)
        self.runtime = runtime
