"""The sandbox HTTP server: one loopback port serving all five APIs under their mount prefixes.

``Dispatcher`` turns a raw HTTP request into a :class:`.messages.Request`, routes it by mount
prefix, applies the fault modes, logs it and returns the :class:`.messages.Response` (or None
to reset the connection). ``SandboxHTTPServer`` is a stdlib ``ThreadingHTTPServer`` around it.
Every JSON answer has ``Content-Type: application/json``; unknown paths answer 404.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from .faults import RETRY_AFTER_STATUSES, FaultInjector
from .messages import RecordedRequest, Request, Response, parse_query
from .request_log import RequestLog

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .base import Api
    from .faults import Fault

logger = logging.getLogger(__name__)

WILDCARD_HOSTS = ("", "0.0.0.0", "::")


class Dispatcher:
    """Routes requests to the APIs, applying faults and logging every request."""

    def __init__(self, apis: Mapping[str, Api], faults: Iterable[str | Fault] = (), latency: float = 0.0) -> None:
        self.apis = dict(apis)
        #: seconds every request waits before it is answered (a distant API)
        self.latency = latency
        self._mounts = sorted(self.apis.values(), key=lambda api: len(api.prefix), reverse=True)
        self.log = RequestLog()
        self.injector = FaultInjector(faults)

    def set_faults(self, faults: Iterable[str | Fault]) -> None:
        """Replace the active faults; their request counters restart at zero."""
        self.injector = FaultInjector(faults)

    def mount(self, path: str) -> tuple[Api, str] | None:
        """The API mounted at ``path`` and the subpath below its prefix."""
        for api in self._mounts:
            if path == api.prefix or path.startswith(api.prefix + "/"):
                return api, path[len(api.prefix) :] or "/"
        return None

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes, origin: str) -> Response | None:
        """Answer one request; ``origin`` is ``scheme://host:port`` as the client reached us."""
        received_at = time.monotonic()
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(target)
        path = unquote(parts.path)
        mounted = self.mount(path)
        api_name = mounted[0].name if mounted else None
        answer: Response | None
        if mounted is None:
            answer = Response.json(404, {"error": "not_found", "message": f"No sandbox API is mounted at {path}"})
        else:
            api, subpath = mounted
            answer = self._answer(api, Request(method, path, subpath, parts.query, headers, body, origin + api.prefix))
            if answer is not None:
                answer.headers = {**api.common_headers(), **answer.headers}
        status = answer.status if answer else None
        self.log.record(
            RecordedRequest(api_name, method, path, parse_query(parts.query), dict(headers), body, status, received_at)
        )
        return answer

    def _answer(self, api: Api, request: Request) -> Response | None:
        if api.exempt_from_faults(request):
            return self._handle(api, request)
        decision = self.injector.decide(api.name, (request.method, request.path, request.raw_query, request.body))
        if decision.sleep:
            time.sleep(decision.sleep)
        if decision.reset:
            return None
        if decision.status is not None:
            response = api.error(decision.status)
            if decision.status in RETRY_AFTER_STATUSES:
                response.headers["Retry-After"] = "1"
        else:
            response = self._handle(api, dataclasses.replace(request, faults=decision.flags))
        return decision.distort(response)

    @staticmethod
    def _handle(api: Api, request: Request) -> Response:
        try:
            return api.handle(request)
        except Exception:
            logger.exception("sandbox %s failed on %s %s", api.name, request.method, request.path)
            return api.error(500)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, dispatcher: Dispatcher, *, verbose: bool = False) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.dispatcher = dispatcher
        self.verbose = verbose
        self.host = host
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def origin(self, host_header: str | None = None) -> str:
        """``http://host:port`` of this server; a wildcard bind uses the client's Host header."""
        if self.host in WILDCARD_HOSTS and host_header:
            return f"http://{host_header}"
        host = "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tap-generic-rest-sandbox/1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        server = cast("SandboxHTTPServer", self.server)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(Response.json(400, {"error": "bad_request", "message": "Invalid Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = server.dispatcher.dispatch(
            self.command, self.path, headers, body, server.origin(headers.get("host"))
        )
        if response is None:
            self._reset()
        else:
            self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _reset(self) -> None:
        """Close the connection without an answer, with a TCP reset (SO_LINGER 0)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        if cast("SandboxHTTPServer", self.server).verbose:
            super().log_message(format, *args)
