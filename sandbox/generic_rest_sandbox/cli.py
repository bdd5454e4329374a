"""``tap-generic-rest-sandbox``: run the sandbox server from the command line.

    tap-generic-rest-sandbox --port 8765 --scale 1 --seed 42 --fault webhooks:server_errors:3
    tap-generic-rest-sandbox --print-counts

Prints one line per API (name, base URL; oauth_offset also its token URL), then serves until
SIGINT or SIGTERM and exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import TYPE_CHECKING

from .controller import Sandbox
from .faults import MODES, Fault
from .registry import API_NAMES, DEFAULT_TOKEN_TTL

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tap-generic-rest-sandbox",
        description="Serve the five built-in APIs of tap-generic-rest with deterministic sample data.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind, 0 = any free port (default 8765)")
    parser.add_argument("--scale", type=_positive, default=1, help="data volume multiplier (default 1)")
    parser.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    parser.add_argument(
        "--token-ttl", type=int, default=DEFAULT_TOKEN_TTL, help="oauth_offset token lifetime in seconds"
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="[API:]MODE[:ARG]",
        help=f"inject a fault (repeatable); modes: {', '.join(MODES)}",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay every answer by this many milliseconds (default 0)"
    )
    parser.add_argument("--print-counts", action="store_true", help="print expected record counts as JSON and exit")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        scale=args.scale,
        seed=args.seed,
        token_ttl=args.token_ttl,
        faults=args.fault,
        verbose=args.verbose,
        latency_ms=max(0.0, args.latency_ms),
    )
    if args.print_counts:
        print(json.dumps(sandbox.all_expected_counts(), indent=2))
        return 0

    stop_requested: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Only record the signal: taking locks (e.g. Event.set) in a handler can deadlock the main thread.
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"tap-generic-rest-sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        for name in API_NAMES:
            line = f"{name} {sandbox.base_url(name)}"
            if name == "oauth_offset":
                line += f" token_url={sandbox.token_url}"
            print(line, flush=True)
        if sandbox.faults:
            print("faults " + " ".join(str(fault) for fault in sandbox.faults), flush=True)
        while not stop_requested:
            time.sleep(0.2)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
