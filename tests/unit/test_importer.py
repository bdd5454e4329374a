"""`tap-generic-rest import PIPELINE.py`: a dlt pipeline's rest_api config read without running it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest
import yaml

from tap_generic_rest.cli import main
from tap_generic_rest.importers.dlt import PipelineImportError, import_pipeline, to_yaml


def write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def imported(tmp_path: Path, source: str) -> dict[str, t.Any]:
    return import_pipeline(write(tmp_path, source))


def refusal(tmp_path: Path, source: str) -> str:
    with pytest.raises(PipelineImportError) as info:
        imported(tmp_path, source)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_literals_of_every_kind(tmp_path: Path) -> None:
    config = imported(tmp_path, """
        import dlt
        from dlt.sources.rest_api import rest_api_source

        source = rest_api_source({
            "client": {"base_url": "https://api.example.com/v1/", "headers": {"X-Version": "2"}},
            "resource_defaults": {"primary_key": ("org", "id"), "write_disposition": "merge"},
            "resources": [
                "users",
                {"name": "posts", "selected": False, "endpoint": {"path": "posts", "params": {
                    "limit": 100, "ratio": 0.5, "neg": -3, "active": True, "empty": None,
                    "lit": "{{not_this}}"}}},
            ],
        })
    """)
    assert config == {
        "client": {"base_url": "https://api.example.com/v1/", "headers": {"X-Version": "2"}},
        "resource_defaults": {"primary_key": ["org", "id"], "write_disposition": "merge"},
        "resources": [
            "users",
            {"name": "posts", "selected": False, "endpoint": {"path": "posts", "params": {
                "limit": 100, "ratio": 0.5, "neg": -3, "active": True, "empty": None, "lit": "{{not_this}}"}}},
        ],
    }


def test_secrets_and_config_become_setting_references(tmp_path: Path) -> None:
    config = imported(tmp_path, """
        import dlt
        from dlt.sources.rest_api import rest_api_source

        @dlt.source
        def source(password: str = dlt.secrets.value, *, region=dlt.config.value):
            return rest_api_source({
                "client": {
                    "base_url": f"https://{dlt.config['host']}/api",
                    "auth": {"type": "http_basic", "username": dlt.secrets["sources.example.user-name"],
                             "password": password},
                    "headers": {"X-Region": region, "X-Key": dlt.secrets.value},
                },
                "resources": ["a"],
            })
    """)
    assert config["client"] == {
        "base_url": "https://{{ config.host }}/api",
        "auth": {"type": "http_basic", "username": "{{ config.user_name }}", "password": "{{ config.password }}"},
        "headers": {"X-Region": "{{ config.region }}", "X-Key": "{{ config.X_Key }}"},
    }


def test_config_variable_passed_by_name_and_module_constants(tmp_path: Path) -> None:
    config = imported(tmp_path, """
        from dlt.sources.rest_api import rest_api_resources
        BASE = "https://api.example.com"
        PAGE = {"type": "offset", "limit": 10}
        config = {"client": {"base_url": BASE, "paginator": PAGE}, "resources": ["a"]}
        yield_from = rest_api_resources(config)
    """)
    assert config == {"client": {"base_url": "https://api.example.com", "paginator": {"type": "offset", "limit": 10}},
                      "resources": ["a"]}


@pytest.mark.parametrize("source", [
    pytest.param('config: RESTAPIConfig = {"client": {"base_url": "https://h"}, "resources": []}', id="annotated"),
    pytest.param('config = RESTAPIConfig(client={"base_url": "https://h"}, resources=[])', id="constructed"),
    pytest.param('s = rest_api_source(config={"client": {"base_url": "https://h"}, "resources": []})', id="keyword"),
    pytest.param('s = dlt_sources.rest_api.rest_api_source({"client": {"base_url": "https://h"}, "resources": []})',
                 id="attribute-call"),
])
def test_where_the_config_is_found(tmp_path: Path, source: str) -> None:
    assert imported(tmp_path, source) == {"client": {"base_url": "https://h"}, "resources": []}


@pytest.mark.parametrize(("source", "line", "what"), [
    pytest.param('x = 1\ns = rest_api_source({\n  "client": {"base_url": make_url()},\n  "resources": []})',
                 3, "the call make_url(...) is Python, not data", id="call"),
    pytest.param('s = rest_api_source({"client": {}, "resources": [{"name": "a",\n'
                 '  "processing_steps": [{"map": lambda r: r}]}]})',
                 2, "a lambda is Python, not data (processing steps are Python callables", id="lambda"),
    pytest.param('s = rest_api_source({"client": {}, \n\n "resources": ["a" + "b"]})',
                 3, "an operator expression is Python, not data", id="operator"),
    pytest.param('s = rest_api_source({**BASE, "resources": []})', 1, "a ** spread", id="spread"),
    pytest.param('s = rest_api_source({"client": {"session": requests.Session()}, "resources": []})',
                 1, "the call Session(...) is Python, not data (a requests session", id="session"),
    pytest.param('s = rest_api_source({"client": {"base_url": unknown}, "resources": []})',
                 1, "the name 'unknown' is Python, not data (not bound to a literal", id="unbound-name"),
    pytest.param('config = build()\ns = rest_api_source(config)', 1, "the call build(...)", id="config-from-call"),
    pytest.param('s = rest_api_source({"client": {"paginator": SinglePagePaginator()}, "resources": []})',
                 1, "(a dlt SinglePagePaginator object); write it as data: paginator: single_page", id="paginator"),
    pytest.param('s = rest_api_source({"client": {}, "resources": [{"name": "a", "endpoint": {"params": {\n'
                 '  "since": dlt.sources.incremental[str]("updated_at")}}}]})',
                 2, "(a dlt incremental object); write it as data: endpoint.incremental", id="incremental"),
    pytest.param('s = rest_api_source({"client": {"auth": {"token": dlt.secrets[key]}}, "resources": []})',
                 1, "key must be a string literal", id="computed-secret-key"),
    pytest.param('s = rest_api_source({1: "x"})', 1, "the dict key 1 is not a string", id="int-key"),
    pytest.param('s = rest_api_source(["a"])', 1, "the rest_api config must be a dict", id="not-a-dict"),
])
def test_non_literals_are_refused_with_the_line(tmp_path: Path, source: str, line: int, what: str) -> None:
    message = refusal(tmp_path, source)
    assert f"pipeline.py:{line}: " in message
    assert what in message


def test_no_config_found(tmp_path: Path) -> None:
    assert "no rest_api config found" in refusal(tmp_path, "import dlt\nprint('hi')\n")


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'x = 1\ns = rest_api_source({"client": }\n')
    assert "pipeline.py:2: not valid Python" in message


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(PipelineImportError, match="no such file"):
        import_pipeline(tmp_path / "missing.py")


def test_the_file_is_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = imported(tmp_path, f"""
        open({str(marker)!r}, "w").write("x")
        s = rest_api_source({{"client": {{"base_url": "https://h"}}, "resources": []}})
    """)
    assert config["resources"] == []
    assert not marker.exists()


def test_cli_writes_yaml_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, 's = rest_api_source({"client": {"base_url": "https://h",'
                           ' "auth": {"token": dlt.secrets["api_key"]}}, "resources": ["a-b/c"]})')
    with pytest.raises(SystemExit) as info:
        main(["import", str(path)])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out) == {"client": {"base_url": "https://h", "auth": {"token": "{{ config.api_key }}"}},
                                   "resources": ["a-b/c"]}


@pytest.mark.parametrize("args", [["import", "/nonexistent/pipeline.py"], ["import"]])
def test_cli_errors_are_one_line_without_traceback(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "tap_generic_rest", *args],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_keeps_the_tap_commands() -> None:
    # In a subprocess: the SDK configures logging once per process, and a handler bound to this
    # test's captured stderr would outlive it.
    result = subprocess.run([sys.executable, "-m", "tap_generic_rest", "--about", "--format", "json"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert '"name": "tap-generic-rest"' in result.stdout


def test_the_dlt_docs_pattern(tmp_path: Path) -> None:
    """A source function with a secret parameter, a RESTAPIConfig variable and `yield from`."""
    config = imported(tmp_path, """
        from typing import Any, Optional
        import dlt
        from dlt.sources.rest_api import RESTAPIConfig, rest_api_resources

        @dlt.source
        def tracker_source(access_token: Optional[str] = dlt.secrets.value) -> Any:
            config: RESTAPIConfig = {
                "client": {"base_url": "https://api.example.com/", "auth": {"token": access_token}},
                "resource_defaults": {"primary_key": "id", "write_disposition": "merge",
                                      "endpoint": {"params": {"per_page": 100}}},
                "resources": [
                    {"name": "issues", "endpoint": {"path": "repos/issues", "params": {
                        "since": {"type": "incremental", "cursor_path": "updated_at",
                                  "initial_value": "2024-01-25T11:21:28Z"}}}},
                    {"name": "issue_comments", "endpoint": {"path": "repos/issues/{resources.issues.number}/comments"},
                     "include_from_parent": ["id"]},
                ],
            }
            yield from rest_api_resources(config)
    """)
    assert config["client"]["auth"] == {"token": "{{ config.access_token }}"}
    assert config["resources"][0]["endpoint"]["params"]["since"]["initial_value"] == "2024-01-25T11:21:28Z"
    assert config["resources"][1]["endpoint"]["path"] == "repos/issues/{resources.issues.number}/comments"


def test_yaml_keeps_every_string_a_string() -> None:
    values = {"when": "2024-01-25T11:21:28Z", "number": "123", "flag": "true", "nothing": "null", "empty": "",
              "template": "{{ config.x }}", "placeholder": "{resources.p.id}", "tilde": "~", "hex": "0x10",
              "yes": "yes", "colon": "a: b", "hash": "#x", "real": 1.5, "integer": -3, "none": None}
    assert yaml.safe_load(to_yaml(values, Path("p.py"))) == values


def test_cli_notes_references_to_settings_the_tap_does_not_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, 's = rest_api_source({"client": {"base_url": "https://h", "auth": {"type": "http_basic",'
                           ' "username": dlt.secrets["api_key"], "password": dlt.secrets["pass_word"]}},'
                           ' "resources": [{"name": "a", "endpoint": {"params": {"k": dlt.config["region"]}}}]})')
    with pytest.raises(SystemExit) as info:
        main(["import", str(path)])
    assert info.value.code == 0
    captured = capsys.readouterr()
    assert "{{ config.pass_word }}" in captured.out
    assert captured.err.splitlines() == [
        "tap-generic-rest import: note: pass_word, region (from dlt.secrets/dlt.config) are not tap settings; "
        "rename each to one of api_key, password, access_token, client_id, client_secret, "
        "refresh_token, secret_key in the description"]
