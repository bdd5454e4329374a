"""Report jobs (``report_job``) over real HTTP: a job created, polled a few times, its gzip CSV downloaded;
a failed job, a timed-out job, an unknown status; one job per parent partition; every job request with the
run's auth; checks before any request; and a run killed (-9) during a job resumed with nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import typing as t
import zlib

import pytest
import yaml

from tests.integration.bodies import Reply, csv_lines, gzipped, serving
from tests.safety.helpers import FAST, assert_mentions, run_cli, write_config

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.bodies import BodyServer
    from tests.safety.helpers import Received

TOKEN = "s3cret-job-token"
SCHEMA = {"type": "object", "properties": {name: {"type": ["string", "null"]}
                                           for name in ("id", "name", "amount", "updated", "account")}}


class Jobs:
    """A report API on a :class:`BodyServer`: POST /reports creates job j<n>; GET /reports/<id> answers
    ``running`` ``polls`` times, then ``final`` (with a download URL when done); /files/<id>.csv.gz is the
    result, ``rows`` rows."""

    def __init__(self, server: BodyServer, polls: int = 2, final: str = "done", rows: int = 5,
                 url: str | None = None, body: t.Callable[[str], t.Iterable[bytes]] | None = None) -> None:
        self.server, self.polls, self.final, self.rows, self.url = server, polls, final, rows, url
        self.created: list[dict[str, t.Any]] = []
        self.seen: dict[str, int] = {}
        self.body = body or (lambda _job: gzipped(csv_lines(self.rows)))
        server.routes["/reports"] = self.create
        server.routes["/reports/*"] = self.status
        server.routes["/files/*"] = self.download

    def create(self, request: Received) -> Reply:
        self.created.append(json.loads(request.body or b"{}"))
        return Reply.json({"data": {"id": f"j{len(self.created)}"}}, 201)

    def status(self, request: Received) -> Reply:
        job = request.path.rsplit("/", 1)[1]
        self.seen[job] = self.seen.get(job, 0) + 1
        if self.seen[job] <= self.polls:
            return Reply.json({"state": "running"})
        document: dict[str, t.Any] = {"state": self.final, "message": f"job {job}: quota exceeded"}
        if self.final == "done":
            document["result"] = {"url": self.url or f"/files/{job}.csv.gz"}
        return Reply.json(document)

    def download(self, request: Received) -> Reply:
        job = request.path.rsplit("/", 1)[1].split(".")[0]
        return Reply(200, self.body(job), {"Content-Type": "application/gzip"})


def job_spec(**overrides: t.Any) -> dict[str, t.Any]:
    spec: dict[str, t.Any] = {
        "create": {"path": "/reports", "json": {"kind": "orders"}},
        "job_id_path": "data.id",
        "poll": {"path": "/reports/{job_id}", "status_path": "state", "error_path": "message", "interval": 0.05,
                 "timeout": 30},
        "status_mapping": {"completed": ["done"], "failed": ["error"], "running": ["running", "queued"],
                           "timeout": ["expired"]},
        "download": {"url_path": "result.url", "decoder": {"type": "csv", "compression": "gzip"}},
    }
    spec.update(overrides)
    return spec


def describe(directory: Path, url: str, job: dict[str, t.Any], *extra: dict[str, t.Any], **fields: t.Any) -> Path:
    (directory / "rows.json").write_text(json.dumps(SCHEMA))
    resource = {"name": "orders", "primary_key": "id", "schema": "rows.json", "report_job": job, **fields}
    path = directory / "api.yaml"
    document = {"client": {"base_url": url, "auth": {"type": "bearer"}}, "resources": [*extra, resource]}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def sync(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path, *args: str) -> t.Any:
    config = {"api_description": str(path), "access_token": TOKEN, **FAST}
    return run_cli(capsys, *args, config=config, directory=tmp_path)


def test_a_job_polled_a_few_times_then_downloaded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        jobs = Jobs(server, polls=3)
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    records = run.succeeded().records("orders")
    assert [r["id"] for r in records] == ["1", "2", "3", "4", "5"]
    assert records[0] == {"id": "1", "name": "item 1", "amount": "1.5"}
    assert server.paths() == ["/reports", *["/reports/j1"] * 4, "/files/j1.csv.gz"]
    assert jobs.created == [{"kind": "orders"}]
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in server.received)
    assert [r.headers["accept"].split(",")[0] for r in server.received] == ["application/json"] * 5 + ["text/csv"]
    assert TOKEN not in run.stdout + run.stderr
    summary = next(line for line in run.stderr.splitlines() if "Summary: stream orders:" in line)
    assert "5 records, 6 requests" in summary, "a job's create, polls and download count as the stream's requests"


def test_a_list_of_download_urls(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        jobs = Jobs(server, polls=0)
        original = jobs.status
        urls = ["/files/a.csv.gz", "/files/b.csv.gz"]
        server.routes["/reports/*"] = lambda request: Reply.json(
            {**json.loads(b"".join(original(request).chunks)), "result": {"url": urls}})
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    assert len(run.succeeded().records()) == 10
    assert server.paths()[-2:] == ["/files/a.csv.gz", "/files/b.csv.gz"]


def test_a_download_path_instead_of_a_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    download = {"path": "/files/{job_id}.csv.gz", "decoder": {"type": "csv", "compression": "gzip"}}
    with serving() as server:
        Jobs(server, polls=0)
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec(download=download)))
    assert len(run.succeeded().records()) == 5
    assert server.paths()[-1] == "/files/j1.csv.gz"


@pytest.mark.parametrize(("final", "expect"), [
    ("error", "report job j1 failed (status 'error'); the server said: \"job j1: quota exceeded\""),
    ("expired", "report job j1 timed out on the server (status 'expired')"),
    ("vanished", "report job j1 has status 'vanished' at status_path 'state', which status_mapping does not name"),
])
def test_a_job_that_does_not_complete_is_one_line(final: str, expect: str, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    with serving() as server:
        Jobs(server, polls=1, final=final)
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    assert_mentions(run.error(), "stream orders", expect)
    assert not any(path.startswith("/files") for path in server.paths())


def test_a_failed_jobs_message_is_masked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        jobs = Jobs(server, polls=0, final="error")
        original = jobs.status
        server.routes["/reports/*"] = lambda request: Reply.json(
            {**json.loads(b"".join(original(request).chunks)), "message": f"bad token {TOKEN}"})
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    assert_mentions(run.error(), "the server said: \"bad token ****\"")
    assert TOKEN not in run.stdout + run.stderr


def test_job_requests_are_retried_like_data_requests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        jobs = Jobs(server, polls=1)
        failures = iter([Reply.json({"error": "busy"}, 503)])
        server.routes["/reports/*"] = lambda request: next(failures, None) or jobs.status(request)
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    assert len(run.succeeded().records()) == 5
    assert server.paths() == ["/reports", *["/reports/j1"] * 3, "/files/j1.csv.gz"]


def test_a_job_still_running_at_the_timeout_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    poll = {**job_spec()["poll"], "interval": 0.1, "timeout": 0.35}
    with serving() as server:
        Jobs(server, polls=10_000)
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec(poll=poll)))
    assert_mentions(run.error(), "report job j1 did not finish within 0.35 s (last status 'running')",
                    "raise report_job.poll.timeout")
    assert 2 <= server.paths().count("/reports/j1") <= 5


def test_a_download_url_on_another_host_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        Jobs(server, polls=0, url="http://elsewhere.invalid/files/j1.csv.gz")
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec()))
    assert_mentions(run.error(), "the download URL http://elsewhere.invalid/files/j1.csv.gz points at another")


def test_a_job_per_parent_partition(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    accounts = {"name": "accounts", "primary_key": "id", "endpoint": {"path": "/accounts", "paginator": "single_page"}}
    create = {"path": "/reports", "json": {"account": "{resources.accounts.id}"}}
    with serving() as server:
        server.routes["/accounts"] = lambda _: Reply.json([{"id": "a"}, {"id": "b"}])
        jobs = Jobs(server, polls=1, rows=2)
        path = describe(tmp_path, server.url, job_spec(create=create), accounts,
                        parent_fields={"account": "id"}, primary_key=["account", "id"])
        run = sync(capsys, tmp_path, path)
    records = run.succeeded().records("orders")
    assert sorted((r["account"], r["id"]) for r in records) == [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2")]
    assert sorted(body["account"] for body in jobs.created) == ["a", "b"]


CHECKS = [
    ({"status_mapping": {"completed": ["done"], "failed": ["done"]}},
     "resources[0].report_job.status_mapping.failed: status 'done' is also in completed"),
    ({"download": {"url_path": "u", "path": "/f"}}, "resources[0].report_job.download: give exactly one of url_path"),
    ({"download": {"url_path": "u", "decoder": {"type": "csv"}, "data_selector": "rows"}},
     "resources[0].report_job.download.data_selector: 'rows' cannot apply to a csv"),
    ({"poll": {"path": "/reports/{job_id}"}}, "resources[0].report_job.poll"),
    ({"create": {"path": "/reports/{resources.nowhere.id}"}}, "resources[0]"),
]


@pytest.mark.parametrize(("overrides", "expect"), CHECKS, ids=lambda value: str(value)[:30])
def test_checked_before_any_request(overrides: dict[str, t.Any], expect: str, capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
    with serving() as server:
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, job_spec(**overrides)))
    assert_mentions(run.error(), expect)
    assert server.received == []


def test_endpoint_keys_the_job_replaces_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        path = describe(tmp_path, server.url, job_spec(), endpoint={"path": "/x", "params": {"a": 1}})
        run = sync(capsys, tmp_path, path)
    assert_mentions(run.error(), "resources[0].report_job: replaces endpoint.params")


# -- kill -9 during a job, then resume ------------------------------------------------------------------


ROWS = 3000
HALF = 2000
STREAMED = {"type": "RECORD"}


class Export:
    """Job j1's rows are updated in February; later jobs' in March. Job j2's body stops after ``HALF`` rows
    (``sent_half`` is set) until ``release``: the run is killed meanwhile."""

    def __init__(self) -> None:
        self.sent_half, self.release = threading.Event(), threading.Event()

    def __call__(self, job: str) -> t.Iterator[bytes]:
        month = 2 if job == "j1" else 3
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        yield compressor.compress(b"id,name,amount,updated\r\n" + self._rows(1, HALF + 1, month))
        if job == "j2":
            yield compressor.flush(zlib.Z_SYNC_FLUSH)
            self.sent_half.set()
            self.release.wait(60)
        yield compressor.compress(self._rows(HALF + 1, ROWS + 1, month)) + compressor.flush()

    @staticmethod
    def _rows(first: int, last: int, month: int) -> bytes:
        return "".join(f"{n},item {n},{n}.5,2024-{month:02d}-{1 + n % 28:02d}T00:00:00Z\r\n"
                       for n in range(first, last)).encode()


def _tap(config: Path, state: dict[str, t.Any], directory: Path) -> list[str]:
    (directory / "state.json").write_text(json.dumps(state))
    return [sys.executable, "-m", "tap_generic_rest", "--config", str(config), "--state", str(directory / "state.json")]


def _last_state(lines: t.Iterable[str], before: dict[str, t.Any]) -> dict[str, t.Any]:
    states = [json.loads(line)["value"] for line in lines if line.startswith('{"type":"STATE"')]
    return states[-1] if states else before


def _ids(lines: t.Iterable[str]) -> list[str]:
    return [json.loads(line)["record"]["id"] for line in lines if line.startswith('{"type":"RECORD"')]


def test_kill_9_during_a_job_then_resume_loses_nothing(tmp_path: Path) -> None:
    incremental = {"cursor_path": "updated", "initial_value": "2024-01-01T00:00:00Z"}
    create = {"path": "/reports", "json": {"since": "{incremental.start_value}"}}
    export = Export()
    with serving() as server:
        jobs = Jobs(server, polls=1, body=export)
        path = describe(tmp_path, server.url, job_spec(create=create), endpoint={"incremental": incremental})
        settings = {"api_description": str(path), "access_token": TOKEN, **FAST, "request_timeout": 60}
        config = write_config(tmp_path, settings)
        done = subprocess.run(_tap(config, {}, tmp_path), capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        after_first = _last_state(done.stdout.splitlines(), {})
        killed = subprocess.Popen(_tap(config, after_first, tmp_path), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        assert export.sent_half.wait(60), "the second job's download never started"
        time.sleep(1.0)  # the tap reads and writes what has arrived, then waits for the rest
        os.kill(killed.pid, signal.SIGKILL)
        killed_lines = t.cast("t.IO[str]", killed.stdout).read().splitlines()
        killed.wait(10)
        export.release.set()
        after_kill = _last_state(killed_lines, after_first)
        resumed = subprocess.run(_tap(config, after_kill, tmp_path), capture_output=True, text=True, timeout=120,
                                 check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert len(_ids(done.stdout.splitlines())) == ROWS
    assert sorted(map(int, _ids(resumed.stdout.splitlines()))) == list(range(1, ROWS + 1)), "a record was lost"
    bookmark = "2024-02-28T00:00:00Z"  # the first job's newest row
    assert [body["since"] for body in jobs.created] == ["2024-01-01T00:00:00Z", bookmark, bookmark], \
        "the bookmark moved during the killed job"
    assert json.dumps(after_kill).count("2024-03") == 0, "the killed job's records moved the bookmark"
