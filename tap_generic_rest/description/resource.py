"""One normalized resource (a dict) checked and built into its frozen :class:`Resource`.

Checked here: column hints, the schema file and that it holds the keys, every placeholder's source,
templates, the paginator and the data selector.
"""

from __future__ import annotations

import logging
import typing as t

from tap_generic_rest.description.columns import Hints, apply_hints, column_hints, column_keys, hint_errors
from tap_generic_rest.description.contract import schema_contract
from tap_generic_rest.description.decoding import endpoint_decoder, streamed_paginator
from tap_generic_rest.description.error_handler import build_error_handler, response_action_rules
from tap_generic_rest.description.grouping import build_grouping
from tap_generic_rest.description.incremental import incremental_spec
from tap_generic_rest.description.model import Endpoint, Parent, Resource
from tap_generic_rest.description.partitions import build_partitions, check_names
from tap_generic_rest.description.relationships import ENDPOINT_PARTS, Relationship
from tap_generic_rest.description.report_job import report_job
from tap_generic_rest.description.schema_files import load_schema
from tap_generic_rest.description.setting_reads import bare_reads
from tap_generic_rest.description.shaping import Shaping, build_shaping, check_keys, shaped_schema
from tap_generic_rest.errors import UserError
from tap_generic_rest.expressions.selectors import Selector, SelectorSyntaxError
from tap_generic_rest.expressions.templating import Template, compile_tree, referenced_slice_keys
from tap_generic_rest.http.auth import build_auth
from tap_generic_rest.pagination.registry import build_pagination

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.description.where import Where

LOGGER = logging.getLogger("tap-generic-rest")
Raw = dict[str, t.Any]


def build_resource(index: int, raw: Raw, where: Where, root: Path) -> Resource:
    """The resource ``raw`` (normalized) at ``where``; its schema file is read relative to ``root``."""
    relation = Relationship(raw, where)
    columns = _columns(raw, where)
    key = raw.get("primary_key", ()) or column_keys(columns)
    primary_key = tuple([key] if isinstance(key, str) else key)
    schema = apply_hints(load_schema(raw["schema"], root, where.at("schema")), columns) if "schema" in raw else None
    incremental, params = incremental_spec(raw["endpoint"], where.at("endpoint"))
    replication_key = incremental["cursor_path"] if incremental else None
    parent = Parent(relation.parent, dict(relation.fields), tuple(relation.added)) if relation.parent else None
    partitions = build_partitions(raw.get("partitions"), where.at("partitions"))
    check_names(partitions, set(parent.fields) if parent else set(), raw["endpoint"], where)
    included = tuple(partition.name for partition in partitions if partition.include_in_record)
    shaping = _shaping(raw, primary_key, replication_key, where)
    schema = shaped_schema(schema, shaping) if schema is not None else None
    if schema is not None:
        keys = (*primary_key, *([replication_key] if replication_key else []), *(parent.added if parent else ()),
                *included)
        _check_properties(schema, raw["schema"], keys, where.at("schema"))
    _check_sources(raw["endpoint"], {*(parent.fields if parent else ()), *relation.partition_names},
                   where.at("endpoint"))
    endpoint = _endpoint(raw["endpoint"], params, relation, where.at("endpoint"))
    job = _report_job(raw, incremental, relation, where) if "report_job" in raw else None
    records = raw.get("records", {})
    return Resource(
        index=index, name=raw["name"], primary_key=primary_key, write_disposition=_disposition(raw, where),
        schema=schema, replication_key=replication_key, incremental=incremental,
        is_sorted=bool(incremental and incremental.get("row_order") == "asc" and not job), parent=parent,
        scalar_key=records.get("scalar_key"), allow_missing=bool(records.get("allow_missing", False)),
        selected=bool(raw.get("selected", True)), parallelized=bool(raw.get("parallelized", True)),
        columns=columns, endpoint=endpoint, schema_contract=schema_contract(raw.get("schema_contract")),
        shaping=shaping,
        setting_reads=tuple(read for part in ENDPOINT_PARTS
                            for read in bare_reads(raw["endpoint"].get(part), where.at(f"endpoint.{part}")))
        + bare_reads(raw.get("partitions"), where.at("partitions")),
        partitions=partitions,
        report_job=job,
        group_parents=build_grouping(raw.get("group_parents"), relation, raw, where.at("group_parents")),
    )


def _report_job(raw: Raw, incremental: Raw | None, relation: Relationship, where: Where) -> t.Any:
    """The resource's report job; an incremental start_param/end_param has no request to go to."""
    for key in ("start_param", "end_param"):
        if incremental and incremental.get(key):
            raise where.at(f"endpoint.incremental.{key}").error(
                "a report job's requests are report_job.create/poll/download: put {incremental.start_value} "
                "(or end_value) where the job wants it, e.g. in report_job.create.json")
    return report_job(raw["report_job"], raw["endpoint"], relation.resolve, where.at("report_job"))


def _shaping(raw: Raw, primary_key: tuple[str, ...], replication_key: str | None, where: Where) -> Shaping:
    """record_filter, add_fields, remove_fields; no pointer removes a key."""
    shaping = build_shaping(raw, where)
    keys = {key: f"the primary key {key!r}" for key in primary_key}
    keys.update({replication_key: f"the replication key {replication_key!r}"} if replication_key else {})
    check_keys(shaping, keys, "a stream cannot emit its records without it; remove the pointer or choose "
               "another key", where)
    return shaping


def _columns(raw: Raw, where: Where) -> Hints:
    columns = column_hints(raw.get("columns"))
    for column, message in hint_errors(columns):
        raise where.at(f"columns.{column}").error(message)
    return columns


def _check_properties(schema: Raw, name: str, keys: t.Iterable[str], where: Where) -> None:
    """Every key (primary, replication, added from the parent) is a property of the schema."""
    properties = schema.get("properties", {})
    for key in keys:
        if key not in properties:
            raise where.error(f"{key!r} is a key or an added field but not a property of {name}; "
                              f"properties: {', '.join(properties) or 'none'}")


def _check_sources(endpoint: Raw, sources: set[str], where: Where) -> None:
    """Every ``{resources.<parent>.<field>}`` placeholder has a field of the context."""
    for part in ENDPOINT_PARTS:
        for name in sorted(referenced_slice_keys(endpoint.get(part))):
            if name not in sources:
                known = f"the context has: {', '.join(sorted(sources))}" if sources else "this resource has no parent"
                raise where.at(part).error(f"placeholder {name!r} has no source ({known}); refer to the parent "
                                           "with {resources.<parent>.<field>}")


def _endpoint(raw: Raw, params: Raw, relation: Relationship, where: Where) -> Endpoint:
    values = {**{part: raw.get(part) for part in ENDPOINT_PARTS}, "params": params}
    compiled = {part: _compile(values[part], relation, where.at(part)) for part in ENDPOINT_PARTS}
    decoder = endpoint_decoder(raw, where)
    try:
        pagination = build_pagination(streamed_paginator(raw.get("paginator"), decoder))
    except UserError as exc:
        raise where.at("paginator").error(str(exc)) from None
    try:  # a JSON line without data_selector is one record (no auto-detection inside a record)
        selector = Selector(raw.get("data_selector", "$" if decoder.type == "jsonl" else None))
    except SelectorSyntaxError as exc:
        raise where.at("data_selector").error(str(exc)) from None
    return Endpoint(
        path=t.cast("str | Template", compiled["path"]),
        method=raw.get("method", "GET"),
        params=t.cast("dict[str, t.Any]", compiled["params"] or {}),
        json=compiled["json"],
        data=compiled["data"],
        headers=t.cast("dict[t.Any, t.Any]", compiled["headers"] or {}),
        selector=selector,
        pagination=pagination,
        response_actions=tuple(raw.get("response_actions") or ()),
        auth=build_auth(raw["auth"]) if "auth" in raw else None,
        error_handler=build_error_handler(raw.get("error_handler"), where.at("error_handler")),
        action_rules=response_action_rules(raw.get("response_actions") or ()),
        decoder=decoder,
    )


def _compile(value: object, relation: Relationship, where: Where) -> object:
    try:
        return compile_tree(value, relation.resolve)
    except UserError as exc:
        raise _first_bad_template(value, relation, where).error(str(exc)) from None


def _first_bad_template(value: object, relation: Relationship, where: Where) -> Where:
    """The place of the first string in ``value`` that does not compile."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        try:
            compile_tree(item, relation.resolve)
        except UserError:
            return _first_bad_template(item, relation, where.item(key) if isinstance(key, int) else where.at(str(key)))
    return where


def _disposition(raw: Raw, where: Where) -> str:
    """The write disposition's kind; a loader-only one is reported."""
    disposition = raw.get("write_disposition", "merge")
    wanted = disposition if isinstance(disposition, dict) else {"disposition": disposition}
    kind, strategy = wanted.get("disposition", "merge"), wanted.get("strategy")
    if kind in {"replace", "skip"} or strategy in {"scd2", "insert-only"}:
        LOGGER.warning("%s %s only steers dlt's loader; ignored (a Singer target writes by its own settings, "
                       "upserting by key_properties)", where.at("write_disposition"),
                       "/".join(str(x) for x in (kind, strategy) if x))
    return str(kind)
