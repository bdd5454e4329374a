"""The five seed documents' Python blocks (copied verbatim into seed_pipelines/) import as descriptions."""

from __future__ import annotations

import ast
import re
import typing as t
from pathlib import Path

import pytest
import yaml

from tap_generic_rest.description.load import load_description
from tap_generic_rest.errors import DescriptionError
from tap_generic_rest.importers.dlt import import_pipeline, setting_references, to_yaml
from tap_generic_rest.settings import SECRET_SETTINGS

SEED_PIPELINES = sorted((Path(__file__).parent / "seed_pipelines").glob("seed_*.py"))


def expected_from_text(block: str) -> t.Any:
    """An independent reading: secrets replaced textually, then the call's argument as a Python literal."""
    text = re.sub(r"""dlt\.(?:secrets|config)\[["']([^"']+)["']\]""", r'"{{ config.\1 }}"', block)
    call = next(node for node in ast.walk(ast.parse(text))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "rest_api_source")
    return ast.literal_eval(call.args[0])


def test_all_five_seeds_are_here() -> None:
    assert len(SEED_PIPELINES) == 5


@pytest.mark.parametrize("pipeline", SEED_PIPELINES, ids=lambda path: path.stem)
def test_seed_imports(pipeline: Path) -> None:
    config = import_pipeline(pipeline)
    assert config == expected_from_text(pipeline.read_text(encoding="utf-8"))
    text = yaml.safe_dump(config)
    assert "dlt.secrets" not in text
    assert setting_references(config)  # every seed authenticates with a secret ...
    assert set(setting_references(config)) <= set(SECRET_SETTINGS)  # ... held in a setting the tap declares


@pytest.mark.parametrize("pipeline", SEED_PIPELINES, ids=lambda path: path.stem)
def test_the_loader_accepts_the_import_or_says_what_is_missing_in_one_line(pipeline: Path, tmp_path: Path) -> None:
    description = tmp_path / "api.yaml"
    description.write_text(to_yaml(import_pipeline(pipeline), pipeline), encoding="utf-8")
    try:
        loaded = load_description(description)
    except DescriptionError as exc:
        assert "\n" not in str(exc)
        assert str(description) in str(exc)
    else:
        assert [resource.name for resource in loaded.resources] == [
            resource["name"] for resource in yaml.safe_load(description.read_text(encoding="utf-8"))["resources"]]
