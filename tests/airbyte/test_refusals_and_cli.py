"""Refusals (one line each with the manifest path, all at once, non-zero), --skip-unsupported, warnings,
the spec's settings, and the command line."""

from __future__ import annotations

import typing as t

import yaml

from tap_generic_rest.importers.airbyte.spec import meltano_block, settings_of
from tests.airbyte.helpers import MANIFESTS, run_import

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest

REFUSED = [
    "dynamic_streams[0]: dynamic streams are not supported (their streams are only known when the connector runs)",
    "streams[1].retriever.paginator.pagination_strategy: CustomPaginationStrategy is not supported; a description "
    "cannot hold Python code",
    "streams[2].retriever.record_selector.extractor: CustomRecordExtractor (source_odd.components.OddExtractor in "
    "components.py) is not supported; a description cannot hold Python code",
    "streams[2].retriever.requester.http_method: http_method DELETE is not supported (GET and POST are)",
    "streams[2].retriever.requester.request_parameters.since: the Jinja block in \"{% if config['since'] %}"
    "{{ config['since'] }}{% endif %}\" is not supported (only {{ }} expressions are)",
    "streams[2].retriever.requester.request_parameters.id: the macro generate_uuid() is not supported",
    "streams[2].retriever.requester.request_parameters.name: the filter 'camel_case_to_snake_case' is not supported",
    "streams[2].transformations[0]: the transformation KeysToLower is not supported (AddFields and RemoveFields are)",
    "streams[3].retriever.partition_router.parent_stream_configs[0].stream.retriever.requester.use_sideways_cache: "
    "the option 'use_sideways_cache' of HttpRequester is not supported",
]
WARNED = [
    "api_budget: ignored (the tap follows the API's rate-limit headers and Retry-After)",
    "metadata: ignored (Airbyte's connector metadata)",
    "streams[0].state_migrations: ignored (Singer state is the tap's own (a new bookmark starts from start_date))",
    "streams[0].retriever.record_selector.schema_normalization: ignored (a Singer target types values by the schema)",
]


def lines(err: str, kind: str) -> list[str]:
    prefix = f"tap-generic-rest import: {kind}: "
    return [line.removeprefix(prefix) for line in err.splitlines() if line.startswith(prefix)]


def test_every_refusal_at_once_and_nothing_written(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_import(capsys, str(MANIFESTS / "refused.yaml"))
    assert result.code == 1
    assert result.out == ""
    assert lines(result.err, "refused") == REFUSED
    assert lines(result.err, "warning") == WARNED
    assert result.err.splitlines()[-1] == (
        f"tap-generic-rest: error: {MANIFESTS / 'refused.yaml'} cannot be imported (9 unsupported parts listed "
        "above); --skip-unsupported imports the other streams")
    assert "Traceback" not in result.err


def test_skip_unsupported_imports_the_rest_and_names_what_is_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_import(capsys, str(MANIFESTS / "refused.yaml"), "--skip-unsupported")
    assert result.code == 0, result.err
    assert [resource["name"] for resource in yaml.safe_load(result.out)["resources"]] == ["plain"]
    assert lines(result.err, "left out") == [
        "stream 'custom_pages' (refused above)", "stream 'hidden_parent' (refused above)",
        "stream 'odd_options' (refused above)", "stream 'children' (its parent 'hidden_parent' is left out)"]


def test_a_parent_outside_streams_is_an_unselected_resource(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    text = (MANIFESTS / "refused.yaml").read_text(encoding="utf-8").replace(", use_sideways_cache: true", "")
    manifest.write_text(text, encoding="utf-8")
    result = run_import(capsys, str(manifest), "--skip-unsupported")
    resources = {resource["name"]: resource for resource in yaml.safe_load(result.out)["resources"]}
    assert resources["hidden_parent"]["selected"] is False
    assert resources["children"]["endpoint"]["path"] == "/children/{resources.hidden_parent.id}"


def test_the_header_lists_the_settings_for_meltano(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_import(capsys, str(MANIFESTS / "oauth_echo.yaml"))
    header = [line.removeprefix("# ") for line in result.out.splitlines() if line.startswith("#")]
    block = yaml.safe_load("\n".join(header[2:]))
    assert block == {"settings": [
        {"name": "base_url", "kind": "string"}, {"name": "start_date", "kind": "date_iso8601"},
        {"name": "tier", "kind": "string"}, {"name": "account_region", "kind": "string"},
        {"name": "account_client_id", "kind": "string"},
        {"name": "account_client_secret", "kind": "string", "sensitive": True}]}


def test_spec_flattening_one_of_and_secrets() -> None:
    spec = {"connection_specification": {"type": "object", "required": ["credentials"], "properties": {
        "credentials": {"type": "object", "oneOf": [
            {"properties": {"auth_type": {"const": "token"}, "token": {"type": "string", "airbyte_secret": True}}},
            {"properties": {"auth_type": {"const": "oauth"}, "client-id": {"type": "string"},
                            "refresh_token": {"type": "string", "airbyte_secret": True}}}]},
        "page size": {"type": "integer", "title": "Page size", "default": 50},
        "start_date": {"type": "string", "format": "date-time"}}}}
    settings = settings_of(spec)
    block = meltano_block(settings)
    at = block.index("  - name: page_size")
    assert block[at + 1:at + 4] == ["    kind: integer", '    label: "Page size"', "    value: 50"]
    found = {(s.name, s.path, s.kind, s.secret) for s in settings}
    assert found == {
        ("credentials_token", ("credentials", "token"), "string", True),
        ("credentials_client_id", ("credentials", "client-id"), "string", False),
        ("credentials_refresh_token", ("credentials", "refresh_token"), "string", True),
        ("page_size", ("page size",), "integer", False),
        ("start_date", ("start_date",), "date_iso8601", False)}


def test_neither_manifest_nor_pipeline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "api.yaml"
    other.write_text("client: {base_url: https://api.example.com}\nresources: []\n", encoding="utf-8")
    result = run_import(capsys, str(other))
    assert result.code == 1
    assert result.err.strip() == (f"tap-generic-rest: error: {other} is neither an Airbyte manifest (type: "
                                  "DeclarativeSource, streams) nor a dlt pipeline file (.py)")


def test_bad_yaml_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "manifest.yaml"
    broken.write_text("streams: [\n", encoding="utf-8")
    assert "not valid YAML" in run_import(capsys, str(broken)).err
    assert "no such file" in run_import(capsys, str(tmp_path / "none.yaml")).err


def test_a_component_of_the_wrong_shape_refuses_its_stream_not_the_run(capsys: pytest.CaptureFixture[str],
                                                                        tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    document = yaml.safe_load((MANIFESTS / "links.yaml").read_text(encoding="utf-8"))
    document["streams"][1]["retriever"]["paginator"]["pagination_strategy"] = "CursorPagination"
    document["streams"][2]["retriever"]["requester"]["request_parameters"] = ["after"]
    manifest.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = run_import(capsys, str(manifest), "--skip-unsupported")
    assert result.code == 0, result.err
    refused = lines(result.err, "refused")
    assert refused[0].startswith("streams[1]: a component does not have the shape Airbyte's schema gives it")
    assert "streams[2].retriever.requester.request_parameters: request_parameters must be a mapping, not list" \
        in refused
    assert [resource["name"] for resource in yaml.safe_load(result.out)["resources"]] == ["linked"]
    document["streams"] = 3
    manifest.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = run_import(capsys, str(manifest))
    assert result.err.strip() == "tap-generic-rest: error: streams: a list is expected, not int"
