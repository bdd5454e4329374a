"""The stream factory: one generated singer-sdk ``RESTStream`` subclass per described resource.

:class:`GenericStream` is the behaviour, layered one concept per module (see ``stream_base``);
:func:`build_stream_classes` makes one subclass per resource with its name, path, keys, schema,
replication key and ``parent_stream_type`` as class attributes, because the SDK links children to
parents by exact class.
"""

from __future__ import annotations

import typing as t

from singer_sdk import singerlib as singer
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.streams.conformance import RootConformer
from tap_generic_rest.streams.records import RecordStream

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import RecordMessage

    from tap_generic_rest.description.load import Description, Resource


class GenericStream(RecordStream):
    """A stream generated from a description resource."""

    #: Top-level fields are conformed to the schema (unknown ones dropped with a warning); nested
    #: values pass as the API sent them. Recursive conformance costs much and gains nothing here.
    #: The SDK's ROOT_ONLY conformance, done by a :class:`RootConformer` (same result, prepared once
    #: per schema), so the SDK's own pass is off.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: the SCHEMA messages last written (the SDK writes them on every sync of every partition)
    _written_schemas: list[dict[str, t.Any]] | None = None
    _conformer: RootConformer | None = None
    #: the selection mask last seen, and whether it selects every property
    _full_mask: object = None
    _all_selected: bool = True

    @override
    def _generate_record_messages(self, record: dict[str, t.Any]) -> t.Generator[RecordMessage, None, None]:
        """The SDK's steps, each prepared once per stream: deselected properties are popped only when
        some property is deselected (the SDK walks every record otherwise too), then the root is
        conformed and every stream map applied."""
        schema = self.effective_schema
        if self._conformer is None or self._conformer.schema is not schema:
            self._conformer = RootConformer(self.name, schema, self.logger)
        mask = self.mask
        if self._full_mask is not mask:
            self._full_mask, self._all_selected = mask, all(mask.values())
        if not self._all_selected:
            pop_deselected_record_properties(record, self.schema, mask)
        record = self._conformer.conform(record)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                           version=self._stream_version, time_extracted=utc_now())

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        """After each top-level stream (``sync_all`` calls this): its last RECORD lines are written too."""
        super().finalize_state_progress_markers(state)
        writer = getattr(self._tap, "message_writer", None)
        if isinstance(writer, CountingWriter):
            writer.flush()

    @override
    def _write_schema_message(self) -> None:
        """One SCHEMA message per stream per run, unless the schema changes.

        A child stream is synced once per parent record; pipelinewise-based targets flush a batch
        on every repeated SCHEMA message.
        """
        messages = list(self._generate_schema_messages())
        schemas = [message.to_dict() for message in messages]
        if schemas == self._written_schemas:
            return
        self._written_schemas = schemas
        for message in messages:
            self._tap.write_message(message)


def _child_context_fields(description: Description, resource: Resource) -> dict[str, str]:
    fields: dict[str, str] = {}
    for child in resource.children:
        parent = description.resource(child).parent
        fields.update(parent.fields if parent else {})
    return fields


def build_stream_classes(description: Description) -> list[type[GenericStream]]:
    """One ``GenericStream`` subclass per resource, parents before children."""
    classes: dict[str, type[GenericStream]] = {}
    pending = list(description.resources)
    while pending:
        resource = next(r for r in pending if r.parent is None or r.parent.resource in classes)
        pending.remove(resource)
        attributes: dict[str, t.Any] = {
            "__module__": __name__,
            "name": resource.name,
            "path": resource.endpoint.path if isinstance(resource.endpoint.path, str) else "",
            "primary_keys": list(resource.primary_key),
            "replication_key": resource.replication_key,
            "resource": resource,
            "description": description,
            "child_context_fields": _child_context_fields(description, resource),
            "is_sorted": resource.is_sorted,
            "selected_by_default": resource.selected,  # dlt selected: false (still feeds its children)
            "parallelized": resource.parallelized,  # dlt parallelized: false -> fetched when its turn comes
        }
        if resource.parent is not None:
            attributes["parent_stream_type"] = classes[resource.parent.resource]
            # bookmarks per parent for incremental children; one stream-level state otherwise
            attributes["state_partitioning_keys"] = list(resource.parent.fields) if resource.replication_key else []
        class_name = "".join(part.title() for part in resource.name.split("_")) + "Stream"
        classes[resource.name] = t.cast("type[GenericStream]", type(class_name, (GenericStream,), attributes))
    return list(classes.values())
