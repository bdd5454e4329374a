"""The SDK seam: every private singer-sdk name the tap relies on, each with the reason, in one place.

singer-sdk is pinned to the tested minor (``~=0.54.9``); its private names may change in any
release. Everything private the tap touches is here, and ``tests/unit/test_sdk_seam.py`` checks
each entry of :data:`ENTRIES` against the installed SDK (exists, same parameters), so an upgrade
that changes one fails loudly, naming it.

How it is arranged: the private hooks we override are plain functions here, assigned as class
attributes in a marked block of :class:`~tap_generic_rest.streams.stream.GenericStream` and of
:class:`~tap_generic_rest.tap.TapGenericRest` (so the stream keeps our two levels of inheritance
and mypy checks each assignment against the SDK's method). They call the SDK's own
implementation as ``RESTStream.<hook>(stream, ...)``; whatever of ours they consult (incremental
window, partition starts, STATE throttle) a stream hands over in its :class:`SeamState`. Private
SDK modules are imported here only and re-exported; private SDK attributes are read or set only
through the accessors below.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk import RESTStream, Tap
from singer_sdk import singerlib as singer

# private SDK modules, re-exported (each in ENTRIES with its reason)
from singer_sdk.helpers._catalog import get_selected_schema, pop_deselected_record_properties
from singer_sdk.helpers._state import get_starting_replication_value
from singer_sdk.helpers._typing import (
    _is_exclusive_boolean_type,
    _warn_unmapped_properties,
    conform_record_data_types,
)
from singer_sdk.helpers._util import utc_now
from singer_sdk.streams._state import StreamStateManager

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import requests
    from singer_sdk.helpers.types import Context, Record

__all__ = ["ENTRIES", "StreamStateManager", "_is_exclusive_boolean_type", "_warn_unmapped_properties",
           "conform_record_data_types", "get_selected_schema", "get_starting_replication_value",
           "pop_deselected_record_properties", "utc_now"]


@dataclass(frozen=True)
class Entry:
    """One private SDK name we rely on: where it lives, how we use it, why."""

    owner: str
    name: str
    use: str  # "import", "override", "call", "attribute"
    reason: str


#: (owner, name) -> (how we use it, why)
_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("singer_sdk.helpers._catalog", "pop_deselected_record_properties"):
        ("import", "the SDK's own step of a record's message, run only when the catalog deselects a property"),
    ("singer_sdk.helpers._catalog", "get_selected_schema"):
        ("import", "an evolved schema's selected part, as the SDK registers a catalog's streams with the mapper"),
    ("singer_sdk.helpers._state", "get_starting_replication_value"):
        ("import", "reads a partition's bookmark from its state (the index finds that state)"),
    ("singer_sdk.helpers._typing", "conform_record_data_types"):
        ("import", "the SDK's ROOT_ONLY conformance for the values that need it"),
    ("singer_sdk.helpers._typing", "_is_exclusive_boolean_type"):
        ("import", "which properties ROOT_ONLY conformance turns into booleans"),
    ("singer_sdk.helpers._typing", "_warn_unmapped_properties"):
        ("import", "the SDK's one warning for properties not in the schema"),
    ("singer_sdk.helpers._util", "utc_now"):
        ("import", "a RECORD's time_extracted, as the SDK writes it"),
    ("singer_sdk.streams._state", "StreamStateManager"):
        ("import", "extended by IndexedStateManager: partition states found through an index, not a scan"),
    ("singer_sdk.Stream", "_generate_record_messages"):
        ("override", "the SDK's steps, prepared once per schema and mask instead of once per record"),
    ("singer_sdk.Stream", "_write_schema_message"):
        ("override", "one SCHEMA message per stream per run unless it changes (a child syncs once per parent)"),
    ("singer_sdk.Stream", "_increment_stream_state"):
        ("override", "a record re-read inside the lag window does not move the bookmark backwards"),
    ("singer_sdk.Stream", "_write_starting_replication_value"):
        ("override", "notes that a partition started (ones fetched ahead compute their start without writing it)"),
    ("singer_sdk.Stream", "_write_state_message"):
        ("override", "child streams write STATE at a bounded rate (quadratic otherwise)"),
    ("singer_sdk.Stream", "_generate_schema_messages"):
        ("call", "the SCHEMA messages the SDK would write"),
    ("singer_sdk.Stream", "_sync_children"):
        ("override", "each child syncs its own contexts: one per partition of its lists, or one per group of parent "
                     "values; also called: children of a record the incremental filter drops are still synced"),
    ("singer_sdk.Stream", "_process_record"):
        ("override", "the SDK adds a record's state partition values to it: not those of partitions lists kept "
                     "out of records (include_in_record false)"),
    ("singer_sdk.RESTStream", "_request"):
        ("call", "one request as the SDK sends it (signed, sent, its duration point, which the progress counts, "
                 "validated): a report job's create, poll and download requests; decorated once per stream"),
    ("singer_sdk.Stream", "_tap"):
        ("attribute", "the tap: its streams, its message writer"),
    ("singer_sdk.Stream", "_tap_state"):
        ("attribute", "the run's state, for our state manager"),
    ("singer_sdk.Stream", "_state_manager"):
        ("attribute", "where the SDK keeps the state manager we build"),
    ("singer_sdk.Stream", "_stream_version"):
        ("attribute", "a RECORD's version, as the SDK writes it"),
    ("singer_sdk.Stream", "_schema"):
        ("attribute", "an inferred or catalog schema, set after discovery; an evolved schema"),
    ("singer_sdk.Stream", "_input_schema"):
        ("attribute", "the catalog's schema, replaced by an evolved one"),
    ("singer_sdk.Stream", "_stream_maps"):
        ("attribute", "the stream maps, rebuilt by the mapper for an evolved schema"),
    ("singer_sdk.Tap", "_validate_config"):
        ("override", "our settings checks around the SDK's validation (no public hook runs at that moment)"),
    ("singer_sdk.Tap", "_set_compatible_replication_methods"):
        ("override", "the first step of a sync: credentials of every synced resource checked before any request"),
}
#: every private SDK name we rely on
ENTRIES = tuple(Entry(owner, name, use, reason) for (owner, name), (use, reason) in _TABLE.items())


class Conformer(t.Protocol):
    """Conforms records to one schema (``conformance.RootConformer``)."""

    schema: dict[str, t.Any]

    def conform(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """``record`` conformed."""
        ...


@dataclass
class SeamState:
    """What the private hooks of one stream consult (ours) and keep between calls."""

    #: whether a record may move its partition's bookmark
    advances: Callable[[Record, Context | None], bool]
    #: a partition's sync began
    started: Callable[[Context | None], None]
    #: writes STATE through the child throttle
    write_state: Callable[[Callable[[], None]], None]
    #: the record conformer (prepared per schema)
    conformer: Callable[[str, dict[str, t.Any]], Conformer]
    #: schema evolution: the record as emitted (None: discarded) and the evolved schema (None: unchanged)
    admit: Callable[[dict[str, t.Any], dict[str, t.Any]], tuple[dict[str, t.Any] | None, dict[str, t.Any] | None]]
    current: Conformer | None = None
    #: the selection mask last seen, and whether it selects every property
    mask: object = None
    all_selected: bool = True
    #: the SCHEMA messages last written, and what they were built from
    written_schemas: list[dict[str, t.Any]] | None = None
    schema_sources: tuple[object, ...] = ()
    #: context keys the SDK must not add to records (partitions lists with include_in_record false)
    hidden: frozenset[str] = frozenset()
    #: syncs the children of one record (None: as the SDK does)
    sync_children: Callable[[Context], None] | None = None
    #: runs before each STATE message (grouped children read their last, incomplete group)
    before_state: Callable[[], None] | None = None


class SeamStream(t.Protocol):
    """What the hooks read of a generated stream."""

    seam: SeamState
    name: str

    @property
    def effective_schema(self) -> dict[str, t.Any]: ...

    @property
    def schema(self) -> dict[str, t.Any]: ...

    @property
    def mask(self) -> singer.SelectionMask: ...

    @property
    def stream_maps(self) -> list[t.Any]: ...


def _sdk(stream: SeamStream) -> RESTStream[t.Any]:
    return t.cast("RESTStream[t.Any]", stream)


# -- private stream hooks (assigned in GenericStream) ------------------------------------------------------
def generate_record_messages(stream: SeamStream, record: Record) -> Generator[singer.RecordMessage, None, None]:
    """The SDK's steps, each prepared once per stream: deselected properties are popped only when some
    property is deselected (the SDK walks every record otherwise too), then the root is conformed and
    every stream map applied."""
    seam = stream.seam
    schema = stream.effective_schema
    if seam.current is None or seam.current.schema is not schema:
        seam.current = seam.conformer(stream.name, schema)
    mask = stream.mask
    if seam.mask is not mask:
        seam.mask, seam.all_selected = mask, all(mask.values())
    if not seam.all_selected:
        pop_deselected_record_properties(record, stream.schema, mask)
    admitted, evolved = seam.admit(record, schema)
    if admitted is None:
        return
    if evolved is not None:
        replace_schema(stream, evolved)
        seam.current = seam.conformer(stream.name, evolved)
    record = seam.current.conform(admitted)
    version = _sdk(stream)._stream_version
    for stream_map in stream.stream_maps:
        mapped = stream_map.transform(record)
        if mapped is not None:
            yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped, version=version,
                                       time_extracted=utc_now())


def write_schema_message(stream: SeamStream) -> None:
    """One SCHEMA message per stream per run, unless the schema changes (pipelinewise-based targets
    flush a batch on every repeated SCHEMA message). A child syncs once per parent: while what the
    messages are made of is the very same objects as last time, nothing is built or compared."""
    sources = _schema_sources(stream)
    if stream.seam.schema_sources == sources:
        return
    stream.seam.schema_sources = sources
    messages = list(_sdk(stream)._generate_schema_messages())
    schemas = [message.to_dict() for message in messages]
    if schemas == stream.seam.written_schemas:
        return
    stream.seam.written_schemas = schemas
    for message in messages:
        tap_of(_sdk(stream)).write_message(message)


def _schema_sources(stream: SeamStream) -> tuple[_Same, ...]:
    """What the SDK's SCHEMA messages are built from (each stream map's schema and keys, the
    replication key), compared by identity."""
    maps = stream.stream_maps
    return (_Same(maps), _Same(_sdk(stream).replication_key),
            *(_Same(part) for m in maps for part in (m.transformed_schema, m.transformed_key_properties)))


class _Same:
    """An object compared by identity (held, so its id is not reused)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    __hash__ = None  # type: ignore[assignment]


def replace_schema(stream: SeamStream, schema: dict[str, t.Any]) -> None:
    """The stream's schema (and catalog schema) replaced by an evolved one: the mapper rebuilds the
    stream maps (flattening included) and the new SCHEMA messages are written before the next RECORD."""
    sdk = _sdk(stream)
    if sdk._input_schema is not None:
        sdk._input_schema = schema
    sdk._schema = schema
    mapper = tap_of(sdk).mapper
    mapper.register_raw_stream_schema(stream.name, get_selected_schema(stream.name, schema, stream.mask),
                                      sdk.primary_keys)
    sdk._stream_maps = mapper.stream_maps[stream.name]
    write_schema_message(stream)


def increment_stream_state(stream: SeamStream, latest_record: Record, *, context: Context | None = None) -> None:
    """The SDK's bookmark step, unless the record lies below the partition's bookmark floor (lag)."""
    if stream.seam.advances(latest_record, context):
        RESTStream._increment_stream_state(_sdk(stream), latest_record, context=context)


def write_starting_replication_value(stream: SeamStream, context: Context | None) -> None:
    """The SDK's step, then the partition counts as started."""
    RESTStream._write_starting_replication_value(_sdk(stream), context)
    stream.seam.started(context)


def write_state_message(stream: SeamStream) -> None:
    """The SDK's STATE message, through the child throttle (grouped children first read their pending group)."""
    if stream.seam.before_state is not None:
        stream.seam.before_state()
    stream.seam.write_state(lambda: RESTStream._write_state_message(_sdk(stream)))


def sync_children_hook(stream: SeamStream, child_context: Context | None) -> None:
    """Our child sync (each child its own contexts), or the SDK's for a record without a child context."""
    if child_context is None or stream.seam.sync_children is None:
        RESTStream._sync_children(_sdk(stream), child_context)
    else:
        stream.seam.sync_children(child_context)


def process_record(stream: SeamStream, record: Record, child_context: Context | None = None,
                   partition_context: Context | None = None) -> None:
    """The SDK's step, without adding the partition values a resource keeps out of its records."""
    hidden = stream.seam.hidden
    if hidden and partition_context:
        partition_context = {key: value for key, value in partition_context.items() if key not in hidden}
    RESTStream._process_record(_sdk(stream), record, child_context=child_context,
                               partition_context=partition_context)


# -- private stream calls and attributes -------------------------------------------------------------------
def send_request(stream: object, prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
    """One request sent as the SDK sends a page's: signed, sent, its duration point written, validated."""
    return RESTStream._request(t.cast("RESTStream[t.Any]", stream), prepared, context)


def sync_children(stream: RESTStream[t.Any], child_context: Context | None) -> None:
    """Sync the children of one record as the SDK does."""
    stream._sync_children(child_context)


def tap_of(stream: RESTStream[t.Any]) -> Tap:
    """The tap a stream belongs to."""
    return stream._tap


def state_manager(stream: RESTStream[t.Any], build: Callable[..., StreamStateManager]) -> StreamStateManager:
    """The stream's state manager, built once by ``build`` with the SDK's arguments."""
    if stream._state_manager is None:
        stream._state_manager = build(
            tap_name=stream.tap_name, stream_name=stream.name, tap_state=stream._tap_state,
            state_partitioning_keys=stream.state_partitioning_keys, is_sorted=stream.is_sorted,
            check_sorted=stream.check_sorted)
    return stream._state_manager


def set_schema(stream: RESTStream[t.Any], schema: dict[str, t.Any]) -> None:
    """Give a stream its schema after construction (inferred, or the input catalog's)."""
    stream._schema = schema


# -- private tap hooks (assigned in TapGenericRest) --------------------------------------------------------
class SeamTap(t.Protocol):
    """What the tap hooks call of our tap."""

    def begin_validation(self) -> None: ...

    def finish_validation(self, errors: list[str], *, raise_errors: bool) -> None: ...

    def check_synced_credentials(self) -> None: ...

    def begin_sync(self) -> None: ...


def validate_config(tap: SeamTap, *, raise_errors: bool = True) -> list[str]:
    """Our checks around the SDK's JSON-schema validation of the settings."""
    tap.begin_validation()
    errors = Tap._validate_config(t.cast("Tap", tap), raise_errors=False)
    tap.finish_validation(errors, raise_errors=raise_errors)
    return errors


def set_compatible_replication_methods(tap: SeamTap) -> None:
    """Credentials of every synced resource checked, the sync begun, then the SDK's step."""
    tap.check_synced_credentials()
    tap.begin_sync()
    Tap._set_compatible_replication_methods(t.cast("Tap", tap))
