r"""The typed model of a validated API description: resources, their endpoints and parents.

Built by ``load`` in one pass per run (every field, ``Resource.children`` too, known before an object
is made); frozen, never changed afterwards. Endpoint strings are compiled: literals or ``Template``\ s.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from tap_generic_rest.description.contract import SchemaContract
from tap_generic_rest.description.shaping import Shaping
from tap_generic_rest.http.decoders import JSON, Decoder
from tap_generic_rest.http.error_rules import ErrorHandler, ResponseFilter

if t.TYPE_CHECKING:
    from tap_generic_rest.description.grouping import Grouping
    from tap_generic_rest.description.partitions import Partition
    from tap_generic_rest.description.report_job import ReportJob
    from tap_generic_rest.expressions.selectors import Selector
    from tap_generic_rest.expressions.templating import Template
    from tap_generic_rest.http.auth import Auth
    from tap_generic_rest.pagination.base import Pagination


@dataclass(frozen=True)
class Parent:
    """A child resource's parent and the context it takes from each parent record."""

    resource: str
    #: context key -> parent record field (a key or JSONPath)
    fields: dict[str, str]
    #: context keys added to every child record (include_from_parent, parent_fields)
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """How to request a resource (strings compiled: literals or Templates)."""

    path: str | Template
    method: str
    params: dict[str, t.Any]
    json: t.Any
    selector: Selector
    pagination: Pagination
    headers: dict[t.Any, t.Any] = field(default_factory=dict)
    data: t.Any = None
    response_actions: tuple[dict[str, t.Any], ...] = ()
    auth: Auth | None = None
    #: the endpoint's own error_handler (its keys win over the client's)
    error_handler: ErrorHandler = field(default_factory=ErrorHandler)
    #: dlt's response_actions as error rules (checked before the error_handler's)
    action_rules: tuple[ResponseFilter, ...] = ()
    #: the ``decoder`` extension: how a 2xx body becomes records (default: JSON, read whole)
    decoder: Decoder = JSON


@dataclass(frozen=True)
class Resource:
    """One resource of a description: one Singer stream."""

    index: int
    name: str
    primary_key: tuple[str, ...]
    write_disposition: str
    schema: dict[str, t.Any] | None
    replication_key: str | None
    incremental: dict[str, t.Any] | None
    is_sorted: bool
    parent: Parent | None
    scalar_key: str | None
    allow_missing: bool
    endpoint: Endpoint
    selected: bool = True
    #: dlt ``parallelized``: false keeps this resource's requests out of the fetch pool (fetched in turn)
    parallelized: bool = True
    #: the resources whose parent this is, in order (computed with the parent graph, before this is made)
    children: tuple[str, ...] = ()
    #: dlt ``columns`` hints by column name
    columns: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    #: (setting, place) of every bare ``{{ config.<name> }}`` in the endpoint's path, params, body, headers
    setting_reads: tuple[tuple[str, str], ...] = ()
    #: dlt ``schema_contract``: what a sync does with keys and value types the schema lacks
    schema_contract: SchemaContract = field(default_factory=SchemaContract)
    #: the ``partitions`` extension: the lists this resource fans out over (several: their product)
    partitions: tuple[Partition, ...] = ()
    #: the ``group_parents`` extension: parent values grouped into one request
    group_parents: Grouping | None = None
    #: record_filter, add_fields, remove_fields (applied in that order to every selected record)
    shaping: Shaping = field(default_factory=Shaping)
    #: the ``report_job`` extension: records come from a job created, polled and downloaded per partition
    report_job: ReportJob | None = None

    @property
    def where(self) -> str:
        """This resource's path in the description."""
        return f"resources[{self.index}]"


@dataclass(frozen=True)
class Description:
    """A validated API description."""

    origin: str
    base_url: str
    auth: Auth
    headers: dict[str, t.Any]
    resources: tuple[Resource, ...]
    #: every setting the description reads as ``{{ config.<name> }}``
    settings: frozenset[str] = frozenset()
    #: (setting, place) of every bare ``{{ config.<name> }}`` in the client's headers
    setting_reads: tuple[tuple[str, str], ...] = ()
    #: the client's error_handler
    error_handler: ErrorHandler = field(default_factory=ErrorHandler)

    def resource(self, name: str) -> Resource:
        """The resource called ``name``."""
        return next(resource for resource in self.resources if resource.name == name)
