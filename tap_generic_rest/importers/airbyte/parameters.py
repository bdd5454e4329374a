"""Airbyte's ``$parameters``: default component types filled in, parameters flowing down to children.

As Airbyte builds a manifest: a component without ``type`` gets its field's default type
(``DeclarativeStream.retriever`` is a ``SimpleRetriever``, ...); the parameters of a component are its
parent's merged with its own ``$parameters`` (its own win); a typed component takes every parameter as a
field it does not set itself (``$parameters: {path: /users}`` gives the requester its ``path``), and keeps
the parameters in force under ``$parameters`` for ``{{ parameters.x }}``. The field names a parameter
filled are kept under ``$filled`` (not options the manifest set: they are not checked against the
component's options).
"""

from __future__ import annotations

import typing as t

PARAMETERS = "$parameters"
FILLED = "$filled"

#: "<parent type>.<field>" -> the type a component there has when it names none
DEFAULT_TYPES: dict[str, str] = dict(line.split() for line in """
DeclarativeSource.streams                      DeclarativeStream
DeclarativeSource.spec                         Spec
DeclarativeSource.check                        CheckStream
DeclarativeStream.retriever                    SimpleRetriever
DeclarativeStream.schema_loader                JsonFileSchemaLoader
SimpleRetriever.requester                      HttpRequester
SimpleRetriever.record_selector                RecordSelector
SimpleRetriever.paginator                      NoPagination
RecordSelector.extractor                       DpathExtractor
RecordSelector.record_filter                   RecordFilter
DefaultPaginator.page_size_option              RequestOption
DefaultPaginator.page_token_option             RequestOption
HttpRequester.error_handler                    DefaultErrorHandler
DefaultErrorHandler.response_filters           HttpResponseFilter
CompositeErrorHandler.error_handlers           DefaultErrorHandler
DatetimeBasedCursor.start_datetime             MinMaxDatetime
DatetimeBasedCursor.end_datetime               MinMaxDatetime
DatetimeBasedCursor.start_time_option          RequestOption
DatetimeBasedCursor.end_time_option            RequestOption
ListPartitionRouter.request_option             RequestOption
ParentStreamConfig.request_option              RequestOption
ParentStreamConfig.stream                      DeclarativeStream
SubstreamPartitionRouter.parent_stream_configs ParentStreamConfig
AddFields.fields                               AddedFieldDefinition
DynamicDeclarativeStream.stream_template       DeclarativeStream
DefaultPaginator.decoder                       JsonDecoder
CursorPagination.decoder                       JsonDecoder
DpathExtractor.decoder                         JsonDecoder
""".strip().splitlines())

#: "<parent type>.<field>" -> the custom type a component with ``class_name`` and no ``type`` has
CUSTOM_TYPES: dict[str, str] = dict(line.split() for line in """
DeclarativeStream.retriever            CustomRetriever
DeclarativeStream.transformations      CustomTransformation
DefaultErrorHandler.backoff_strategies CustomBackoffStrategy
DefaultPaginator.pagination_strategy   CustomPaginationStrategy
HttpRequester.authenticator            CustomAuthenticator
HttpRequester.error_handler            CustomErrorHandler
RecordSelector.extractor               CustomRecordExtractor
SimpleRetriever.partition_router       CustomPartitionRouter
""".strip().splitlines())


def propagate(component: dict[str, t.Any], field: str, inherited: dict[str, t.Any]) -> dict[str, t.Any]:
    """A copy of ``component`` with its type set and the parameters in force applied, recursively."""
    result = dict(component)
    if "type" not in result:
        found = (CUSTOM_TYPES if "class_name" in result else DEFAULT_TYPES).get(field)
        if found:
            result["type"] = found
    own = result.pop(PARAMETERS, None)
    params = {**inherited, **(own if isinstance(own, dict) else {})}
    if result.get("type") in ("object", ["null", "object"]):  # a JSON schema, not a component
        return result
    if "type" not in result:
        return {key: _nested(value, field, params) for key, value in result.items()}
    filled = [key for key, value in params.items() if not result.get(key) and value is not None]
    result.update({key: params[key] for key in filled})
    kind = str(result["type"])
    for key, value in list(result.items()):
        below = {name: item for name, item in params.items() if name != key}
        if isinstance(value, dict):
            result[key] = propagate(value, f"{kind}.{key}", below)
        elif isinstance(value, list):
            result[key] = [propagate(item, f"{kind}.{key}", below) if isinstance(item, dict) else item
                           for item in value]
    result[PARAMETERS] = params
    result[FILLED] = filled
    return result


def _nested(value: object, field: str, params: dict[str, t.Any]) -> object:
    """An untyped mapping's typed members get the parameters (e.g. ``definitions`` entries)."""
    if isinstance(value, dict) and "type" in value:
        return propagate(value, field, params)
    return value


def propagate_manifest(manifest: dict[str, t.Any]) -> dict[str, t.Any]:
    """The streams (and dynamic streams' templates) of a resolved manifest with parameters applied."""
    result = dict(manifest)
    result["streams"] = [propagate(stream, "DeclarativeSource.streams", {}) if isinstance(stream, dict) else stream
                         for stream in manifest.get("streams") or []]
    if isinstance(manifest.get("spec"), dict):
        result["spec"] = manifest["spec"]
    return result
