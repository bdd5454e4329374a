"""Detection, references and ``$parameters`` propagation."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.importers.airbyte.load import ManifestError, is_manifest, resolve_references
from tap_generic_rest.importers.airbyte.parameters import FILLED, PARAMETERS, propagate


@pytest.mark.parametrize(("document", "expected"), [
    ({"type": "DeclarativeSource", "streams": []}, True),
    ({"version": "6.0.0", "streams": [], "definitions": {}}, True),
    ({"version": "6.0.0", "dynamic_streams": [], "spec": {}}, True),
    ({"client": {"base_url": "https://api.example.com"}, "resources": []}, False),  # ours
    ({"version": "1", "streams": []}, False),
    ([1, 2], False),
])
def test_detection(document: object, expected: bool) -> None:
    assert is_manifest(document) is expected


def test_refs_merge_nest_and_old_form() -> None:
    manifest: dict[str, t.Any] = {
        "definitions": {
            "base": {"type": "HttpRequester", "url_base": "https://a.example.com", "http_method": "GET"},
            "child": {"$ref": "#/definitions/base", "path": "/x"},
            "size": 50,
            "a/b": {"c": 1},
        },
        "one": {"$ref": "#/definitions/child", "http_method": "POST"},
        "size": "#/definitions/size",
        "old": "*ref(definitions.size)",
        "slash": "#/definitions/a/b/c",
        "listed": ["#/definitions/size", {"$ref": "#/definitions/base"}],
    }
    resolved = resolve_references(manifest)
    assert resolved["one"] == {"type": "HttpRequester", "url_base": "https://a.example.com", "http_method": "POST",
                               "path": "/x"}
    assert resolved["size"] == resolved["old"] == 50
    assert resolved["slash"] == 1  # a key holding '/' is found
    assert resolved["listed"] == [50, manifest["definitions"]["base"]]


@pytest.mark.parametrize(("manifest", "message"), [
    ({"a": "#/b", "b": "#/a"}, "refers to itself"),
    ({"a": {"$ref": "#/missing/x"}}, "'#/missing/x' names nothing in the manifest"),
])
def test_bad_references_are_one_line(manifest: dict[str, t.Any], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        resolve_references(manifest)


def test_parameters_flow_down_fill_fields_and_own_win() -> None:
    stream = {"type": "DeclarativeStream", "$parameters": {"name": "users", "path": "/users", "key": "a"},
              "retriever": {"requester": {"url_base": "https://x.example.com", "$parameters": {"key": "b"}},
                            "record_selector": {"extractor": {"field_path": ["data"]}}}}
    result = propagate(stream, "DeclarativeSource.streams", {})
    requester = result["retriever"]["requester"]
    assert result["name"] == "users"
    assert requester["type"] == "HttpRequester"  # the default type of SimpleRetriever.requester
    assert requester["path"] == "/users"  # filled from the stream's parameters
    assert requester[PARAMETERS] == {"name": "users", "path": "/users", "key": "b"}  # its own win
    assert set(requester[FILLED]) == {"name", "path", "key"}
    assert result["retriever"]["record_selector"]["extractor"]["type"] == "DpathExtractor"


def test_inline_json_schema_is_not_a_component() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    stream = {"type": "DeclarativeStream", "$parameters": {"name": "x"},
              "schema_loader": {"type": "InlineSchemaLoader", "schema": schema}}
    assert propagate(stream, "DeclarativeSource.streams", {})["schema_loader"]["schema"] == schema
