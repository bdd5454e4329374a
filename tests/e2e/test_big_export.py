"""The issue's memory figure: a 1,000,000-row gzip CSV generated on the fly, streamed through the tap.

Slow (about a minute and more on a busy machine), so it runs with the end-to-end tests; the 100,000-row
version is in tests/integration/test_big_export.py. The figure itself is in docs/performance.md.
"""

from __future__ import annotations

from tests.integration.big_export import run_export

ROWS = 1_000_000
RSS_BOUND_MIB = 150


def test_a_million_row_gzip_csv_arrives_whole_in_flat_memory() -> None:
    run = run_export(ROWS)
    assert run.returncode == 0, run.stderr_tail
    assert run.records == ROWS
    assert (run.ids_sum, run.last_id) == (ROWS * (ROWS + 1) // 2, ROWS)
    assert run.peak_rss_mib < RSS_BOUND_MIB, f"peak RSS {run.peak_rss_mib:.0f} MiB"
