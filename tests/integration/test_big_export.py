"""A 100,000-row gzip CSV export streamed through the tap (the 1M-row run is tests/e2e/test_big_export.py):
every row arrives, in order, and the tap's peak RSS stays far below what holding the body would take."""

from __future__ import annotations

from tests.integration.big_export import run_export

ROWS = 100_000
#: generous: the tap peaks near 50 MiB whatever the export's size; the rows as Python dicts would need ~100 MiB
RSS_BOUND_MIB = 150


def test_a_big_gzip_csv_export_streams_in_flat_memory() -> None:
    run = run_export(ROWS)
    assert run.returncode == 0, run.stderr_tail
    assert "Traceback" not in run.stderr_tail
    assert run.records == ROWS
    assert (run.ids_sum, run.last_id) == (ROWS * (ROWS + 1) // 2, ROWS)
    assert run.peak_rss_mib < RSS_BOUND_MIB, f"peak RSS {run.peak_rss_mib:.0f} MiB"
