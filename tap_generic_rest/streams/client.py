"""Building requests: URL, headers, parameters and body from the resource's endpoint."""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from singer_sdk.streams.rest import HTTPRequest, PageContext
from typing_extensions import override

from tap_generic_rest import __version__
from tap_generic_rest.errors import StreamError
from tap_generic_rest.expressions.templating import Template, TemplateError, render_tree
from tap_generic_rest.streams.state import StatefulStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Auth, Context
    from singer_sdk.pagination import BaseAPIPaginator


class HttpStream(StatefulStream):
    """Requests of a resource, through the run's shared session and authenticator."""

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
        return join_url(self.url_base, str(path))

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            **render_tree(self.description.headers, {"config": self.config}),
        }

    @property
    @override
    def user_agent(self) -> str:
        return str(self.config.get("user_agent") or f"tap-generic-rest/{__version__}")

    @property
    @override
    def authenticator(self) -> Auth:
        auth = self.resource.endpoint.auth
        if auth is None:
            return self.runtime.authenticator
        return self.runtime.resource_authenticator(self.resource.name, lambda: auth.build(self.config))

    @property
    def payload_as_json(self) -> bool:  # type: ignore[override]
        """A JSON body, unless the endpoint gives ``data`` (a dict: a form; a string: the raw body)."""
        return self.resource.endpoint.data is None

    @property
    @override
    def requests_session(self) -> requests.Session:
        return self.runtime.session

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
                headers={**self.http_headers, **{str(k): str(v) for k, v in
                                                 render_tree(endpoint.headers, variables).items()}},
                params={k: v for k, v in render_tree(endpoint.params, variables).items() if v is not None},
                data=render_tree(endpoint.json if endpoint.data is None else endpoint.data, variables),
            )
        except TemplateError as exc:
            msg = f"stream {self.name}: {exc}; fix {self.resource.where}.endpoint in {self.description.origin}"
            raise StreamError(msg) from None
        endpoint.pagination.apply(request, page.next_page_token)
        return request

    @override
    def get_new_paginator(self) -> BaseAPIPaginator[t.Any]:
        return self.resource.endpoint.pagination.new_paginator()


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
