"""The catalog a sync is given, checked against the API description before the first request.

A Singer catalog deselects a stream by leaving it out; Meltano never leaves one out, but it reuses a
catalog it discovered while the plugin's settings are unchanged (a plugin installed from a package
index), so a stream added to the description later is missing from it. Both ways the stream is not
synced, so the run says so in one warning line. A stream left out while one of its children is
selected is still read, for its children's requests only: it joins the catalog deselected (the SDK
would otherwise fail on it, having no stream map for it).
"""

from __future__ import annotations

import typing as t

from singer_sdk import singerlib as singer

if t.TYPE_CHECKING:
    import logging

    from tap_generic_rest.description.model import Description


def complete(catalog: singer.Catalog, description: Description, logger: logging.Logger) -> list[str]:
    """Add every resource of ``description`` that ``catalog`` leaves out, deselected; warn of them.
    Returns their names."""
    missing = [resource for resource in description.resources if catalog.get_stream(resource.name) is None]
    for resource in missing:
        catalog[resource.name] = _deselected_entry(resource.name, resource.schema, resource.primary_key)
    if missing:
        names = ", ".join(resource.name for resource in missing)
        logger.warning(
            "stream(s) %s of the API description are not in the catalog, so they are not synced (a catalog "
            "deselects a stream by leaving it out); if the catalog predates a change of the description, discover "
            "again (with Meltano: meltano run --refresh-catalog ...)", names)
    return [resource.name for resource in missing]


def placeholder_schema(primary_key: t.Sequence[str]) -> dict[str, t.Any]:
    """The schema of a stream whose real schema is inferred or read from the catalog: its keys."""
    return {"type": "object", "properties": {key: {"type": ["string"]} for key in primary_key}}


def _deselected_entry(name: str, schema: dict[str, t.Any] | None, primary_key: t.Sequence[str]) -> singer.CatalogEntry:
    """A catalog entry for a stream that is not synced: its declared schema (else its keys), deselected."""
    schema = schema or placeholder_schema(primary_key)
    metadata = singer.MetadataMapping.get_standard_metadata(
        schema=schema, schema_name=name, key_properties=list(primary_key), selected_by_default=False)
    metadata.root.selected = False
    return singer.CatalogEntry(tap_stream_id=name, stream=name, schema=singer.Schema.from_dict(schema),
                               key_properties=list(primary_key), metadata=metadata)
