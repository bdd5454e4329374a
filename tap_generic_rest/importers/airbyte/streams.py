"""One ``DeclarativeStream`` -> one resource (its parts mapped by their own modules).

The resource's endpoint comes from the ``SimpleRetriever``'s requester, selector and paginator; its
parent, partitions and grouping from the partition router; its ``incremental`` from
``incremental_sync``; ``record_filter``/``add_fields``/``remove_fields`` from the selector's filter and
the stream's transformations; ``schema`` and ``primary_key`` from the stream. An ``AsyncRetriever`` gives a
``report_job``.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.auth import map_auth
from tap_generic_rest.importers.airbyte.context import Stream, custom_refusal, is_custom
from tap_generic_rest.importers.airbyte.cursors import interval_keys, map_cursor
from tap_generic_rest.importers.airbyte.decoders import map_decoder
from tap_generic_rest.importers.airbyte.error_handlers import map_error_handler
from tap_generic_rest.importers.airbyte.paginators import map_paginator, token_params
from tap_generic_rest.importers.airbyte.partitions import declare_keys, map_routers
from tap_generic_rest.importers.airbyte.records import map_filter, map_selector, map_transformations
from tap_generic_rest.importers.airbyte.report_jobs import map_report_job
from tap_generic_rest.importers.airbyte.requesters import HANDLED, IGNORED, map_request, requester_url
from tap_generic_rest.importers.airbyte.schemas import load_schema, primary_key

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_generic_rest.importers.airbyte.context import Issues

STREAM_IGNORED = {"state_migrations": "Singer state is the tap's own (a new bookmark starts from start_date)"}
RETRIEVER_IGNORED = {"ignore_stream_slicer_parameters_on_paginated_requests": "a next-page URL is used as it is",
                     "pagination_reset": "a failed page fails the stream"}


class Mapped(t.NamedTuple):
    """A stream mapped: the resource, its URL base, auth, parent component (and path), schema; refused or not."""

    resource: dict[str, t.Any]
    url_base: str
    auth: dict[str, t.Any] | None
    parent: dict[str, t.Any] | None
    schema: dict[str, t.Any] | None
    refused: bool
    parent_path: str = ""


def map_stream(component: dict[str, t.Any], path: str, issues: Issues,
               settings: t.Mapping[tuple[str, ...], str], root: Path) -> Mapped:
    """Map one stream; its refusals go to ``issues``."""
    stream = Stream(str(component.get("name") or ""), issues, settings)
    resource: dict[str, t.Any] = {"name": stream.name}
    if not stream.name:
        stream.refuse(path, "a stream without a name")
    if is_custom(component) or component.get("type") != "DeclarativeStream":
        _refuse_kind(component, stream, path)
        return Mapped(resource, "", None, None, None, refused=True)
    stream.check_options(component, path, ("name", "retriever", "incremental_sync", "primary_key", "schema_loader",
                                           "transformations"), STREAM_IGNORED)
    retriever = component.get("retriever") or {}
    at = f"{path}.retriever"
    if is_custom(retriever):
        custom_refusal(stream, retriever, at)
        return Mapped(resource, "", None, None, None, refused=True)
    declare_keys(retriever.get("partition_router"), stream)
    stream.partition_keys.update(interval_keys(component.get("incremental_sync")))
    if retriever.get("type") == "AsyncRetriever":
        resource["report_job"], requester = map_report_job(retriever, stream, at), retriever.get("creation_requester")
        endpoint: dict[str, t.Any] = {}
    elif retriever.get("type") == "SimpleRetriever":
        endpoint, requester = _simple(retriever, stream, at), retriever.get("requester") or {}
    else:
        stream.refuse(at, f"{retriever.get('type')} is not supported")
        return Mapped(resource, "", None, None, None, refused=True)
    routers = map_routers(retriever.get("partition_router"), endpoint, stream, f"{at}.partition_router")
    incremental = map_cursor(component.get("incremental_sync"), endpoint, stream, f"{path}.incremental_sync")
    if incremental:
        endpoint["incremental"] = incremental
    if retriever.get("type") != "AsyncRetriever":
        resource["endpoint"] = endpoint
    resource.update(routers.keys)
    resource.update(_shaping(component, retriever, stream, path))
    key = primary_key(component.get("primary_key"), stream, f"{path}.primary_key")
    if key is not None:
        resource["primary_key"] = key
    if stream.parent_fields:
        resource["parent_fields"] = dict(stream.parent_fields)
    base = ""
    auth = None
    if isinstance(requester, dict) and "report_job" in resource:
        base = requester_url(requester, stream, f"{at}.creation_requester")[0]
        auth = map_auth(requester.get("authenticator"), stream, f"{at}.creation_requester.authenticator")
    elif isinstance(requester, dict):
        base, endpoint["path"] = requester_url(requester, stream, f"{at}.requester")
        auth = map_auth(requester.get("authenticator"), stream, f"{at}.requester.authenticator")
    schema = load_schema(component.get("schema_loader"), stream, f"{path}.schema_loader", root)
    return Mapped(resource, base, auth, routers.parent, schema, stream.refused > 0, routers.parent_path)


def _refuse_kind(component: dict[str, t.Any], stream: Stream, path: str) -> None:
    if is_custom(component):
        custom_refusal(stream, component, path)
    else:
        stream.refuse(path, f"{component.get('type')} is not supported (DeclarativeStream is)")


def _simple(retriever: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any]:
    stream.check_options(retriever, path, ("requester", "record_selector", "paginator", "partition_router",
                                           "decoder", "name", "primary_key"), RETRIEVER_IGNORED)
    requester = retriever.get("requester") or {}
    at = f"{path}.requester"
    if is_custom(requester) or requester.get("type") != "HttpRequester":
        _refuse_kind(requester, stream, at) if is_custom(requester) else stream.refuse(
            at, f"{requester.get('type')} is not supported (HttpRequester is)")
        return {}
    stream.check_options(requester, at, HANDLED, IGNORED)
    selector = map_selector(retriever.get("record_selector"), stream, f"{path}.record_selector")
    stream.selector = "" if selector in (None, "$") else str(selector)
    token = token_params(requester)
    params = {key: value for key, value in (requester.get("request_parameters") or {}).items() if key not in token} \
        if isinstance(requester.get("request_parameters"), dict) else requester.get("request_parameters")
    endpoint = map_request({**requester, "request_parameters": params}, stream, at)
    paginator = map_paginator(retriever.get("paginator"), endpoint, token, stream, f"{path}.paginator")
    if paginator is not None:
        endpoint["paginator"] = paginator
    if selector is not None:
        endpoint["data_selector"] = selector
    handler = map_error_handler(requester.get("error_handler"), stream, f"{at}.error_handler")
    if handler:
        endpoint["error_handler"] = handler
    decoder = map_decoder(retriever.get("decoder") or requester.get("decoder"), stream, f"{path}.decoder")
    if decoder:
        endpoint["decoder"] = decoder
    return endpoint


def _shaping(component: dict[str, t.Any], retriever: dict[str, t.Any], stream: Stream,
             path: str) -> dict[str, t.Any]:
    keys: dict[str, t.Any] = {}
    selector = retriever.get("record_selector")
    condition = map_filter(selector, stream, f"{path}.retriever.record_selector")
    if condition:
        keys["record_filter"] = condition
    keys.update(map_transformations(component.get("transformations"), stream, f"{path}.transformations"))
    if condition and isinstance(selector, dict) and selector.get("transform_before_filtering") \
            and component.get("transformations"):
        stream.refuse(f"{path}.retriever.record_selector.transform_before_filtering",
                      "filtering after the transformations is not supported (records are filtered first)")
    return keys
