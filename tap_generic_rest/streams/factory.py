"""The stream factory: one generated singer-sdk ``RESTStream`` subclass per described resource.

:class:`~tap_generic_rest.streams.stream.GenericStream` is the behaviour; :func:`build_stream_classes`
makes one subclass per resource with its name, path, keys, schema, replication key and
``parent_stream_type`` as class attributes, because the SDK links children to parents by exact class.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.streams.stream import GenericStream

if t.TYPE_CHECKING:
    from tap_generic_rest.description.load import Description, Resource


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
        names = [partition.name for partition in resource.partitions]
        if resource.parent is not None:
            attributes["parent_stream_type"] = classes[resource.parent.resource]
        if resource.parent is not None or names:
            # bookmarks per parent and per partition for incremental resources; one stream-level state otherwise
            keys = [*(resource.parent.fields if resource.parent else ()), *names]
            attributes["state_partitioning_keys"] = keys if resource.replication_key else []
        class_name = "".join(part.title() for part in resource.name.split("_")) + "Stream"
        classes[resource.name] = t.cast("type[GenericStream]", type(class_name, (GenericStream,), attributes))
    return list(classes.values())
