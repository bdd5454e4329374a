"""`scripts/bench --sweep 5,20,50`: the tap beside the plain loop as the data grows (see docs/performance.md).

At each scale, on one fresh sandbox: the plain loop (serial, the tap's own requests replayed with bare
`requests`: scripts/bench.py) and the tap at its default concurrency, each as a child process measured
by wall clock, CPU time and peak RSS (getrusage of that child); the tap's largest STATE line; the ratio
tap ÷ plain at that scale and its drift from the first scale's ratio. Both runs of one scale share a
server, so a server that slows down with size slows both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bench

#: peak RSS the tap must stay under at every scale (issue 21)
RSS_LIMIT_MIB = 150.0


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, CPU seconds (user + system), peak RSS MiB, its stdout, its voluntary
    context switches."""

    wall: float
    cpu: float
    rss: float
    stdout: bytes
    switches: int = 0


def measure(command: list[str], cwd: Path = bench.ROOT, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` to its end (``env``: added to the environment), measured by getrusage of that child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"bench: {' '.join(command[:3])} failed:\n{err.read().decode()[-2000:]}")
        out.seek(0)
        return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(), usage.ru_nvcsw)


def state_lines(output: bytes) -> list[bytes]:
    """The STATE lines of a tap's output."""
    return [line for line in output.splitlines() if line.startswith(b'{"type":"STATE"')]


def records(output: bytes) -> int:
    return sum(line.startswith(b'{"type":"RECORD"') for line in output.splitlines())


def sweep(args: argparse.Namespace) -> None:
    """Print one row per scale for ``args.api`` (default support)."""
    api = args.sweep_api
    print(f"sweep of {api}, latency {args.latency_ms:g} ms: records/s (CPU s, peak RSS MiB) of the plain loop "
          "(serial) and the tap (default concurrency); tap ÷ plain by wall clock and by CPU, drift vs the first scale")
    print(" | ".join(["scale", "records", "plain x1", "tap", "tap/plain", "drift", "tap/plain CPU", "drift CPU",
                      "largest STATE line (B)", "STATE total (B)", "RSS <= 150"]))
    first: tuple[float, float] | None = None
    for scale in args.sweep:
        row, ratios = sweep_scale(api, scale, args)
        first = first or ratios
        drift = [f"{ratios[i] / first[i] - 1:+.0%}" for i in range(2)]
        print(" | ".join([*row[:5], drift[0], row[5], drift[1], *row[6:]]), flush=True)


def sweep_scale(api: str, scale: int, args: argparse.Namespace) -> tuple[list[str], tuple[float, float]]:
    """Measure one scale: the row's cells and (wall ratio, CPU ratio)."""
    sandbox = bench.Sandbox(argparse.Namespace(scale=scale, latency_ms=args.latency_ms))
    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    config = bench.sandbox_config(sandbox.port, api)
    config_file = work / "config.json"
    config_file.write_text(json.dumps(config))
    try:
        sandbox.restart()
        requests_file = work / "requests.json"
        requests_file.write_text(json.dumps(bench.capture(config)))
        sandbox.restart()
        plain = measure([sys.executable, bench.__file__, "--plain", str(requests_file), "1"])
        sandbox.restart()
        tap = measure([args.tap, "--config", str(config_file)])
    finally:
        sandbox.stop()
    total = records(tap.stdout)
    states = state_lines(tap.stdout)
    wall_ratio = plain.wall / tap.wall
    cpu_ratio = plain.cpu / tap.cpu
    row = [str(scale), str(total), _cell(total, plain), _cell(total, tap), f"{wall_ratio:.2f}", f"{cpu_ratio:.2f}",
           str(max(map(len, states), default=0)), str(sum(map(len, states))),
           "yes" if tap.rss <= RSS_LIMIT_MIB else f"NO ({tap.rss:.0f})"]
    return row, (wall_ratio, cpu_ratio)


def _cell(total: int, run: Measured) -> str:
    return f"{total / run.wall:.0f} ({run.cpu:.1f} s, {run.rss:.0f})"
