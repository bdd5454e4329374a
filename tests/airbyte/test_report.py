"""scripts/airbyte_report.py over a folder of manifests: the counts and the top reasons."""

from __future__ import annotations

import shutil
import typing as t

from scripts.airbyte_report import main, measure, reason
from tests.airbyte.helpers import MANIFESTS

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_counts_and_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("cursor_and_children", "links", "refused", "partitions_and_shaping"):
        (tmp_path / f"source-{name}").mkdir()
        shutil.copy(MANIFESTS / f"{name}.yaml", tmp_path / f"source-{name}" / "manifest.yaml")
    (tmp_path / "source-other").mkdir()
    (tmp_path / "source-other" / "manifest.yaml").write_text("just: text\n", encoding="utf-8")
    figures = measure(tmp_path)
    assert (figures.manifests, figures.imported, figures.refused, figures.unreadable) == (5, 3, 1, 1)
    assert figures.loaded == 3  # partitions_and_shaping uses the keys of issue 18
    assert figures.reasons["the macro generate_uuid() is not supported"] == 1
    assert figures.reasons["CustomPaginationStrategy is not supported; a description cannot hold Python code"] == 1
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("manifests: 5\nimported: 3 (60%)\nloaded: 3 (60%)")


def test_reason_drops_paths_and_long_values() -> None:
    assert reason("streams[3].retriever.x: the filter 'f' is not supported") == "the filter 'f' is not supported"
    long_expression = repr("{% if config['a'] %}" + "x" * 40 + "{% endif %}")
    assert reason(f"streams[0].a: the Jinja block in {long_expression} is not supported") == \
        "the Jinja block in '…' is not supported"
