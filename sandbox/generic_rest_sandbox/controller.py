"""``Sandbox``: the Python API to run the sandbox server in-process (tests, notebooks).

with Sandbox(scale=1, seed=42) as sandbox:
    url = sandbox.base_url("webhooks")          # http://127.0.0.1:<port>/webhooks
    counts = sandbox.expected_counts("webhooks")
    changed = sandbox.mutate("webhooks")
    sandbox.set_faults(["webhooks:server_errors:2"])
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .registry import API_NAMES, DEFAULT_TOKEN_TTL, build_apis
from .server import Dispatcher, SandboxHTTPServer

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

    from .base import Api
    from .faults import Fault
    from .messages import RecordedRequest

TOKEN_PATH = "/oauth/token"


class Sandbox:
    """All five sandbox APIs on one loopback port, served from a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        scale: int = 1,
        seed: int = 42,
        token_ttl: int = DEFAULT_TOKEN_TTL,
        *,
        faults: Iterable[str | Fault] = (),
        verbose: bool = False,
        latency_ms: float = 0.0,
    ) -> None:
        self.host = host
        self.scale = scale
        self.seed = seed
        self._requested_port = port
        self._verbose = verbose
        self.apis = build_apis(scale, seed, token_ttl)
        self._dispatcher = Dispatcher(self.apis, faults, latency=latency_ms / 1000)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind the port and serve in a daemon thread (idempotent)."""
        if self._server is None:
            self._server = SandboxHTTPServer(self.host, self._requested_port, self._dispatcher, verbose=self._verbose)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._running().port

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return self._running().origin()

    def base_url(self, api: str) -> str:
        """The API's ``base_url`` setting, e.g. ``http://127.0.0.1:8765/marketing/v2``."""
        return self.url + self.api(api).prefix

    @property
    def token_url(self) -> str:
        """The oauth_offset ``token_url`` setting."""
        return self.base_url("oauth_offset") + TOKEN_PATH

    # -- datasets ----------------------------------------------------------------------------

    def api(self, name: str) -> Api:
        """The handler object of one API (its dataset and state)."""
        if name not in self.apis:
            raise KeyError(f"unknown API {name!r}; known: {', '.join(API_NAMES)}")
        return self.apis[name]

    def expected_counts(self, api: str, *, vanish_parents: bool = False) -> dict[str, int]:
        """Records per stream of a full sync; ``vanish_parents`` leaves out children of vanished parents."""
        handler = self.api(api)
        with handler.lock:
            return handler.expected_counts(vanish_parents=vanish_parents)

    def all_expected_counts(self) -> dict[str, dict[str, int]]:
        return {name: self.expected_counts(name) for name in API_NAMES}

    def mutate(self, api: str) -> dict[str, set[str]]:
        """Change/add records of one API; per stream the keys (composite keys joined by ``|``) touched."""
        handler = self.api(api)
        with handler.lock:
            return handler.mutate()

    # -- request log and faults ----------------------------------------------------------------

    def requests(self, api: str | None = None) -> list[RecordedRequest]:
        return self._dispatcher.log.entries(api)

    def request_count(self, api: str | None = None) -> int:
        return self._dispatcher.log.count(api)

    def reset_log(self) -> None:
        self._dispatcher.log.clear()

    def set_faults(self, faults: Iterable[str | Fault]) -> None:
        """Replace the active fault modes (``[API:]MODE[:ARG]`` strings or :class:`Fault`)."""
        self._dispatcher.set_faults(faults)

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self._dispatcher.injector.faults

    def _running(self) -> SandboxHTTPServer:
        if self._server is None:
            raise RuntimeError("the sandbox is not running: call start() or use it as a context manager")
        return self._server
