"""The benchmark behind scripts/bench (see there and docs/performance.md)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tap_generic_rest.apis import BUILTIN_APIS

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
APIS = list(BUILTIN_APIS)
MOUNTS = {"marketing": "marketing/v2"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Measured(t.NamedTuple):
    """One process's run: wall seconds, peak RSS (MiB), CPU seconds (user + system), stdout."""

    seconds: float
    rss: float
    cpu: float
    output: str


def measured(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            sys.exit(f"bench: {' '.join(command[:3])} failed:\n{err.read().decode()[-2000:]}")
        return Measured(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out.read().decode())


# -- the plain loop: the tap's own requests, replayed with bare `requests` -----------------------


def capture(config: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The HTTP requests a serial sync of the tap sends (method, URL, headers, body), in order, each
    with its partition (stream and context: the pages of one request sequence)."""
    import requests
    from singer_sdk.streams.rest import RESTStream

    from tap_generic_rest.run.writer import flush_writers
    from tap_generic_rest.tap import TapGenericRest

    sent: list[dict[str, t.Any]] = []
    original = requests.Session.send
    original_records = RESTStream.request_records
    partition: list[str | None] = [None]

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        sent.append({"method": request.method, "url": request.url, "headers": dict(request.headers), "body": body,
                     "partition": partition[0]})
        return original(self, request, **kwargs)

    def request_records(self: RESTStream[t.Any], context: t.Any) -> t.Iterator[dict[str, t.Any]]:
        # serial: the requests sent while this generator runs are this partition's pages
        label = json.dumps([self.name, context], sort_keys=True, default=str)
        records = original_records(self, context)
        while True:
            outer, partition[0] = partition[0], label
            try:
                record = next(records)
            except StopIteration:
                return
            finally:
                partition[0] = outer
            yield record

    requests.Session.send = send  # type: ignore[method-assign]
    RESTStream.request_records = request_records  # type: ignore[method-assign]
    devnull = open(os.devnull, "w")  # noqa: SIM115
    stdout, sys.stdout = sys.stdout, devnull
    logging.disable(logging.CRITICAL)
    try:
        TapGenericRest(config={**config, "max_concurrency": 1}, parse_env_config=False).sync_all()
        flush_writers()
    finally:
        sys.stdout = stdout
        logging.disable(logging.NOTSET)
        requests.Session.send = original  # type: ignore[method-assign]
        RESTStream.request_records = original_records  # type: ignore[method-assign]
    return sent


def plain(requests_file: str, in_flight: int) -> None:
    """(subprocess) Send every captured request, parse every JSON body; ``in_flight`` at once.

    A fair floor for the tap: it knows nothing of the API but the requests to send. The pages of one
    partition (a stream's request sequence for one parent) go in order, as their cursors require;
    all partitions are independent (a child's requests need no wait for its parent's response)."""
    import requests
    from requests.adapters import HTTPAdapter

    captured = json.loads(Path(requests_file).read_text())
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=in_flight + 1))

    def one(request: dict[str, t.Any]) -> int:
        response = session.request(request["method"], request["url"], headers=request["headers"],
                                   data=request["body"], timeout=60)
        return len(json.dumps(response.json())) if response.content else 0

    partitions: dict[str, list[dict[str, t.Any]]] = {}
    for request in captured:  # requests outside a partition (e.g. a token): by endpoint
        key = request["partition"] or f"{request['method']} {request['url'].split('?')[0]}"
        partitions.setdefault(key, []).append(request)
    with ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(lambda pages: [one(page) for page in pages], partitions.values()))


# -- the pipeline: one small function, easy to change with meltano.yml -------------------------


def meltano_command(api: str, base_url: str, token_url: str) -> tuple[list[str], dict[str, str]]:
    """``meltano run tap-<api> target-duckdb`` for one API: its plugin of the collection, pointed at this sandbox."""
    plugin = "tap-" + api.replace("_", "-")
    prefix = plugin.replace("-", "_").upper()
    env = {
        f"{prefix}_BASE_URL": base_url,
        f"{prefix}_TOKEN_URL": token_url,
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": f"bench_{api}",
        "TARGET_DUCKDB_FILEPATH": str(ROOT / "output" / "bench.duckdb"),
    }
    command = [str(BIN / "meltano"), "run", "--full-refresh", "--state-id-suffix", f"bench-{api}",
               plugin, "target-duckdb"]
    return command, env


# -- the run -------------------------------------------------------------------------------------


class Sandbox:
    """The sandbox as a subprocess on one port, restarted fresh for every measurement (some of its
    APIs keep state between requests, e.g. an open scroll)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.port = free_port()
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def restart(self) -> None:
        self.stop()
        self.process = subprocess.Popen(
            [str(BIN / "tap-generic-rest-sandbox"), "--port", str(self.port), "--scale", str(self.args.scale),
             "--latency-ms", str(self.args.latency_ms)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(300 * max(1, self.args.scale // 10)):  # a large scale takes long to generate
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("bench: the sandbox did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


COLUMNS = ["plain x1", "plain x8", "dlt", "tap c=1", "tap", "meltano"]
HEADER = ["api", "records", "parents", *COLUMNS, "tap/plain1", "tap/plain8", "tap/dlt", "meltano/tap",
          "fixed s", "data/tap", "us/record", "us/parent"]
#: a selection no stream matches: `meltano run` with it costs what every run costs whatever the data
NOTHING_SELECTED = '["no_such_stream.no_such_field"]'


def bench(args: argparse.Namespace) -> None:
    sandbox = Sandbox(args)
    try:
        (ROOT / "output").mkdir(exist_ok=True)
        print(f"scale {args.scale}, latency {args.latency_ms:g} ms. Cells: records/s (peak RSS MiB); `tap` at its "
              "default max_concurrency; ratios of records/s (meltano/tap: of seconds); us/record and us/parent: "
              "the tap's CPU (user+system) over its records and over its parent contexts (child partitions); "
              "fixed s: `meltano run` with no stream selected (Meltano's start, job and state, discovery, the "
              "tap's and the target's start-ups); data/tap: (meltano - fixed) / (tap - its start-up, `--discover`),"
              " what the pipeline costs beyond its fixed part")
        print(" | ".join(HEADER))
        print("|".join("---" for _ in HEADER))
        for api in args.apis:
            run_api(api, sandbox, args)
    finally:
        sandbox.stop()


def sandbox_config(port: int, api: str) -> dict[str, t.Any]:
    """The tap's settings for one built-in API of the sandbox on ``port``."""
    from generic_rest_sandbox import credentials

    base = f"http://127.0.0.1:{port}"
    return {"api": api, "base_url": f"{base}/{MOUNTS.get(api, api)}",
            "token_url": f"{base}/oauth_offset/oauth/token", "api_key": credentials.API_KEY,
            "access_token": credentials.ACCESS_TOKEN, "client_id": credentials.CLIENT_ID,
            "client_secret": credentials.CLIENT_SECRET, "max_retries": 3, "backoff_factor": 0.5}


def run_api(api: str, sandbox: Sandbox, args: argparse.Namespace) -> None:
    config = sandbox_config(sandbox.port, api)
    base_url = config["base_url"]
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    requests_file, config_file = work / "requests.json", work / "config.json"
    config_file.write_text(json.dumps(config))
    sandbox.restart()
    sent = capture(config)
    requests_file.write_text(json.dumps(sent))
    parents = len({r["partition"] for r in sent if r["partition"] and json.loads(r["partition"])[1]})
    cells: dict[str, Measured] = {}
    for name, in_flight in (("plain x1", 1), ("plain x8", 8)):
        sandbox.restart()
        cells[name] = measured([sys.executable, __file__, "--plain", str(requests_file), str(in_flight)])
    if args.dlt:
        sandbox.restart()
        cells["dlt"] = measured([sys.executable, str(ROOT / "scripts" / "bench_dlt.py"), api, str(config_file)])
    records = 0
    for name, concurrency in (("tap c=1", 1), ("tap", None)):
        settings = config if concurrency is None else {**config, "max_concurrency": concurrency}
        tap_config = work / f"tap-{concurrency}.json"
        tap_config.write_text(json.dumps(settings))
        sandbox.restart()
        cells[name] = measured([args.tap, "--config", str(tap_config)])
        records = sum(line.startswith('{"type":"RECORD"') for line in cells[name].output.splitlines())
    if args.meltano:
        command, env = meltano_command(api, base_url, config["token_url"])
        sandbox.restart()
        cells["meltano"] = measured(command, env)
        cells["meltano fixed"] = measured(command, {**env, f"{command[-2].replace('-', '_').upper()}__SELECT":
                                                    NOTHING_SELECTED})
        cells["tap start-up"] = measured([args.tap, "--config", str(config_file), "--discover"])
    print(" | ".join(row(api, records, parents, cells)), flush=True)
    if "dlt" in cells and (dlt_records := json.loads(cells["dlt"].output)["records"]) != records:
        print(f"  (dlt extracted {dlt_records} records, the tap {records})")


def row(api: str, records: int, parents: int, cells: dict[str, Measured]) -> list[str]:
    """One API's line of the table."""
    rate = {name: records / cell.seconds for name, cell in cells.items()}

    def ratio(a: str, b: str) -> str:
        return f"{rate[a] / rate[b]:.2f}" if a in rate and b in rate else "-"

    tap_cpu = cells["tap"].cpu
    return [api, str(records), str(parents),
            *(f"{rate[name]:.0f} ({cells[name].rss:.0f})" if name in cells else "-" for name in COLUMNS),
            ratio("tap", "plain x1"), ratio("tap", "plain x8"), ratio("tap", "dlt"),
            *pipeline(cells),
            f"{tap_cpu / records * 1e6:.0f}" if records else "-", f"{tap_cpu / parents * 1e6:.0f}" if parents else "-"]


def pipeline(cells: dict[str, Measured]) -> list[str]:
    """meltano/tap, Meltano's fixed seconds, and the pipeline's data part over the tap's."""
    if "meltano" not in cells:
        return ["-", "-", "-"]
    meltano, fixed, tap = cells["meltano"].seconds, cells["meltano fixed"].seconds, cells["tap"].seconds
    return [f"{meltano / tap:.2f}", f"{fixed:.1f}", f"{(meltano - fixed) / (tap - cells['tap start-up'].seconds):.2f}"]


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--plain":
        plain(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--apis", type=lambda text: text.split(","), default=APIS)
    parser.add_argument("--no-meltano", dest="meltano", action="store_false")
    parser.add_argument("--no-dlt", dest="dlt", action="store_false", help="skip dlt's extract")
    parser.add_argument("--tap", default=str(BIN / "tap-generic-rest"), help="the tap executable to measure")
    parser.add_argument("--sweep", type=lambda text: [int(scale) for scale in text.split(",")],
                        help="scales: the tap beside the plain loop at each (scripts/bench_sweep.py)")
    parser.add_argument("--sweep-api", default="support", help="the API of --sweep")
    parser.add_argument("--resume", action="store_true",
                        help="STATE size; what a restart after a kill at 40%% re-reads (scripts/bench_resume.py)")
    parser.add_argument("--against", metavar="OTHER",
                        help="another tap executable or checkout: runs taken in turn, medians (scripts/bench_ab.py)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each build with --against")
    args = parser.parse_args()
    if args.against:
        from bench_ab import compare

        compare(args)
    elif args.sweep:
        from bench_sweep import sweep

        sweep(args)
    elif args.resume:
        from bench_resume import resume

        resume(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
