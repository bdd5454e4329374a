"""A big gzip CSV export streamed through the tap: every row counted, the tap's peak RSS and rows/s.

A loopback server generates ``rows`` CSV rows on the fly, gzip-compressed as they are produced (the body
is never whole anywhere); the tap runs as a child process (``python -m tap_generic_rest``) whose
stdout is read line by line, and whose peak RSS is its ``VmHWM``, sampled while it runs.

    python -m tests.integration.big_export 1000000      # the figure of docs/performance.md
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.integration.bodies import Reply, csv_lines, gzipped, serving


@dataclass(frozen=True)
class ExportRun:
    """What one run of the tap over the export gave."""

    records: int
    ids_sum: int
    last_id: int
    returncode: int
    peak_rss_mib: float
    seconds: float
    cpu_seconds: float
    stderr_tail: str

    @property
    def rows_per_second(self) -> float:
        """Records written per second of wall time (interpreter start-up included)."""
        return self.records / self.seconds


def describe(directory: Path, url: str) -> Path:
    """The description of the export: one CSV resource, gzip-compressed, with its schema."""
    schema = {"type": "object", "properties": {name: {"type": ["string", "null"]} for name in ("id", "name", "amount")}}
    (directory / "export.json").write_text(json.dumps(schema))
    resource = {"name": "export", "primary_key": "id", "schema": "export.json",
                "endpoint": {"path": "/export.csv.gz", "decoder": {"type": "csv", "compression": "gzip"}}}
    path = directory / "api.yaml"
    path.write_text(yaml.safe_dump({"client": {"base_url": url}, "resources": [resource]}))
    return path


def run_export(rows: int) -> ExportRun:
    """Serve ``rows`` rows and run the tap over them."""
    with serving() as server, tempfile.TemporaryDirectory() as directory:
        server.routes["/export.csv.gz"] = lambda _: Reply(200, gzipped(csv_lines(rows)),
                                                          {"Content-Type": "application/gzip"})
        config = Path(directory) / "config.json"
        config.write_text(json.dumps({"api_description": str(describe(Path(directory), server.url))}))
        return _run([sys.executable, "-m", "tap_generic_rest", "--config", str(config)])


def _run(command: list[str]) -> ExportRun:
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout is not None
        records = ids_sum = last_id = 0
        peak_kib = _high_water_kib(process.pid)
        for line in process.stdout:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
                if records % 1000 == 0:
                    peak_kib = max(peak_kib, _high_water_kib(process.pid))
                last_id = int(t.cast("str", json.loads(line)["record"]["id"]))
                ids_sum += last_id
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        stderr.seek(0)
        tail = stderr.read()[-3000:].decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return ExportRun(records, ids_sum, last_id, process.returncode, peak_kib / 1024, seconds, cpu, tail)


def _high_water_kib(pid: int) -> int:
    """The tap's own peak RSS so far (``VmHWM``). Not ``ru_maxrss``: exec records the forking process's high water
    mark in the child's, so a tap started from a large test process would report that process's size."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    result = run_export(count)
    print(f"{result.records} records of {count}, exit {result.returncode}, peak RSS {result.peak_rss_mib:.0f} MiB, "
          f"{result.seconds:.1f} s, {result.rows_per_second:,.0f} rows/s; the tap's CPU {result.cpu_seconds:.1f} s "
          f"({result.records / result.cpu_seconds:,.0f} rows per CPU second)")
