"""A hostile or careless server cannot exhaust the tap (issue 22, point 4), over real loopback HTTP.

A gzip bomb fails in one line at the decompressed-size limit; a ``Retry-After`` past the longest wait
fails in one line naming the wait; ``Retry-After`` as an HTTP date is honoured; a used-up rate limit
is logged once; a body dripped byte by byte ends at ``request_timeout`` per attempt.
"""

from __future__ import annotations

import email.utils
import threading
import time
import typing as t
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tap_generic_rest.http.body import MAX_BODY_BYTES
from tap_generic_rest.http.ratelimit import MAX_PAUSE
from tests.safety import helpers as h

if t.TYPE_CHECKING:
    from pathlib import Path

PAGE = {"data": [{"id": "1"}]}


def gzip_bomb(size: int) -> bytes:
    """A gzip body that inflates to ``size`` bytes of JSON-ish text (about 1 MB per GiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    piece = b" " * 1024**2
    chunks = [compressor.compress(b'{"data": [], "pad": "')]
    chunks += [compressor.compress(piece) for _ in range(size // len(piece))]
    return b"".join([*chunks, compressor.compress(b'"}'), compressor.flush()])


def run_against(api_url: str, directory: Path, timeout: float = h.CLI_TIMEOUT, **settings: t.Any) -> h.TapRun:
    description = h.write_description(directory, h.resource(), base_url=api_url)
    config = {"api_description": str(description), **h.FAST, **settings}
    return h.run_tap(config=config, directory=directory, timeout=timeout)


def test_a_gzip_bomb_fails_in_one_line_at_the_size_limit(tmp_path: Path) -> None:
    body = gzip_bomb(1024**3)
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, body, headers={"Content-Encoding": "gzip"})

        run = run_against(api.url, tmp_path, timeout=120)  # generous: inflating 128 MiB on a shared machine
        line = run.error()  # under the helpers' 2 GiB address-space limit

    h.assert_mentions(line, "stream items", "gzip-compressed", f"larger than {MAX_BODY_BYTES // 1024**2} MiB")
    assert len(api.received) == 1, "a too-large body is not retried"
    h.record_figure("hostile servers (s)", "1 GiB gzip bomb", run.seconds)


def test_a_retry_after_past_the_longest_wait_fails_in_one_line(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(429, {"error": "slow down"}, headers={"Retry-After": "999999"})

        run = run_against(api.url, tmp_path)
        line = run.error()

    h.assert_mentions(line, "stream items", "wait 999999 s", f"at most {MAX_PAUSE:.0f} s")
    assert run.seconds < 20


def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path) -> None:
    arrivals: list[float] = []

    def answer(request: h.Received) -> h.Answer:
        arrivals.append(time.monotonic())
        if len(arrivals) > 1:
            return h.Answer(200, PAGE)
        when = email.utils.formatdate(time.time() + 3, usegmt=True)  # whole seconds: waits 2 to 3 s
        return h.Answer(503, {"error": "busy"}, headers={"Retry-After": when})

    with h.CannedApi() as api:
        api.routes["/items"] = answer

        run = run_against(api.url, tmp_path).succeeded()

    assert [r["id"] for r in run.records()] == ["1"]
    assert arrivals[1] - arrivals[0] >= 1.5, "the HTTP-date Retry-After was not honoured"


def test_a_used_up_rate_limit_is_logged_once(tmp_path: Path) -> None:
    reset = 6  # seconds; LONG_WAIT is 5

    def answer(request: h.Received) -> h.Answer:
        last = "offset=2" in request.target
        page = {"data": [] if last else [{"id": request.target}], "total": 2}
        return h.Answer(200, page, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})

    with h.CannedApi() as api:
        api.routes["/items"] = answer
        paged = h.resource(endpoint={"paginator": {"type": "offset", "limit": 1}})
        description = h.write_description(tmp_path, paged, base_url=api.url)

        run = h.run_tap(config={"api_description": str(description), **h.FAST}, directory=tmp_path,
                      timeout=60).succeeded()

    assert len(run.records()) == 2
    told = [line for line in run.stderr.splitlines() if "rate limit is used up" in line]
    assert len(told) == 1, run.stderr[-2000:]
    h.assert_mentions(told[0], "reset in 6 s", "waiting 6 s")
    assert run.seconds >= reset - 1, "the tap did not wait for the reset"


class DripServer:
    """A loopback server that sends its headers, then the body one byte every ``interval`` seconds."""

    def __init__(self, interval: float, size: int = 200) -> None:
        """Bind an ephemeral port."""
        self.attempts = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.attempts += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                started = time.monotonic()
                for _ in range(size):  # bounded: at most size * interval seconds
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except (TimeoutError, BrokenPipeError, ConnectionResetError):
                        return
                    if time.monotonic() - started > 60:
                        return
                    time.sleep(interval)

            def log_message(self, format: str, *args: t.Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> DripServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_a_dripped_body_ends_at_request_timeout_per_attempt(tmp_path: Path) -> None:
    timeout, attempts = 2, 2  # h.FAST: max_retries 1
    with DripServer(interval=0.3) as server:  # 200 bytes: 60 s if the timeout were per byte

        run = run_against(server.url, tmp_path, request_timeout=timeout)
        line = run.error()

    h.assert_mentions(line, "stream items", "timed out", f"gave up after {attempts} attempts")
    assert server.attempts == attempts
    assert run.seconds < attempts * (timeout + 1) + 8, f"took {run.seconds:.1f} s"
    h.record_figure("hostile servers (s)", "dripped body, request_timeout 2", run.seconds)
