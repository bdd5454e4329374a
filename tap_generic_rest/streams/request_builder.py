"""Building requests: URL, headers, parameters and body from the resource's endpoint."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote, urlsplit

from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_generic_rest import __version__
from tap_generic_rest.description.grouping import text
from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.templating import Template, TemplateError, render_tree
from tap_generic_rest.run.refused import ParentRefused
from tap_generic_rest.settings import DEFAULT_REQUEST_TIMEOUT
from tap_generic_rest.streams.resume import digest

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Auth, Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_generic_rest.description.model import Endpoint
    from tap_generic_rest.description.report_job import JobRequest
    from tap_generic_rest.streams.scope import Scope


#: a path segment that is ``.`` or ``..`` (a parent value encodes as ``%2E`` / ``%2E%2E``)
_DOT_SEGMENT = re.compile(r"(?:^|/)(?:\.|%2E){1,2}(?:/|$)", re.IGNORECASE)
#: what must never be in a header
_BREAKS = re.compile(r"[\r\n\0]")


class RequestBuilder:
    """The requests of one resource, with the template variables of each partition."""

    def __init__(self, scope: Scope, variables: Callable[[Context | None], dict[str, t.Any]]) -> None:
        """Requests of the scope's resource; ``variables`` gives a partition's template variables."""
        self._name = scope.name
        self._resource = scope.resource
        self._description = scope.description
        self._config = scope.config
        self._runtime = scope.runtime
        self._variables = variables

    @property
    def url_base(self) -> str:
        """The ``base_url`` setting, else the description's."""
        return str(self._config.get("base_url") or self._description.base_url).rstrip("/")

    def url(self, context: Context | None, path: str | Template | None = None,
            extra: dict[str, t.Any] | None = None) -> str:
        """A partition's URL: the endpoint's path (or ``path``), parent values (and ``extra``) as path segments."""
        path = self._resource.endpoint.path if path is None else path
        encoded = {key: _path_segment(value) for key, value in (context or {}).items()}
        grouping = self._resource.group_parents
        values = (context or {}).get(grouping.key) if grouping is not None else None
        if grouping is not None and isinstance(values, tuple):  # a group, joined (only style join uses the path)
            separator = quote(grouping.separator, safe=",;|:+")
            encoded[grouping.key] = separator.join(_path_segment(text(value)) for value in values)
        if isinstance(path, Template):
            segments = {key: _path_segment(value) for key, value in (extra or {}).items()}
            variables = {**self._variables(context), **segments, "stream_slice": encoded, "parent": encoded,
                         "stream_partition": self._partition(encoded)}
            path = str(path.render(variables))
        url = join_url(self.url_base, str(path))
        dots = {key: value for key, value in (context or {}).items() if str(value) in {".", ".."}}
        if dots and _DOT_SEGMENT.search(urlsplit(url).path):
            msg = (f"stream {self._name}: the parent value(s) {dots} would be a dot segment in the path "
                   f"{urlsplit(url).path}, which HTTP libraries and servers resolve to another path; not sent")
            raise ParentRefused(msg)
        return url

    @property
    def headers(self) -> dict[str, str]:
        """The headers of every request of the description."""
        return {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            **render_tree(self._description.headers, {"config": self._config}),
        }

    @property
    def user_agent(self) -> str:
        """The ``user_agent`` setting, else ours."""
        return str(self._config.get("user_agent") or f"tap-generic-rest/{__version__}")

    @property
    def authenticator(self) -> Auth:
        """The run's authenticator, or the resource's own ``endpoint.auth`` (built once)."""
        auth = self._resource.endpoint.auth
        if auth is None:
            return self._runtime.authenticator
        return self._runtime.resource_authenticator(self._resource.name, lambda: auth.build(self._config))

    @property
    def payload_as_json(self) -> bool:
        """A JSON body, unless the endpoint gives ``data`` (a dict: a form; a string: the raw body)."""
        return self._resource.endpoint.data is None

    @property
    def timeout(self) -> float:
        """The ``request_timeout`` setting (seconds; a decimal from the config file is read as a float)."""
        return float(self._config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT)

    def request(self, page: PageContext) -> HTTPRequest:
        """The request of one page of a partition."""
        endpoint = self._resource.endpoint
        request = self.build(endpoint, page.stream_context, accept=endpoint.decoder.accept)
        endpoint.pagination.apply(request, page.next_page_token)
        return request

    def build(self, spec: Endpoint | JobRequest, context: Context | None, extra: dict[str, t.Any] | None = None,
              url: str | None = None, accept: str | None = None) -> HTTPRequest:
        """The request ``spec`` (an endpoint, or a report job's request) describes for a partition; ``extra``
        template variables (a job's ``job_id``); ``url`` replaces the spec's path (a download URL); ``accept``
        the ``Accept`` header of a non-JSON body (the spec's own headers still win)."""
        variables = {**self._request_variables(context), **(extra or {})}
        defaults = {**self.headers, **({"Accept": accept} if accept else {})}
        try:
            return HTTPRequest(
                url=url or self.url(context, spec.path, extra),
                method=spec.method,
                headers={**defaults, **self._endpoint_headers(spec.headers, variables, context)},
                params={k: v for k, v in render_tree(spec.params, variables).items() if v is not None},
                data=render_tree(spec.json if spec.data is None else spec.data, variables),
            )
        except TemplateError as exc:
            place = "endpoint" if spec is self._resource.endpoint else "report_job"
            msg = f"stream {self._name}: {exc}; fix {self._resource.where}.{place} in {self._description.origin}"
            raise StreamError(msg) from None

    def _request_variables(self, context: Context | None) -> dict[str, t.Any]:
        """A partition's template variables: a group's parent values as its style sends them, and
        ``stream_partition`` (the values of the ``partitions`` lists)."""
        variables = self._variables(context)
        shaped = dict(context or {})
        grouping = self._resource.group_parents
        if grouping is not None and isinstance(shaped.get(grouping.key), tuple):
            shaped[grouping.key] = grouping.value(shaped[grouping.key])
        return {**variables, "stream_slice": shaped, "parent": shaped, "stream_partition": self._partition(shaped)}

    def _partition(self, values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return {p.name: values[p.name] for p in self._resource.partitions if p.name in values}

    def _endpoint_headers(self, spec: dict[t.Any, t.Any], variables: dict[str, t.Any],
                          context: Context | None) -> dict[str, t.Any]:
        """The endpoint's headers rendered: a value beyond Latin-1 is sent UTF-8 encoded; a CR, LF or NUL
        (a header injection) is refused for this parent."""
        headers: dict[str, t.Any] = {}
        for key, value in render_tree(spec, variables).items():
            text = str(value)
            if _BREAKS.search(text) or _BREAKS.search(str(key)):
                msg = (f"stream {self._name}: header {str(key)!r} would hold a line break or NUL "
                       f"({text[:80]!r}), which would split the request; not sent")
                if context:
                    raise ParentRefused(msg)
                raise StreamError(f"{msg}; fix {self._resource.where}.endpoint.headers in {self._description.origin}")
            headers[str(key)] = text if text.isascii() or _latin1(text) else text.encode("utf-8")
        return headers

    def digest(self) -> str:
        """What the first request of a top-level partition is: method, URL, parameters, body and paginator
        (a saved resume position is used only for the same requests: ``streams/resume.py``)."""
        pagination = self._resource.endpoint.pagination
        try:
            request = self.request(PageContext(stream_context=None, next_page_token=None))
        except KeyError:  # its requests need a partition's values (`partitions`): the endpoint as described
            endpoint = self._resource.endpoint
            return digest(repr(endpoint), None, None, None, pagination.type, pagination.spec)
        return digest(request.method, request.url, request.params, request.data, pagination.type, pagination.spec)

    def new_paginator(self, start: tuple[object] | None = None) -> BaseAPIPaginator[t.Any]:
        """A paginator for one partition (from the page of token ``start[0]`` if given)."""
        return self._resource.endpoint.pagination.new_paginator(start)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def join_url(base: str, path: str) -> str:
    """dlt's join: exactly one ``/`` between base and path; a full-URL path replaces the base."""
    if path.startswith(("http://", "https://")):
        return path
    if not path:
        return base
    return base.rstrip("/") + "/" + path.lstrip("/")


def _path_segment(value: object) -> str:
    """A parent value as one path segment: percent-encoded, and never a dot segment."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment in {".", ".."} else segment
