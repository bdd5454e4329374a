"""The description model is built once, frozen: children are computed with the parent graph, never appended."""

from __future__ import annotations

import dataclasses
import typing as t

import pytest

from tap_generic_rest.apis import builtin_path
from tap_generic_rest.description.load import load_description, parse_description

if t.TYPE_CHECKING:
    from pathlib import Path


def test_children_in_order() -> None:
    description = load_description(builtin_path("webhooks"))
    children = {resource.name: resource.children for resource in description.resources}
    assert children["applications"] == ("endpoints", "integrations")
    assert children["ingest_source"] == ("ingest_source_endpoint",)
    assert children["tokens"] == ()
    for resource in description.resources:
        for child in resource.children:
            parent = description.resource(child).parent
            assert parent is not None
            assert parent.resource == resource.name


def test_frozen() -> None:
    description = load_description(builtin_path("webhooks"))
    resource = description.resources[0]
    assert isinstance(resource.children, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        resource.children = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        description.auth = description.auth  # type: ignore[misc]


def test_auth_normalized_with_the_rest(tmp_path: Path) -> None:
    """Client and endpoint auth shorthands come out of the one pass as full specs reading their settings."""
    doc = {"client": {"base_url": "https://api.example.com", "auth": "api_key"},
           "resources": [{"name": "items", "endpoint": {"path": "items", "auth": "bearer"}}]}
    description = parse_description(doc, origin="test", root=tmp_path)
    assert description.auth.spec == {"type": "api_key", "api_key": "{{ config.api_key }}"}
    endpoint_auth = description.resources[0].endpoint.auth
    assert endpoint_auth is not None
    assert endpoint_auth.spec == {"type": "bearer", "token": "{{ config.access_token }}"}
