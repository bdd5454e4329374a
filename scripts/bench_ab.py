"""`scripts/bench --against OTHER --runs 6`: this tap against another build, interleaved (see docs/performance.md).

On a shared machine one run of each moves ±15 %: a change of a few percent only shows over several
runs taken in turn. Per API, ``--runs`` pairs (the other build, then this one), each on a freshly
started sandbox, each a child process measured by wall clock, CPU (user + system) and voluntary
context switches (getrusage of that child); then the medians and this build over the other. OTHER is
a tap executable, or a checkout of the project (e.g. ``git worktree add /tmp/before HEAD~1``), whose
``tap_generic_rest`` then runs in this environment.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import typing as t
from pathlib import Path

import bench
import bench_sweep

if t.TYPE_CHECKING:
    import argparse


def tap_command(tap: str) -> tuple[list[str], dict[str, str], Path]:
    """The command, environment and working folder running the tap ``tap`` (an executable or a checkout)."""
    if not Path(tap).is_dir():
        return [tap], {}, bench.ROOT
    # compiled first, as scripts/setup compiles this checkout: with PYTHONDONTWRITEBYTECODE set, each start
    # would compile it again
    subprocess.run([str(bench.BIN / "python"), "-m", "compileall", "-q", str(Path(tap) / "tap_generic_rest")],
                   check=True, stdout=subprocess.DEVNULL)
    code = "import sys\nfrom tap_generic_rest.cli import main\nsys.argv[0] = 'tap-generic-rest'\nsys.exit(main())"
    # run from outside both checkouts, so that the import path (PYTHONPATH first) picks the other's code
    env = {"PYTHONPATH": str(Path(tap).resolve())}
    return [str(bench.BIN / "python"), "-c", code], env, Path(tempfile.gettempdir())


def measure(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds, voluntary context switches and RECORD lines of one run."""
    run = bench_sweep.measure(command, cwd, env)
    return run.wall, run.cpu, run.switches, bench_sweep.records(run.stdout)


def compare(args: argparse.Namespace) -> None:
    """Print, per API, each run and the medians of this build against ``args.against``."""
    builds = {"other": tap_command(args.against), "this": tap_command(args.tap)}
    sandbox = bench.Sandbox(args)
    print(f"this tap ({args.tap}) against {args.against}: scale {args.scale}, latency {args.latency_ms:g} ms, "
          f"{args.runs} runs each, taken in turn, a fresh sandbox for each; wall s, CPU s (user+system), "
          "voluntary context switches")
    try:
        for api in args.apis:
            config = bench.sandbox_config(sandbox.port, api)
            config_file = Path(tempfile.mkdtemp(prefix="bench-ab-")) / "config.json"
            config_file.write_text(json.dumps(config))
            runs: dict[str, list[tuple[float, float, int, int]]] = {"other": [], "this": []}
            for _ in range(args.runs):
                for name, (command, env, cwd) in builds.items():
                    sandbox.restart()
                    runs[name].append(measure([*command, "--config", str(config_file)], env, cwd))
            print_api(api, runs)
    finally:
        sandbox.stop()


def print_api(api: str, runs: dict[str, list[tuple[float, float, int, int]]]) -> None:
    counts = {run[3] for build in runs.values() for run in build}
    print(f"\n{api}: records {', '.join(map(str, sorted(counts)))}" + ("" if len(counts) == 1 else "  DIFFER"))
    print("build | " + " | ".join(f"run {n + 1}" for n in range(len(runs["this"]))) + " | median wall | median CPU | "
          "median switches")
    medians: dict[str, list[float]] = {}
    for name, build in runs.items():
        medians[name] = [statistics.median(run[i] for run in build) for i in range(3)]
        cells = [f"{wall:.2f} / {cpu:.2f} / {switches}" for wall, cpu, switches, _ in build]
        wall, cpu, switches = medians[name]
        print(f"{name} | " + " | ".join(cells) + f" | {wall:.2f} | {cpu:.2f} | {switches:.0f}")
    ratios = [this / other if other else float("nan") for this, other in zip(medians["this"], medians["other"],
                                                                             strict=True)]
    print("this/other | " + " | ".join("" for _ in runs["this"]) + " | " + " | ".join(f"{r:.2f}" for r in ratios))

