"""What the collaborators of one stream read: its name and resource, the description, the settings, the run."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from tap_generic_rest.description.model import Description, Resource
    from tap_generic_rest.run.runtime import SyncRuntime


@dataclass(frozen=True)
class Scope:
    """One stream's resource within its description, the run's settings and shared runtime."""

    name: str
    resource: Resource
    description: Description
    config: t.Mapping[str, t.Any]
    runtime: SyncRuntime
