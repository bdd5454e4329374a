"""The five seed documents' Python blocks (copied verbatim into seed_pipelines/) import as descriptions."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
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


# -- `tap-generic-rest import` checks what it wrote: every problem at once, non-zero exit, draft kept --

PROBLEM = "tap-generic-rest import: problem: "
#: why each seed's import does not load (the seeds are not valid dlt configs: dlt refuses each of these too)
SEED_PROBLEMS = {
    "seed_000": ["resources[1].endpoint.params: placeholder 'avatar_id' has no source",
                 "resources[2].endpoint.params: placeholder 'avatar_id' has no source",
                 "resources[3].endpoint.params: placeholder 'avatar_id' has no source"],
    "seed_001": ["resources[3].endpoint.path: {app_id} in the path has no param of that name",
                 "resources[4].endpoint.path: {app_id} in the path has no param of that name",
                 "resources[6].endpoint.path: {src_id} in the path has no param of that name"],
    "seed_002": ["client.auth.type: 'basic' is not allowed",
                 *[f"resources[{index}].endpoint.paginator: unknown field(s) 'limit'" for index in range(11)],
                 *[f"resources[{index}].endpoint.data_selector: expected ['string', 'null'], got list []"
                   for index in (6, 8, 9)]],
    "seed_003": ["resources[5].endpoint.paginator.type: 'custom' is not allowed",
                 "resources[8].endpoint: unknown field(s) 'body'",
                 "resources[9].endpoint: unknown field(s) 'body'",
                 *[f"resources[{index}].endpoint.paginator: unknown field(s) 'page_size'" for index in (8, 9, 12)],
                 "resources[10].endpoint.path: placeholder 'id' has no source",
                 "resources[11].endpoint.path: placeholder 'id' has no source",
                 "resources[12].endpoint: unknown field(s) 'body'"],
    "seed_004": ["client.auth.type: 'oauth2' is not allowed"],
}


def run_import(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tap_generic_rest", "import", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("pipeline", SEED_PIPELINES, ids=lambda path: path.stem)
def test_import_lists_every_problem_of_the_seed_and_fails(pipeline: Path) -> None:
    result = run_import(pipeline)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert yaml.safe_load(result.stdout) == import_pipeline(pipeline), "the draft is written all the same"
    problems = [line.removeprefix(PROBLEM) for line in result.stderr.splitlines() if line.startswith(PROBLEM)]
    expected = SEED_PROBLEMS[pipeline.stem]
    assert len(problems) == len(expected), problems
    for fragment in expected:
        assert sum(line.startswith(fragment) for line in problems) == 1, (fragment, problems)
    indices = [int(line[10:line.index("]")]) if line.startswith("resources[") else -1 for line in problems]
    assert indices == sorted(indices), "in document order"
    errors = [line for line in result.stderr.splitlines() if line.startswith("tap-generic-rest: error:")]
    assert errors == [f"tap-generic-rest: error: the description imported from {pipeline} would not load "
                      f"({len(expected)} problem{'s' if len(expected) > 1 else ''} listed above); the draft is on "
                      "stdout: fix it there"]


@pytest.mark.parametrize("pipeline", SEED_PIPELINES, ids=lambda path: path.stem)
def test_a_seed_fixed_as_the_problems_say_imports_cleanly(pipeline: Path, tmp_path: Path) -> None:
    config = import_pipeline(pipeline)
    fixed = fix_seed(config)
    source = tmp_path / "pipeline.py"
    source.write_text(f"from dlt.sources.rest_api import rest_api_source\nsource = rest_api_source({fixed!r})\n",
                      encoding="utf-8")
    result = run_import(source)
    assert result.returncode == 0, result.stderr
    assert PROBLEM not in result.stderr
    description = tmp_path / "api.yaml"
    description.write_text(result.stdout, encoding="utf-8")
    assert len(load_description(description).resources) == len(fixed["resources"])


def fix_seed(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """What a user does after reading the problems: a dlt auth type, no unknown fields, parents for placeholders
    (here: resources whose placeholders have no source are dropped)."""
    text = yaml.safe_dump(config)
    text = text.replace("type: basic", "type: http_basic").replace("token_url:", "access_token_url:")
    fixed = yaml.safe_load(text.replace("type: oauth2\n", "type: oauth2_client_credentials\n"))
    kept = []
    for resource in fixed["resources"]:
        endpoint = resource.get("endpoint", {}) if isinstance(resource, dict) else {}
        paginator = endpoint.get("paginator")
        if isinstance(paginator, dict):
            if paginator.get("type") != "offset":
                paginator.pop("limit", None)
            paginator.pop("page_size", None)
            if paginator.get("type") == "custom":
                endpoint["paginator"] = "single_page"
        endpoint.pop("body", None)
        if endpoint.get("data_selector") == []:
            del endpoint["data_selector"]
        unbound = "{" in str(endpoint.get("path", "")) or "stream_slice" in str(endpoint.get("params", ""))
        if not unbound:
            kept.append(resource)
    fixed["resources"] = kept
    return fixed


def test_import_help_says_it_checks_its_output() -> None:
    result = subprocess.run([sys.executable, "-m", "tap_generic_rest", "import", "--help"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert "every problem is listed" in " ".join(result.stdout.split())
    assert "non-zero when the description would not load" in " ".join(result.stdout.split())
