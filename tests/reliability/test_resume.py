"""Resume after SIGKILL: kill the tap mid-sync (after a STATE message), restart it with the last
STATE it emitted; together the two runs deliver every record of the sandbox at least once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import typing as t

import pytest
from generic_rest_sandbox import Sandbox

from tap_generic_rest.run.writer import CountingWriter
from tests.conftest import sandbox_config
from tests.reliability.harness import SingerOutput, cli_command, data_requests, description, run_cli

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def run_until_killed(
    command: list[str], stderr: Path, *, kill_after: int, at_state: bool = True
) -> tuple[SingerOutput, bool]:
    """Run ``command``; SIGKILL it at the first STATE message after ``kill_after`` records (``at_state``
    false: as soon as it has written ``kill_after`` records, anywhere).

    Returns what it wrote (lines already in the pipe when it died included: a target got them; a line
    cut by the kill left out) and whether it was killed (False: it finished first).
    """
    lines: list[str] = []
    records = 0
    killed = False
    with stderr.open("w") as errors, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True) as tap:
        assert tap.stdout is not None
        for line in tap.stdout:
            lines.append(line)
            is_record = line.startswith('{"type":"RECORD"')
            records += is_record
            at_place = not at_state or (not is_record and json.loads(line)["type"] == "STATE")
            if not killed and records >= kill_after and at_place:
                os.kill(tap.pid, signal.SIGKILL)
                killed = True
        tap.wait(timeout=60)
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # cut by the kill: a target cannot read it either
    return SingerOutput.parse("".join(lines)), killed


def restart(
    api: str, first: SingerOutput, expected: dict[str, int], run: Callable[[], subprocess.CompletedProcess[str]]
) -> tuple[dict[str, set[tuple[t.Any, ...]]], SingerOutput]:
    """``run`` the restart; it succeeds and, with ``first``, delivers every record. The first run's keys
    and the restart's output."""
    second = run()
    assert second.returncode == 0, second.stderr[-3000:]
    rerun = SingerOutput.parse(second.stdout)
    first_keys, second_keys = first.keys(api), rerun.keys(api)
    union = {stream: first_keys.get(stream, set()) | second_keys.get(stream, set()) for stream in expected}
    assert {stream: len(keys) for stream, keys in union.items()} == expected, "records lost across the restart"
    return first_keys, rerun


@pytest.mark.parametrize(("api", "scale"), [("support", 4), ("webhooks", 3)])
def test_resume_after_sigkill_delivers_every_record(api: str, scale: int, tmp_path: Path) -> None:
    with Sandbox(port=0, scale=scale) as sandbox:
        config = sandbox_config(sandbox, api)
        expected = {stream: count for stream, count in sandbox.expected_counts(api).items() if count}
        total = sum(expected.values())
        first, killed = run_until_killed(
            cli_command(tmp_path, config, name="first"), tmp_path / "first.stderr", kill_after=total // 2
        )
        assert killed, f"the tap emitted no STATE after record {total // 2} of {total} before finishing"
        assert first.states, "no STATE message before the kill"
        assert len(first.records()) < total, "killed too late to test a resume"
        first_keys, rerun = restart(api, first, expected, lambda: run_cli(
            tmp_path, config, state=first.states[-1], timeout=120, name="second"))

    reread = sum(len(first_keys.get(stream, set()) & keys) for stream, keys in rerun.keys(api).items())
    # the figures of the report (pytest -s)
    print(
        f"{api} x{scale}: {total} records; killed after {len(first.records())} "
        f"({len(first.states)} STATE); 2nd run read {len(rerun.records())}, "
        f"of which {reread} ({reread / total:.0%} of all) the 1st run had delivered"
    )
    assert len(rerun.records()) < total, "the restart ignored the state"


#: (api, scale, the top-level stream in flight at 40%, its page size): what "the pages in flight" are
#: (avatars: one page, a position per parent record: one parent in flight)
IN_FLIGHT = [("webhooks", 3, "applications", 50), ("support", 3, "conversations", 150), ("avatars", 10, "avatars", 1)]


@pytest.mark.parametrize(("api", "scale", "parent", "page_size"), IN_FLIGHT)
def test_a_restart_after_a_kill_at_40_percent_rereads_only_the_unread_and_the_pages_in_flight(
    api: str, scale: int, parent: str, page_size: int, tmp_path: Path
) -> None:
    """A kill -9 at 40% of the records (not at a STATE), a restart from the last STATE: the second run
    writes at most the records the first did not deliver plus the pages in flight (a page of the parent
    stream with its children's records, twice: the one being written and the one the last STATE may
    not cover yet) and the records written since the last STATE (the writer's STATE budget:
    ``CountingWriter.STATE_BUDGET`` times the STATE's size, at least ``STATE_MIN_BYTES``); together
    they deliver every record."""
    with Sandbox(port=0, scale=scale) as sandbox:
        config = sandbox_config(sandbox, api)
        expected = {stream: count for stream, count in sandbox.expected_counts(api).items() if count}
        total = sum(expected.values())
        first, _ = run_until_killed(cli_command(tmp_path, config, name="first"), tmp_path / "first.stderr",
                                    kill_after=total * 4 // 10, at_state=False)
        assert first.states, "no STATE message before the kill"
        first_keys, rerun = restart(api, first, expected, lambda: run_cli(
            tmp_path, config, state=first.states[-1], timeout=120, name="second"))

    children = sum(count for stream, count in expected.items() if _parent_of(api, stream) == parent)
    in_flight = 2 * page_size * (1 + children / expected[parent]) + _budget_records(first)
    delivered = sum(len(keys) for keys in first_keys.values())
    reread, unread = len(rerun.records()), total - delivered
    print(f"{api} x{scale}: killed after {delivered} of {total} records; the restart wrote {reread} "
          f"({reread / total:.1%}); unread {unread / total:.1%}, pages in flight {in_flight / total:.1%}")
    assert reread <= unread + in_flight
    assert rerun.states[-1] == {"bookmarks": {stream: state for stream, state in rerun.states[-1]["bookmarks"].items()
                                              if "resume" not in state}}, "a finished run keeps a resume position"


def _budget_records(output: SingerOutput) -> float:
    """How many records the writer may write between two STATE messages (at ``output``'s sizes)."""
    sizes = {kind: [len(json.dumps(m, separators=(",", ":"))) for m in output.messages if m["type"] == kind]
             for kind in ("RECORD", "STATE")}
    budget = max(CountingWriter.STATE_MIN_BYTES, CountingWriter.STATE_BUDGET * max(sizes["STATE"]))
    return budget / (sum(sizes["RECORD"]) / len(sizes["RECORD"]))


def _parent_of(api: str, stream: str) -> str | None:
    resource = next(resource for resource in description(api).resources if resource.name == stream)
    return resource.parent.resource if resource.parent is not None else None


@pytest.mark.parametrize(("api", "resumed", "finished"), [
    ("webhooks", "/v1/app", ()),  # applications, in flight at 40%: its cursor pages
    ("support", None, ("/v1/admins", "/v1/companies/scroll", "/v1/data_attributes")),  # synced before contacts
])
def test_a_restart_asks_for_the_saved_page_and_not_for_finished_streams(
    api: str, resumed: str | None, finished: tuple[str, ...], tmp_path: Path
) -> None:
    """The restart's first request of the stream in flight carries the saved page token (its earlier
    pages are not asked for again); streams the killed run finished are not requested at all."""
    with Sandbox(port=0, scale=3) as sandbox:
        config = sandbox_config(sandbox, api)
        total = sum(sandbox.expected_counts(api).values())
        first, _ = run_until_killed(cli_command(tmp_path, config, name="first"), tmp_path / "first.stderr",
                                    kill_after=total * 4 // 10, at_state=False)
        before = len(data_requests(sandbox, api))
        second = run_cli(tmp_path, config, state=first.states[-1], timeout=120, name="second")
        requests = data_requests(sandbox, api)[before:]

    assert second.returncode == 0, second.stderr[-3000:]
    if resumed is not None:
        pages = [request for request in requests if request.path.endswith(resumed)]
        assert pages, f"the restart never asked for {resumed}"
        assert "iterator" in pages[0].query, f"the restart read {resumed} from its first page again"
    assert not [request.path for request in requests if request.path.endswith(finished)], (
        "the restart read a stream the killed run had finished")
