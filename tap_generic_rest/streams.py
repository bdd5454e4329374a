"""The stream factory: one generated singer-sdk ``RESTStream`` subclass per described resource.

:class:`GenericStream` holds all behaviour (requests, retries, records, parent context,
incremental filtering); :func:`build_stream_classes` makes one subclass per resource with its
name, path, keys, schema, replication key and ``parent_stream_type`` as class attributes, because
the SDK links children to parents by exact class.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from http import HTTPStatus
from urllib.parse import quote

import backoff
import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams._state import StreamStateManager  # the SDK's, extended below
from singer_sdk.streams.rest import HTTPRequest, PageContext
from typing_extensions import override

from tap_generic_rest import __version__
from tap_generic_rest.auth import RedirectRefusedError, SameHostSession
from tap_generic_rest.errors import REDACTOR, StreamError
from tap_generic_rest.paginators import PaginationError
from tap_generic_rest.responses import MalformedResponseError, response_json
from tap_generic_rest.selectors import SelectorNotFoundError
from tap_generic_rest.templating import Template, TemplateError, render_tree, to_datetime

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    from singer_sdk.helpers.types import Auth, Context, RequestFunc
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_generic_rest.description import Description, Resource
    from tap_generic_rest.tap import TapGenericRest

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRIABLE_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
HINTS = {
    400: "the API rejected the request; check the description's params and body",
    401: "check the credential settings ({settings})",
    403: "the credentials ({settings}) lack access to this resource",
    404: "check base_url and the resource's endpoint.path",
    422: "the API rejected the request; check the description's params and body",
    429: "the API kept rate-limiting; retry later or raise max_retries",
}


class IndexedStateManager(StreamStateManager):
    """Finds a partition's state through an index.

    The SDK scans the list of partitions on every lookup (several per record), which makes a
    child stream quadratic in its number of parents: 2,400 parents cost 22 s of scanning. Partition
    states are only ever appended to that list, so an index of them stays valid.
    """

    def __init__(self, **kwargs: t.Any) -> None:
        """Start without an index (it is built from the state on first use)."""
        super().__init__(**kwargs)
        self._index: dict[tuple[tuple[str, t.Any], ...], dict[str, t.Any]] | None = None

    @override
    def get_context_state(self, context: Context | None) -> dict[str, t.Any]:
        partition = self.get_state_partition_context(context)
        if not partition:
            return super().get_context_state(context)
        partitions: list[dict[str, t.Any]] = self.stream_state.setdefault("partitions", [])
        try:
            if self._index is None:
                self._index = {_context_key(p.get("context")): p for p in partitions}
            key = _context_key(partition)
            state = self._index.get(key)
        except TypeError:  # unhashable context values: no index
            return super().get_context_state(context)
        if state is None:
            state = self._index[key] = {"context": dict(partition)}
            partitions.append(state)
        return state


class TokenRejectedError(StreamError):
    """A 401 ``invalid_token``: the token expired or was revoked; renew it once and retry."""


class ParentGone(Exception):  # noqa: N818 - a signal, not an error
    """A child request answered 404: the parent record no longer exists."""


class GenericStream(RESTStream[t.Any]):
    """A stream generated from a description resource."""

    #: Top-level fields are conformed to the schema (unknown ones dropped with a warning); nested
    #: values pass as the API sent them. Recursive conformance costs much and gains nothing here.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    #: A STATE message at least every this many records of a sorted stream (a resumable checkpoint).
    STATE_MSG_FREQUENCY = 1000
    #: Child streams finish once per parent record; writing the whole state after each parent is
    #: quadratic. They write STATE at most every CHILD_STATE_INTERVAL s, and at least 10x as long
    #: as the last write took (a large state is costly to serialize), and always at the end.
    CHILD_STATE_INTERVAL = 1.0
    _finalizing = False

    resource: t.ClassVar[Resource]
    description: t.ClassVar[Description]
    #: union of the context keys every child of this stream takes from its records
    child_context_fields: t.ClassVar[dict[str, str]] = {}
    _tap: TapGenericRest

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Set up the per-partition start points."""
        super().__init__(*args, **kwargs)
        self._start_points: dict[tuple[tuple[str, t.Any], ...], object] = {}
        self._requests_session = SameHostSession()

    # -- requests -------------------------------------------------------------------------

    @property
    @override
    def url_base(self) -> str:
        return str(self.config.get("base_url") or self.description.base_url).rstrip("/")

    @override
    def get_url(self, context: Context | None) -> str:
        path = self.resource.endpoint.path
        encoded = {key: _path_segment(value) for key, value in (context or {}).items()}
        if isinstance(path, Template):
            path = str(path.render({**self._template_variables(context), "stream_slice": encoded, "parent": encoded}))
        for key, value in encoded.items():
            path = path.replace(f"{{{key}}}", value)
        return self.url_base + path

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            **self.description.headers,
        }

    @property
    @override
    def user_agent(self) -> str:
        return str(self.config.get("user_agent") or f"tap-generic-rest/{__version__}")

    @property
    @override
    def authenticator(self) -> Auth:
        return self._tap.authenticator

    @property
    @override
    def timeout(self) -> int:
        return t.cast("int", self.config.get("request_timeout", 300))

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        endpoint = self.resource.endpoint
        variables = self._template_variables(page.stream_context)
        try:
            request = HTTPRequest(
                url=self.get_url(page.stream_context),
                method=endpoint.method,
                headers=self.http_headers,
                params={k: v for k, v in render_tree(endpoint.params, variables).items() if v is not None},
                data=render_tree(endpoint.json, variables),
            )
        except TemplateError as exc:
            msg = f"stream {self.name}: {exc}; fix {self.resource.where}.endpoint in {self.description.origin}"
            raise StreamError(msg) from None
        endpoint.pagination.apply(request, page.next_page_token)
        return request

    @override
    def get_new_paginator(self) -> BaseAPIPaginator[t.Any]:
        return self.resource.endpoint.pagination.new_paginator()

    def _template_variables(self, context: Context | None) -> dict[str, t.Any]:
        key = _context_key(context)
        if key not in self._start_points:
            self._start_points[key] = self._start_point(context)
        return {
            "config": self.config,
            "stream_slice": dict(context or {}),
            "parent": dict(context or {}),
            "stream_interval": {
                "start_time": self._start_points[key],
                "end_time": self._in_key_type(self._tap.sync_started_at),
            },
        }

    # -- responses and retries ------------------------------------------------------------

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            return
        if status in RETRY_STATUSES:
            raise RetriableAPIError(self._describe_failure(response), response)
        if status == HTTPStatus.UNAUTHORIZED and _error_code(response) == "invalid_token" and self._renews_tokens:
            raise TokenRejectedError(self._describe_failure(response))
        if status == HTTPStatus.NOT_FOUND and self.resource.parent is not None:
            raise ParentGone(self._describe_failure(response))
        raise StreamError(self._describe_failure(response))

    @property
    def _renews_tokens(self) -> bool:
        return callable(getattr(self.authenticator, "invalidate", None))

    def _describe_failure(self, response: requests.Response) -> str:
        hint = HINTS.get(response.status_code, "the API answered with an error")
        settings = ", ".join(self.description.auth.settings()) or "none"
        body = " ".join(response.text[:300].split())
        return (
            f"stream {self.name}: HTTP {response.status_code} {_reason(response)} from "
            f"{response.request.method} {REDACTOR.url(response.url)}: {REDACTOR.text(body)}; "
            f"{hint.format(settings=settings)}"
        )

    @override
    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        factor = float(self.config.get("backoff_factor", 2))
        retry = 0
        exception = yield 0.0  # primed by backoff; the first real wait follows the first failure
        while True:
            retry += 1
            wait = _retry_after(exception)
            exception = yield wait if wait is not None else factor * 2 ** (retry - 1)

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 3)) + 1

    @override
    def backoff_jitter(self, value: float) -> float:
        return value

    @override
    def backoff_handler(self, details: t.Any) -> None:
        exception = details.get("exception")
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d failed: %s)",
            REDACTOR.url(str(details["args"][0].url)) if details.get("args") else self.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            _short(exception),
        )

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        attempts = self.backoff_max_tries()
        decorated = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIABLE_ERRORS,
            max_tries=attempts,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,  # our handler logs retries with redacted URLs; the final error says the rest
        )(func)

        def request(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            try:
                return attempt(prepared, context)
            except TokenRejectedError:
                self.logger.info("The access token was rejected (invalid_token); renewing it and retrying once")
                self.authenticator.invalidate()  # type: ignore[attr-defined]
                try:
                    return attempt(prepared.copy(), context)
                except TokenRejectedError as exc:
                    raise StreamError(f"{exc} (also with a renewed token)") from None

        def attempt(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            try:
                return decorated(prepared, context)
            except RetriableAPIError as exc:
                msg = f"{exc} (gave up after {attempts} attempts)"
                raise StreamError(msg) from None
            except RedirectRefusedError as exc:
                raise StreamError(f"stream {self.name}: {exc}") from None
            except (requests.RequestException, ConnectionError) as exc:
                msg = (
                    f"stream {self.name}: {_short(exc)} for {prepared.method} "
                    f"{REDACTOR.url(str(prepared.url))} (gave up after {attempts} attempts); "
                    "check base_url, the network, or raise request_timeout"
                )
                raise StreamError(msg) from None

        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        where = f"stream {self.name}: response from {REDACTOR.url(response.url)}"
        try:
            items = self.resource.endpoint.selector.select(
                response_json(response), allow_missing=self.resource.allow_missing
            )
        except MalformedResponseError as exc:
            msg = f"{where}: {exc}; check base_url and that the endpoint returns JSON"
            raise StreamError(msg) from None
        except SelectorNotFoundError:
            document = response_json(response)
            keys = ", ".join(map(str, document)) if isinstance(document, dict) else type(document).__name__
            msg = (
                f"{where}: data_selector {self.resource.endpoint.selector.source!r} matched nothing "
                f"(the response has: {keys}); fix endpoint.data_selector"
            )
            raise StreamError(msg) from None
        scalar_key = self.resource.scalar_key
        parent_fields = self.resource.parent.fields if self.resource.parent else {}
        own_keys = [key for key in self.primary_keys if key not in parent_fields]
        for item in items:
            if not isinstance(item, dict):
                if not scalar_key:
                    msg = (
                        f"{where}: a selected item is {type(item).__name__} {str(item)[:40]!r}, not an "
                        "object; point data_selector at a list of objects, or set records.scalar_key"
                    )
                    raise StreamError(msg)
                item = {scalar_key: item}  # noqa: PLW2901
            for key in own_keys:
                if item.get(key) is None:
                    msg = (
                        f"{where}: a record has no value for primary key {key!r} "
                        f"(record keys: {', '.join(item)}); fix primary_key in the description"
                    )
                    raise StreamError(msg)
            yield item

    # -- state ----------------------------------------------------------------------------

    @property
    @override
    def state_manager(self) -> StreamStateManager:
        if self._state_manager is None:
            self._state_manager = IndexedStateManager(
                tap_name=self.tap_name,
                stream_name=self.name,
                tap_state=self._tap_state,
                state_partitioning_keys=self.state_partitioning_keys,
                is_sorted=self.is_sorted,
                check_sorted=self.check_sorted,
            )
        return self._state_manager

    @override
    def _write_state_message(self) -> None:
        throttled = self.parent_stream_type is not None and not self._finalizing
        started = time.monotonic()
        if throttled and started < self._tap.next_child_state_at:
            return
        super()._write_state_message()
        if throttled:
            finished = time.monotonic()
            self._tap.next_child_state_at = finished + max(self.CHILD_STATE_INTERVAL, 10 * (finished - started))

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        self._finalizing = True
        try:
            super().finalize_state_progress_markers(state)
        finally:
            self._finalizing = False

    # -- records --------------------------------------------------------------------------

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # The start point is fixed when a partition's sync begins: a sorted stream moves its
        # bookmark while it reads, but every page of one sync must ask for the same window.
        self._start_points[_context_key(context)] = self._start_point(context)
        keep = self._client_side_filter(context)
        try:
            for record in self.request_records(context):
                if keep is None or keep(record):
                    yield record
                else:
                    self._sync_children_only(record, context)
        except ParentGone as exc:
            self.logger.warning("%s; skipping parent %s", exc, dict(context or {}))
        except PaginationError as exc:
            raise StreamError(f"stream {self.name}: {exc}") from None

    def _sync_children_only(self, record: dict[str, t.Any], context: Context | None) -> None:
        """Children are fetched for every parent record, even one the incremental filter drops."""
        if not self.child_streams:
            return
        record = self.post_process(record, context)
        for child_context in self.generate_child_contexts(record=record, context=context):
            self._sync_children(child_context)

    @override
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any]:
        if self.replication_key:
            row.setdefault(self.replication_key, None)  # a record without its key is emitted (contract §1.5)
        if self.resource.parent is not None and context:
            row.update({key: context[key] for key in self.resource.parent.fields if key in context})
        return row

    @override
    def get_child_context(self, record: dict[str, t.Any], context: Context | None) -> dict[str, t.Any] | None:
        child_context = {key: record.get(field) for key, field in self.child_context_fields.items()}
        missing = [self.child_context_fields[key] for key, value in child_context.items() if value is None]
        if missing:
            self.logger.warning(
                "Stream %s: a record has no %s; its child streams are skipped for it",
                self.name,
                ", ".join(missing),
            )
            return None
        return child_context

    # -- incremental ----------------------------------------------------------------------

    def _key_is_integer(self) -> bool:
        key_schema = self.schema.get("properties", {}).get(self.replication_key or "", {})
        types = key_schema.get("type", [])
        return "integer" in ([types] if isinstance(types, str) else types)

    def _in_key_type(self, moment: dt.datetime | None) -> object:
        """A moment in the replication key's own type: UNIX seconds or RFC 3339."""
        if moment is None:
            return 0 if self._key_is_integer() else None
        if self._key_is_integer():
            return int(moment.timestamp())
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _start_point(self, context: Context | None) -> object:
        """The incremental start point: bookmark, else start_date, else none (UNIX 0)."""
        if not self.replication_key:
            return None
        # the SDK gives the bookmark, else start_date (also for non-timestamp keys)
        start = self.get_starting_replication_key_value(context) or self.config.get("start_date")
        if not self._key_is_integer():
            return start
        if isinstance(start, int) or (isinstance(start, str) and start.strip().isdigit()):
            return int(start)
        return self._in_key_type(to_datetime(start))

    def _client_side_filter(self, context: Context | None) -> Callable[[dict[str, t.Any]], bool] | None:
        if self.resource.incremental != "client" or not self.replication_key:
            return None
        start = to_datetime(self._start_point(context))
        if start is None:
            return None
        key = self.replication_key

        def keep(record: dict[str, t.Any]) -> bool:
            value = to_datetime(record.get(key))
            return value is None or value >= start

        return keep


def _path_segment(value: object) -> str:
    """A parent value as one path segment: percent-encoded, and never a dot segment."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment in {".", ".."} else segment


def _context_key(context: t.Mapping[str, t.Any] | None) -> tuple[tuple[str, t.Any], ...]:
    return tuple(sorted((context or {}).items()))


def _error_code(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return ""
    return str(document.get("error", "")) if isinstance(document, dict) else ""


def _reason(response: requests.Response) -> str:
    if response.reason:
        return str(response.reason)
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""


def _retry_after(exception: object) -> float | None:
    response = getattr(exception, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    if header and header.strip().isdigit():
        return float(header.strip())
    return None


def _short(exception: object) -> str:
    if isinstance(exception, RetriableAPIError) and exception.response is not None:
        return f"HTTP {exception.response.status_code} {_reason(exception.response)}"
    if isinstance(exception, requests.Timeout):
        return "timed out"
    if isinstance(exception, (requests.ConnectionError, ConnectionError)):
        return "could not connect (connection refused or reset)"
    return type(exception).__name__


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
        }
        if resource.parent is not None:
            attributes["parent_stream_type"] = classes[resource.parent.resource]
            # bookmarks per parent for incremental children; one stream-level state otherwise
            attributes["state_partitioning_keys"] = list(resource.parent.fields) if resource.replication_key else []
        class_name = "".join(part.title() for part in resource.name.split("_")) + "Stream"
        classes[resource.name] = t.cast("type[GenericStream]", type(class_name, (GenericStream,), attributes))
    return list(classes.values())

