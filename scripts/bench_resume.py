"""`scripts/bench --resume`: what a restart after a kill -9 redoes, and what STATE costs (docs/performance.md).

Per API, on one sandbox: a complete run of the tap (its largest STATE line, its STATE bytes ÷ all its
output); then a run killed (SIGKILL) once it has written 40% of the records, anywhere (not at a STATE),
and a restart from the last STATE it wrote: the records the restart writes ÷ all records (the re-read
share) beside the share the killed run had not delivered (the least a restart must read), and whether
the two runs together delivered every record.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import bench
from bench import sandbox_config
from bench_sweep import measure, state_lines

#: where the run is killed: this share of the records written
KILL_AT = 0.4


def resume(args: argparse.Namespace) -> None:
    """Print one row per API of ``args.apis``."""
    print(f"scale {args.scale}: a complete run's STATE, then a kill -9 at {KILL_AT:.0%} of the records and a "
          "restart from the last STATE")
    print(" | ".join(["api", "records", "largest STATE line (B)", "STATE total (B)", "STATE share",
                      "unread at kill", "re-read by restart", "re-read - unread", "every record"]))
    sandbox = bench.Sandbox(argparse.Namespace(scale=args.scale, latency_ms=args.latency_ms))
    try:
        for api in args.apis:
            print(" | ".join(resume_api(api, sandbox, args)), flush=True)
    finally:
        sandbox.stop()


def resume_api(api: str, sandbox: bench.Sandbox, args: argparse.Namespace) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    config_file = work / "config.json"
    config_file.write_text(json.dumps(sandbox_config(sandbox.port, api)))
    command = [args.tap, "--config", str(config_file)]
    sandbox.restart()
    complete = measure(command).stdout
    states = state_lines(complete)
    keys = _keys(api, complete)
    total = len(keys)
    sandbox.restart()
    killed = run_killed(command, kill_at=int(total * KILL_AT))
    state_file = work / "state.json"
    state_file.write_text(json.dumps(json.loads(state_lines(killed)[-1])["value"]) if state_lines(killed) else "{}")
    restarted = measure([*command, "--state", str(state_file)]).stdout
    delivered = _keys(api, killed)
    rewritten = sum(line.startswith(b'{"type":"RECORD"') for line in restarted.splitlines())
    unread = (total - len(delivered)) / total
    return [api, str(total), str(max(map(len, states), default=0)), str(sum(map(len, states))),
            f"{sum(map(len, states)) / len(complete):.1%}", f"{unread:.1%}", f"{rewritten / total:.1%}",
            f"{rewritten / total - unread:+.1%}", "yes" if delivered | _keys(api, restarted) == keys else "NO"]


def run_killed(command: list[str], *, kill_at: int) -> bytes:
    """Run ``command``; SIGKILL it once it has written ``kill_at`` records. What it wrote (the lines
    already in the pipe included: a target would have them; a line cut by the kill left out)."""
    lines: list[bytes] = []
    written = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=bench.ROOT) as tap:
        assert tap.stdout is not None
        for line in tap.stdout:
            lines.append(line)
            if line.startswith(b'{"type":"RECORD"'):
                written += 1
                if written == kill_at:
                    os.kill(tap.pid, signal.SIGKILL)
    if lines and not lines[-1].endswith(b"\n"):
        lines.pop()
    return b"".join(lines)


def _keys(api: str, output: bytes) -> set[tuple[str, str]]:
    """(stream, primary key) of every RECORD line."""
    found: set[tuple[str, str]] = set()
    for line in output.splitlines():
        if line.startswith(b'{"type":"RECORD"'):
            message: dict[str, t.Any] = json.loads(line)
            stream, record = message["stream"], message["record"]
            found.add((stream, json.dumps([record.get(key) for key in _primary_keys(api)[stream]])))
    return found


@functools.cache
def _primary_keys(api: str) -> dict[str, tuple[str, ...]]:
    """stream -> its primary key, of one built-in API."""
    from tap_generic_rest.description.load import builtin_path, load_description

    return {resource.name: resource.primary_key for resource in load_description(builtin_path(api)).resources}


if __name__ == "__main__":
    sys.exit("run it as scripts/bench --resume")
