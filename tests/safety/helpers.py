"""Helpers of the safety tests: own descriptions on disk, the real CLI, a canned loopback API.

The tests run the tap the way a user does (``python -m tap_generic_rest``, or the same ``main`` in
this process when requests-mock must see the requests) and check the product rule: a bad input
ends with exactly one ``tap-generic-rest: error:`` line on stderr and a non-zero exit, without a
traceback, without requests that should not be sent, and without any secret in any output.
"""

from __future__ import annotations

import json
import logging
import os
import resource as rlimit
import subprocess
import sys
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

from tap_generic_rest import cli

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

ERROR_PREFIX = "tap-generic-rest: error:"
BASE_URL = "https://api.test"
#: Every property a test resource may use: nullable strings unless a test passes its own schema.
ITEM_PROPERTIES = ("id", "name", "app_id", "updatedAt", "tag")
#: Fast retries: a failing request gives up after 2 attempts, in well under a second.
FAST = {"max_retries": 1, "backoff_factor": 0.01, "request_timeout": 5}
#: Wall-clock limit of one CLI run (interpreter start-up included).
CLI_TIMEOUT = 30.0
#: Address-space limit of a CLI run that may try to exhaust memory.
MEMORY_LIMIT = 2 * 1024**3
#: Figures the terminal summary reports: title -> {case: value}.
FIGURES: dict[str, dict[str, float]] = {}


# -- descriptions -----------------------------------------------------------------------------------


def object_schema(*names: str, types: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """An object schema whose properties are nullable strings (or ``types[name]``)."""
    types = types or {}
    return {"type": "object", "properties": {name: types.get(name, {"type": ["string", "null"]}) for name in names}}


def resource(name: str = "items", path: str = "/items", **fields: t.Any) -> dict[str, t.Any]:
    """A resource of a test description; ``endpoint`` fields other than the path go in ``endpoint=``."""
    endpoint = {"path": path, "data_selector": "data", **fields.pop("endpoint", {})}
    return {"name": name, "primary_key": "id", "schema": "items.json", "endpoint": endpoint, **fields}


def child(name: str, parent: str, path: str = "/apps/{resources.%s.id}/kids", **fields: t.Any) -> dict[str, t.Any]:
    """A child resource of ``parent`` taking ``app_id`` from the parent's ``id``."""
    endpoint = {"paginator": "single_page", **fields.pop("endpoint", {})}
    if "{resources." not in path and "{{" not in path:
        endpoint.setdefault("headers", {})["X-Parent"] = "{resources.%s.id}"
    endpoint = {k: (v.replace("%s", parent) if isinstance(v, str) else v) for k, v in endpoint.items()}
    if "headers" in endpoint:
        endpoint["headers"] = {k: v.replace("%s", parent) for k, v in endpoint["headers"].items()}
    return resource(name, path.replace("%s", parent), parent_fields={"app_id": "id"}, endpoint=endpoint, **fields)


def write_description(
    directory: Path,
    *resources: dict[str, t.Any],
    base_url: str = BASE_URL,
    auth: dict[str, t.Any] | None = None,
    schemas: t.Mapping[str, dict[str, t.Any]] | None = None,
) -> Path:
    """Write a description (one ``items`` resource by default) and its schema files; return its path."""
    client: dict[str, t.Any] = {"base_url": base_url}
    if auth is not None:
        client["auth"] = auth
    for file_name, schema in {"items.json": object_schema(*ITEM_PROPERTIES), **(schemas or {})}.items():
        (directory / file_name).write_text(json.dumps(schema), encoding="utf-8")
    path = directory / "api.yaml"
    document = {"client": client, "resources": list(resources) or [resource()]}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def write_config(directory: Path, config: dict[str, t.Any]) -> Path:
    """Write a tap config file; return its path."""
    path = directory / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


# -- running the CLI --------------------------------------------------------------------------------


@dataclass
class TapRun:
    """The outcome of one CLI run."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def error_lines(self) -> list[str]:
        """The stderr lines that start with the CLI's error prefix."""
        return [line for line in self.stderr.splitlines() if line.startswith(ERROR_PREFIX)]

    @property
    def messages(self) -> list[dict[str, t.Any]]:
        """The Singer messages on stdout."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def records(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        """The records emitted (of one stream, or of all)."""
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and stream in {None, m["stream"]}]

    def succeeded(self) -> TapRun:
        """Check the run succeeded; return it."""
        assert not self.timed_out, f"the tap hung (killed after {self.seconds:.1f} s)"
        assert self.returncode == 0, f"exit {self.returncode}:\n{self.stderr[-3000:]}"
        assert "Traceback" not in self.stderr, self.stderr[-3000:]
        return self

    def error(self) -> str:
        """Check the product rule (non-zero exit, one error line, no traceback); return the line."""
        assert not self.timed_out, f"the tap hung (killed after {self.seconds:.1f} s)"
        assert self.returncode != 0, f"expected a failure, got exit 0; stderr:\n{self.stderr[-2000:]}"
        assert "Traceback" not in self.stderr, f"traceback in stderr:\n{self.stderr[-3000:]}"
        assert len(self.error_lines) == 1, f"expected one error line, got {self.error_lines}:\n{self.stderr[-2000:]}"
        assert "An unhandled error occurred" not in self.stderr, f"the SDK's 'unhandled' line:\n{self.stderr[-2000:]}"
        return self.error_lines[0]


def _limit_memory() -> None:
    rlimit.setrlimit(rlimit.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_tap(
    *args: str,
    config: dict[str, t.Any] | None = None,
    directory: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = CLI_TIMEOUT,
    config_path: Path | None = None,
) -> TapRun:
    """Run ``python -m tap_generic_rest [--config <file>] *args`` in a subprocess.

    ``config`` is written to ``directory``; ``config_path`` passes a file as is. A run that exceeds
    ``timeout`` is killed and comes back with ``timed_out``. The address space is limited to
    :data:`MEMORY_LIMIT`, so a hostile input cannot exhaust the machine's memory.
    """
    command = [sys.executable, "-m", "tap_generic_rest"]
    if config is not None:
        assert directory is not None, "a config needs a directory to be written to"
        config_path = write_config(directory, config)
    if config_path is not None:
        command += ["--config", str(config_path)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_GENERIC_REST_", "LOGLEVEL"))}
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**environment, **(env or {})},
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired as exc:
        output = [x.decode("utf-8", "replace") if isinstance(x, bytes) else (x or "") for x in (exc.stdout, exc.stderr)]
        return TapRun(-9, output[0], output[1], time.monotonic() - started, timed_out=True)
    return TapRun(completed.returncode, completed.stdout, completed.stderr, time.monotonic() - started)


def run_cli(
    capsys: pytest.CaptureFixture[str],
    *args: str,
    config: dict[str, t.Any] | None = None,
    directory: Path | None = None,
) -> TapRun:
    """Run the CLI's ``main`` in this process, so requests-mock sees the requests.

    The same code path as ``python -m tap_generic_rest``; an exception escaping ``main`` is what a
    user would see as a traceback, so it is appended to stderr as one.
    """
    argv = list(args)
    if config is not None:
        assert directory is not None, "a config needs a directory to be written to"
        argv = ["--config", str(write_config(directory, config)), *argv]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the SDK adds a console handler per run
    capsys.readouterr()
    started = time.monotonic()
    code, escaped = 0, ""
    try:
        cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except Exception as exc:  # what a user would see as a traceback
        code, escaped = 1, f"Traceback (most recent call last):\n{type(exc).__name__}: {exc}\n"
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    seconds = time.monotonic() - started
    out, err = capsys.readouterr()
    return TapRun(code, out, err + escaped, seconds)


def assert_mentions(line: str, *fragments: str) -> None:
    """Every fragment is in the line."""
    missing = [fragment for fragment in fragments if fragment not in line]
    assert not missing, f"{missing} not in: {line}"


def record_figure(title: str, case: str, value: float) -> None:
    """Keep a figure for the terminal summary."""
    FIGURES.setdefault(title, {})[case] = value


# -- a canned API: fixed answers per path, every request recorded -----------------------------------


@dataclass(frozen=True)
class Answer:
    """One canned HTTP answer."""

    status: int = 200
    body: bytes | str | dict[str, t.Any] | list[t.Any] = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as bytes (a dict or list as JSON)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


@dataclass(frozen=True)
class Received:
    """One request the canned API received."""

    method: str
    target: str  # the request target exactly as sent: path and query
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The path of the request target."""
        return urlsplit(self.target).path

    def text(self) -> str:
        """Everything the request carried, as one string."""
        headers = "\n".join(f"{key}: {value}" for key, value in self.headers.items())
        return f"{self.method} {self.target}\n{headers}\n\n{self.body.decode('utf-8', 'replace')}"


class LoopbackServer:
    """An HTTP server on an ephemeral loopback port, served from a thread inside a ``with`` block."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        """Serve ``server`` (bound already) once entered."""
        self._server = server
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> t.Self:
        """Start serving."""
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class CannedApi(LoopbackServer):
    """A loopback HTTP server answering each path from ``routes`` (404 otherwise), recording requests.

    A route is an :class:`Answer` or a callable from the :class:`Received` request to one.
    """

    def __init__(self) -> None:
        """Bind an ephemeral loopback port."""
        self.routes: dict[str, Answer | Callable[[Received], Answer]] = {}
        self.received: list[Received] = []
        lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with lock:
                    api.received.append(request)
                route = api.routes.get(request.path)
                answer = (route(request) if callable(route) else route) or Answer(404, {"error": "not_found"})
                payload = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # noqa: N815 - the names http.server dispatches to

            def log_message(self, format: str, *args: t.Any) -> None:  # quiet
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def everything_received(self) -> str:
        """Every request received, as one text."""
        return "\n\n".join(request.text() for request in self.received)
