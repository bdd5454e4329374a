"""Record shaping and filtering over real HTTP (issue 18 point 4): ``record_filter``, ``add_fields`` and
``remove_fields``, in that order, on records and on the emitted schema; defaults; one-line errors."""

from __future__ import annotations

import json
import typing as t

import pytest

from tests.safety import helpers as h

if t.TYPE_CHECKING:
    from pathlib import Path

ITEMS = [
    {"id": 1, "status": "live", "name": "a", "internal": "x", "meta": {"debug": "d", "rev": 3}},
    {"id": 2, "status": "deleted", "name": "b", "internal": "y", "meta": {"debug": "e", "rev": 4}},
    {"id": 3, "status": "live", "name": "c", "internal": "z", "meta": {"debug": "f", "rev": 5}},
]
SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "status": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
    "internal": {"type": ["string", "null"]},
    "meta": {"type": ["object", "null"], "properties": {"debug": {"type": ["string", "null"]},
                                                        "rev": {"type": ["integer", "null"]}}}}}
SHAPING = {
    "record_filter": "{{ record.status != 'deleted' }}",
    "add_fields": [
        {"path": ["source", "region"], "value": "{{ config.region ~ '-' ~ record.id }}"},
        {"path": ["page_total"], "value": "{{ response.total }}", "value_type": "integer"},
        {"path": ["origin"], "value": "api"},
    ],
    "remove_fields": [["internal"], ["meta", "debug"]],
}


def _schema_of(run: h.TapRun, stream: str) -> dict[str, t.Any]:
    schemas = [m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream]
    assert schemas, f"no SCHEMA for {stream}"
    return schemas[-1]


def _sync(tmp_path: Path, api: h.CannedApi, *resources: dict[str, t.Any], **document: t.Any) -> h.TapRun:
    kids = h.object_schema("id", "app_id", types={"id": {"type": "integer"}, "app_id": {"type": "integer"}})
    path = h.write_description(tmp_path, *resources, base_url=api.url,
                               schemas={"items.json": SCHEMA, "kids.json": kids})
    if document:
        import yaml

        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({**doc, **document}, sort_keys=False), encoding="utf-8")
    return h.run_tap(config={"api_description": str(path), "region": "eu", **h.FAST}, directory=tmp_path)


def test_filter_add_remove_on_records_and_schema(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS, "total": "3"})
        run = _sync(tmp_path, api, h.resource(**SHAPING)).succeeded()

    assert run.records("items") == [
        {"id": 1, "status": "live", "name": "a", "meta": {"rev": 3}, "source": {"region": "eu-1"}, "page_total": 3,
         "origin": "api"},
        {"id": 3, "status": "live", "name": "c", "meta": {"rev": 5}, "source": {"region": "eu-3"}, "page_total": 3,
         "origin": "api"},
    ]
    properties = _schema_of(run, "items")["properties"]
    assert "internal" not in properties
    assert properties["meta"]["properties"] == {"rev": {"type": ["integer", "null"]}}
    assert properties["source"]["properties"]["region"] == {"type": ["string", "null"]}
    assert properties["page_total"] == {"type": ["integer", "null"]}
    assert properties["origin"] == {"type": ["string", "null"]}
    assert "records filtered by record_filter: 1" in run.stderr
    assert "schema evolved" not in run.stderr  # the declared schema already has the added fields
    assert "Unknown setting 'region'" not in run.stderr  # a setting read by add_fields is known


def test_a_child_adds_its_parent_and_partition_values(tmp_path: Path) -> None:
    kids = h.child("kids", "items", schema="kids.json", add_fields=[
        {"path": ["parent_name"], "value": "{{ parent.app_id }}/{{ stream_partition.app_id }}"},
        {"path": ["key"], "value": "{{ stream_slice.app_id * 10 + record.id }}", "value_type": "number"}],
        record_filter="{{ record.id > 1 }}")
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS[:2]})
        for parent in (1, 2):
            api.routes[f"/apps/{parent}/kids"] = h.Answer(200, {"data": [{"id": 1}, {"id": 2}, {"id": 3}]})
        run = _sync(tmp_path, api, h.resource(), kids).succeeded()

    kids_records = run.records("kids")
    assert [(r["app_id"], r["id"], r["parent_name"], r["key"]) for r in kids_records] == [
        (1, 2, "1/1", 12), (1, 3, "1/1", 13), (2, 2, "2/2", 22), (2, 3, "2/2", 23)]
    assert "Stream kids: records filtered by record_filter: 2" in run.stderr


def test_a_filtered_parent_gives_no_children(tmp_path: Path) -> None:
    kids = h.child("kids", "items", schema="kids.json")
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS})
        for parent in (1, 2, 3):
            api.routes[f"/apps/{parent}/kids"] = h.Answer(200, {"data": [{"id": parent}]})
        run = _sync(tmp_path, api, h.resource(record_filter="{{ record.status == 'live' }}"), kids).succeeded()
        asked = [request.path for request in api.received]

    assert [r["app_id"] for r in run.records("kids")] == [1, 3]
    assert "/apps/2/kids" not in asked
    assert "Stream items: records filtered by record_filter: 1" in run.stderr


def test_resource_defaults_shape_every_resource_unless_overridden(tmp_path: Path) -> None:
    defaults = {"remove_fields": [["internal"]], "add_fields": [{"path": ["kind"], "value": "default"}]}
    own = h.resource("own", "/items", add_fields=[{"path": ["kind"], "value": "own"}])
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS[:1]})
        run = _sync(tmp_path, api, h.resource(), own, resource_defaults=defaults).succeeded()

    assert run.records("items")[0]["kind"] == "default"
    assert "internal" not in run.records("items")[0]
    assert run.records("own")[0]["kind"] == "own"
    assert "internal" not in run.records("own")[0]  # remove_fields still from the defaults
    assert "internal" not in _schema_of(run, "own")["properties"]


def test_an_inferred_schema_reflects_the_shaping(tmp_path: Path) -> None:
    resource = {"name": "items", "primary_key": "id", "endpoint": {"path": "/items", "data_selector": "data"},
                "add_fields": [{"path": ["rev"], "value": "{{ record.meta.rev }}", "value_type": "integer"}],
                "remove_fields": [["meta"]]}
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS})
        path = h.write_description(tmp_path, resource, base_url=api.url)
        run = h.run_tap("--discover", config={"api_description": str(path), **h.FAST}, directory=tmp_path)

    catalog = json.loads(run.succeeded().stdout)
    properties = catalog["streams"][0]["schema"]["properties"]
    assert "meta" not in properties
    assert properties["rev"]["type"][0] == "integer"


def test_a_value_not_of_its_type_fails_in_one_line(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS})
        run = _sync(tmp_path, api, h.resource(add_fields=[
            {"path": ["n"], "value": "{{ record.name }}", "value_type": "integer"}]))

    h.assert_mentions(run.error(), "stream items", "'a' is not of value_type integer", "resources[0].add_fields")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"remove_fields": [["id"]]}, "resources[0].remove_fields[0]: removes 'id', the primary key 'id'",
                     id="primary-key"),
        pytest.param({"endpoint": {"incremental": {"cursor_path": "updatedAt"}},
                      "remove_fields": [["name"], ["updatedAt"]]},
                     "resources[0].remove_fields[1]: removes 'updatedAt', the replication key 'updatedAt'",
                     id="replication-key"),
        pytest.param({"record_filter": "{{ record.status ==  }}"}, "resources[0].record_filter: template", id="syntax"),
        pytest.param({"record_filter": "status != 'deleted'"}, "resources[0].record_filter: \"status != 'deleted'\" "
                     "is not one {{ ... }} expression over config, incremental, parent, record", id="not-a-template"),
        pytest.param({"add_fields": [{"path": ["x"], "value": "1", "value_type": "date"}]},
                     "resources[0].add_fields[0].value_type: 'date' is not allowed", id="value-type"),
        pytest.param({"add_fields": [{"path": [], "value": "1"}]}, "resources[0].add_fields[0].path", id="empty-path"),
        pytest.param({"add_fields": [{"path": ["x"], "value": "{{ record.a ==  }}"}]},
                     "resources[0].add_fields[0].value: template", id="value-template"),
        pytest.param({"remove_fields": ["internal"]}, "resources[0].remove_fields[0]", id="pointer-not-a-list"),
        pytest.param({"remove_fields": [["id", "x"]]}, None, id="nested-under-a-key-is-fine"),
    ],
)
def test_a_bad_shaping_key_is_one_line_before_any_request(
        fields: dict[str, t.Any], expected: str | None, tmp_path: Path) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS})
        endpoint = fields.pop("endpoint", {})
        run = _sync(tmp_path, api, h.resource(endpoint=endpoint, **fields))
        if expected is None:
            run.succeeded()
            return
        line = run.error()
        assert api.received == []

    h.assert_mentions(line, expected)


def test_a_parent_cannot_remove_the_field_its_children_read(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        run = _sync(tmp_path, api, h.resource(primary_key="name", remove_fields=[["id"]]),
                    h.child("kids", "items", schema="kids.json"))
        line = run.error()
        assert api.received == []

    h.assert_mentions(line, "resources[0].remove_fields[0]: removes 'id', the field 'id' child resource 'kids' "
                            "reads from each record; its children could not be requested")


def test_a_filter_the_sandbox_refuses_fails_in_one_line(tmp_path: Path) -> None:
    with h.CannedApi() as api:
        api.routes["/items"] = h.Answer(200, {"data": ITEMS})
        run = _sync(tmp_path, api, h.resource(record_filter="{{ record.__class__.__mro__ }}"))

    line = run.error()
    h.assert_mentions(line, "stream items", "is not allowed", "fix resources[0].record_filter")
    assert "<class" not in run.stderr
