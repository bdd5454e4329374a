"""Airbyte's expressions translated: variables, parameters, placeholders, macros, filters; the unmappable."""

from __future__ import annotations

import typing as t

import pytest

from tap_generic_rest.importers.airbyte.context import Issues, Stream
from tap_generic_rest.importers.airbyte.expressions import translate_string
from tap_generic_rest.importers.airbyte.variables import Scope, Unmappable

SETTINGS = {("api_key",): "api_key", ("credentials", "token"): "credentials_token", ("values",): "values"}


def scope(**kwargs: t.Any) -> Scope:
    stream = Stream("things", Issues(), SETTINGS, partition_keys={
        "parent_id": ("parent", "accounts", "id"), "region": ("list", "region"),
        "start_time": ("interval", "start_time"), "end_time": ("interval", "end_time")})
    return Scope(stream, {"name": "things", "size": 50, "keys": ["a", "b"]}, **kwargs)


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ config['api_key'] }}", "{{ config.api_key }}"),
    ("{{ config.api_key }}", "{{ config.api_key }}"),
    ("{{ config.get('api_key') }}", "{{ config.api_key }}"),
    ("Bearer {{ config['credentials']['token'] }}", "Bearer {{ config.credentials_token }}"),
    ("{{ config['values'] }}", '{{ config["values"] }}'),  # a dict method's name is read as an item
    ("{{ config['other_setting'] or 'x' }}", "{{ config.other_setting or 'x' }}"),
    ("{{ config.get('credentials', {}).get('token', 'none') }}", "{{ (config.credentials_token | default('none')) }}"),
    ("{{ config.get('api_key', config['credentials']['token']) }}",
     "{{ (config.api_key | default(config.credentials_token)) }}"),
    ("/{{ parameters.name }}/list", "/things/list"),
    ("{{ parameters['size'] }}", 50),  # a whole-string parameter keeps its type
    ("{{ parameters.size * 2 }}", "{{ 50 * 2 }}"),
    ("/a/{{ stream_partition.parent_id }}/b", "/a/{resources.accounts.id}/b"),
    ("{{ stream_slice['parent_id'] }}", "{resources.accounts.id}"),
    ("{{ stream_partition.parent_id | string }}", "{{ stream_slice.parent_id | string }}"),
    ("{{ stream_partition.region }}", "{region}"),
    ("{{ stream_slice.start_time }}", "{{ stream_interval.start_time }}"),
    ("{{ stream_interval['end_time'] }}", '{{ stream_interval.end_time }}'),
    ("{{ now_utc().strftime('%Y') }}", "{{ now_utc().strftime('%Y') }}"),
    ("{{ format_datetime(config['api_key'], '%s') }}", "{{ format_datetime(config.api_key, '%s') }}"),
    ("{{ (config.api_key ~ ':') | base64encode }}", "{{ (config.api_key ~ ':') | base64encode }}"),
    ('{"literal": 1}', '{{"literal": 1}}'),  # literal braces escaped (placeholders apply here)
])
def test_translated(source: str, expected: object) -> None:
    assert translate_string(source, scope()) == expected


def test_literal_braces_are_kept_where_only_templates_apply() -> None:
    assert translate_string('{"a": "{{ config.api_key }}"}', scope(placeholders=False)) == \
        '{"a": "{{ config.api_key }}"}'


def test_parent_fields_are_noted_for_templates() -> None:
    here = scope()
    translate_string("{{ stream_partition.parent_id | string }}", here)
    assert here.stream.parent_fields == {"parent_id": "id"}


def test_scope_variables_and_aliases() -> None:
    here = scope(variables=frozenset({"record"}), aliases={"last_record": "response.data[-1]"})
    assert translate_string("{{ record.id > last_record['id'] }}", here) == "{{ record.id > response.data[-1].id }}"


@pytest.mark.parametrize(("source", "reason"), [
    ("{% if config.a %}x{% endif %}", "Jinja block"),
    ("{{ generate_uuid() }}", "macro generate_uuid"),
    ("{{ config.a | camel_case_to_snake_case }}", "filter 'camel_case_to_snake_case'"),
    ("{{ record.id }}", "variable 'record' is not available here"),
    ("{{ next_page_token['next_page_token'] }}", "next_page_token"),
    ("{{ stream_partition.unknown }}", "not a partition key"),
    ("{{ config['credentials'] }}", "read as a whole object"),
    ("{{ config[ }}", "does not parse"),
])
def test_unmappable(source: str, reason: str) -> None:
    with pytest.raises(Unmappable, match=reason):
        translate_string(source, scope())
