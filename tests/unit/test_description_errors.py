"""Bad API descriptions fail before any request, with one line naming the exact path and the fix."""

from __future__ import annotations

import json
import signal
import typing as t

import pytest

from tap_generic_rest.description.load import BUILTIN_APIS, builtin_path, load_description, parse_description
from tap_generic_rest.errors import DescriptionError
from tap_generic_rest.pagination.counters import PageNumber
from tap_generic_rest.pagination.types import Cursor

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PREFIX = "invalid API description test: "
ITEMS_SCHEMA = {
    "type": "object",
    "properties": {key: {"type": ["string", "null"]} for key in ("id", "app_id", "updatedAt")},
}


def item(name: str = "items", **fields: t.Any) -> dict[str, t.Any]:
    """A valid top-level resource; ``fields`` replace its fields (``None`` drops one)."""
    resource = {"name": name, "primary_key": "id", "schema": "items.json", "endpoint": {"path": f"/{name}"}, **fields}
    return {key: value for key, value in resource.items() if value is not None}


def child(name: str, parent: str, path: str = "/apps/{resources.%s.id}/kids", **fields: t.Any) -> dict[str, t.Any]:
    """A valid child resource of ``parent`` taking ``app_id`` from the parent's ``id``."""
    endpoint = {"path": path.replace("%s", parent)}
    return item(name, parent_fields={"app_id": "id"}, **{"endpoint": endpoint, **fields})


def document(*resources: dict[str, t.Any], **client: t.Any) -> dict[str, t.Any]:
    """A description with ``resources`` (one valid resource by default)."""
    return {"client": {"base_url": "https://api.test", **client}, "resources": list(resources) or [item()]}


def endpoint(**fields: t.Any) -> dict[str, t.Any]:
    """An endpoint of the ``items`` resource with extra fields."""
    return {"path": "/items", **fields}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A directory with a valid and a broken schema file."""
    (tmp_path / "items.json").write_text(json.dumps(ITEMS_SCHEMA), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    return tmp_path


def parse_error(doc: object, root: Path) -> str:
    with pytest.raises(DescriptionError) as caught:
        parse_description(doc, origin="test", root=root)
    return str(caught.value)


BAD_DOCUMENTS = [
    pytest.param(
        {"resources": [item()]},
        "missing required field 'client'; add it",
        id="missing-client",
    ),
    pytest.param(
        document(base_url="ftp://api.test"),
        "client.base_url: 'ftp://api.test' is not an http(s) URL; use e.g. https://api.example.com",
        id="bad-base-url",
    ),
    pytest.param(
        document(auth={"type": "oauth"}),
        "client.auth.type: 'oauth' is not allowed; use one of: bearer, api_key, http_basic, oauth2_client_credentials, "
        "oauth2_refresh_token, session_token, jwt, oauth2_jwt_bearer",
        id="unknown-auth-type",
    ),
    pytest.param(
        document(auth={"type": "http_basic"}),
        "client.auth: http_basic needs username and no tap setting holds it; write it, e.g. username: me",
        id="basic-without-username",
    ),
    pytest.param(
        document(item("a"), item("b"), item("c", endpoint=endpoint(paginator={"type": "custom"}))),
        "resources[2].endpoint.paginator.type: 'custom' is not allowed; "
        "use one of: json_link, json_response, header_link, header_cursor, cursor, offset, page_number, single_page, "
        "auto, scroll",
        id="unknown-paginator-type",
    ),
    pytest.param(
        document(item(endpoint=endpoint(paginator={"type": "offset", "limt": 100}))),
        "resources[0].endpoint.paginator: unknown field(s) 'limt'; allowed: has_more_path, limit, limit_body_path, "
        "limit_param, maximum_offset, offset, offset_body_path, offset_param, stop_after_empty_page, total_path, type",
        id="unknown-paginator-field",
    ),
    pytest.param(
        document(item(primary_key=["id", "uid"])),
        "resources[0].schema: 'uid' is a key or an added field but not a property of items.json; "
        "properties: id, app_id, updatedAt",
        id="primary-key-not-in-schema",
    ),
    pytest.param(
        document(item(schema="nope.json")),
        "resources[0].schema: schema file 'nope.json' not found next to the description ({root}/nope.json)",
        id="missing-schema-file",
    ),
    pytest.param(
        document(item(schema="broken.json")),
        "resources[0].schema: schema file 'broken.json' is not valid JSON: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        id="schema-file-not-json",
    ),
    pytest.param(
        document(item("items"), item("other"), item("items")),
        "resources[2].name: duplicate resource name 'items' (also resources[0]); names must be unique",
        id="duplicate-name",
    ),
    pytest.param(
        document(item("apps"), child("kids", "nobody")),
        "resources[1].endpoint: refers to non existing parent resource 'nobody'; resources: apps, kids",
        id="unknown-parent",
    ),
    pytest.param(
        document(child("a", "b", "/a/{resources.b.id}/x"), child("b", "a", "/b/{resources.a.id}/x")),
        "resources[0].endpoint: cycle a -> b -> a; a parent cannot descend from its child",
        id="parent-cycle",
    ),
    pytest.param(
        document(item(endpoint=endpoint(path="/items/{x}"))),
        "resources[0].endpoint.path: {x} in the path has no param of that name",
        id="path-placeholder-without-source",
    ),
    pytest.param(
        document(item("apps"), child("kids", "apps", endpoint=endpoint(params={"q": "{unknown.x}"}))),
        "resources[1].endpoint.params: placeholder {unknown.x}: Valid expressions must start with one of: "
        "{'resources'}",
        id="placeholder-with-unknown-prefix",
    ),
    pytest.param(
        document(item(endpoint=endpoint(data_selector="data..items"))),
        "resources[0].endpoint.data_selector: 'data..items' has an empty key; "
        "write keys separated by single dots, e.g. 'data.items'",
        id="data-selector-syntax",
    ),
    pytest.param(
        document(item(nme="x")),
        "resources[0]: unknown field(s) 'nme'; allowed: add_fields, columns, endpoint, file_format, group_parents, "
        "include_from_parent, max_table_nesting, merge_key, name, nested_hints, parallelized, parent_fields, "
        "parent_table_name, partitions, primary_key, processing_steps, record_filter, records, references, "
        "remove_fields, report_job, schema, schema_contract, selected, table_format, table_name, write_disposition",
        id="unknown-resource-field",
    ),
    pytest.param(
        document(item(endpoint=endpoint(method="PUT"))),
        "resources[0].endpoint.method: 'PUT' is not allowed; use one of: GET, POST",
        id="unknown-method",
    ),
]


@pytest.mark.parametrize(("doc", "expected"), BAD_DOCUMENTS)
def test_bad_description_names_path_and_fix(doc: dict[str, t.Any], expected: str, root: Path) -> None:
    assert parse_error(doc, root) == PREFIX + expected.replace("{root}", str(root))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"params": {"q": "{{ config.x + }}"}},
            "resources[0].endpoint.params.q: template '{{ config.x + }}' does not parse: unexpected 'end of template'",
            id="template-in-params",
        ),
        pytest.param(
            {"paginator": {"type": "cursor", "cursor_param": "c", "stop_condition": "response.("}},
            "resources[0].endpoint.paginator: expression 'response.(' does not parse: "
            "expected name or number",
            id="stop-condition",
        ),
    ],
)
def test_syntax_error_names_exact_field(fields: dict[str, t.Any], expected: str, root: Path) -> None:
    assert parse_error(document(item(endpoint=endpoint(**fields))), root) == PREFIX + expected


def test_template_syntax_error_is_reported(root: Path) -> None:
    message = parse_error(document(item(endpoint=endpoint(params={"q": "{{ config.x + }}"}))), root)
    assert message.startswith(PREFIX + "resources[0].endpoint")
    assert message.endswith("template '{{ config.x + }}' does not parse: unexpected 'end of template'")


def _alarm(signum: int, frame: object) -> t.NoReturn:
    raise TimeoutError


@pytest.fixture
def one_second() -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging when the code under test loops forever."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_cycle_above_a_resource_is_reported(root: Path, one_second: None) -> None:
    doc = document(child("a", "b", "/a/{resources.b.id}/x"), child("b", "c", "/b/{resources.c.id}/x"),
                   child("c", "b", "/c/{resources.b.id}/x"))
    message = parse_error(doc, root)  # reported at a (whose ancestors loop) or at b: both name the loop
    assert message.startswith(PREFIX + "resources[")
    assert "].endpoint: cycle " in message
    assert message.endswith("b -> c -> b; a parent cannot descend from its child")


@pytest.mark.parametrize(
    ("file_name", "text", "expected"),
    [
        pytest.param(
            "api.yaml",
            "client: [unclosed\n",
            'not valid YAML: while parsing a flow sequence in api.yaml, line 1, column 9: '
            "client: [unclosed ^ expected ',' or ']', but got '<stream end>' in api.yaml, "
            "line 2, column 1: ^",
            id="yaml",
        ),
        pytest.param(
            "api.json",
            '{"client": }',
            "not valid JSON: Expecting value: line 1 column 12 (char 11)",
            id="json",
        ),
    ],
)
def test_unparsable_description_file(tmp_path: Path, file_name: str, text: str, expected: str) -> None:
    path = tmp_path / file_name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DescriptionError) as caught:
        load_description(path, origin="test")
    assert str(caught.value) == PREFIX + expected


def test_missing_description_file(tmp_path: Path) -> None:
    with pytest.raises(DescriptionError) as caught:
        load_description(tmp_path / "nope.yaml", origin="test")
    assert str(caught.value) == PREFIX + "cannot read the file (No such file or directory)"


@pytest.mark.parametrize("api", BUILTIN_APIS)
def test_every_builtin_api_loads(api: str) -> None:
    description = load_description(builtin_path(api))
    assert description.base_url.startswith("https://api.example.com")
    assert description.resources
    assert all(resource.primary_key for resource in description.resources)


def test_resource_defaults_replace_paginator_and_merge_params(root: Path) -> None:
    defaults = {
        "primary_key": "id",
        "endpoint": {
            "params": {"limit": 50, "sort": "asc"},
            "paginator": {"type": "cursor", "cursor_param": "iterator", "stop_condition": "done"},
        },
    }
    own = {"params": {"sort": "desc", "q": "x"}, "paginator": {"type": "page_number", "page_param": "p"}}
    doc = document(
        item("plain", primary_key=None),
        item("own", primary_key=None, endpoint=endpoint(**own)),
    ) | {"resource_defaults": defaults}
    plain, custom = parse_description(doc, origin="test", root=root).resources

    assert plain.primary_key == ("id",)
    assert plain.endpoint.params == {"limit": 50, "sort": "asc"}
    assert isinstance(plain.endpoint.pagination, Cursor)
    assert plain.endpoint.pagination.spec == defaults["endpoint"]["paginator"]
    assert custom.endpoint.params == {"limit": 50, "sort": "desc", "q": "x"}
    assert isinstance(custom.endpoint.pagination, PageNumber)
    assert custom.endpoint.pagination.spec == {"type": "page_number", "page_param": "p"}


# -- every problem at once (tap-generic-rest import) -------------------------------------------------


def test_every_problem_is_listed_in_document_order(tmp_path: Path) -> None:
    from tap_generic_rest.description.problems import description_problems
    from tap_generic_rest.description.schema import schema_error, schema_errors

    document = {
        "client": {"base_url": "https://api.test", "auth": {"type": "nope"}},
        "resources": [
            {"name": "a", "endpoint": {"path": "/a", "paginator": {"type": "offset"}}},
            {"name": "b", "endpoint": {"path": "/b/{x}"}},
            {"name": "c", "endpoint": {"path": "/c", "bogus": 1, "paginator": {"type": "cursor", "size": 2}}},
        ],
    }
    problems = description_problems(document, origin="api.yaml", root=tmp_path)
    assert [line.split(":")[0] for line in problems] == [
        "client.auth.type", "resources[0].endpoint.paginator", "resources[1].endpoint.path",
        "resources[2].endpoint", "resources[2].endpoint.paginator"]
    assert schema_error(document) == schema_errors(document)[0], "the first problem is the one the loader names"


def test_a_problem_between_resources_is_found_once_each_loads_alone(tmp_path: Path) -> None:
    from tap_generic_rest.description.problems import description_problems

    document = {"client": {"base_url": "https://api.test"}, "resources": [
        {"name": "kids", "endpoint": {"path": "/p/{resources.parents.id}/kids"}}]}
    assert description_problems(document, origin="api.yaml", root=tmp_path) == [
        "resources[0].endpoint: refers to non existing parent resource 'parents'; resources: kids"]
    document["resources"].append({"name": "parents", "endpoint": "/p"})
    assert description_problems(document, origin="api.yaml", root=tmp_path) == []
