"""Bad ``partitions`` and ``group_parents`` fail before any request, with one line naming the exact path."""

from __future__ import annotations

import json
import typing as t

import pytest

from tap_generic_rest.description.load import parse_description
from tap_generic_rest.errors import DescriptionError
from tests.unit.test_description_errors import ITEMS_SCHEMA, child, document, item

if t.TYPE_CHECKING:
    from pathlib import Path

R = {"name": "region", "values": ["eu", "us"]}
KIDS = "/apps/{resources.apps.id}/kids"


def regional(*partitions: dict[str, t.Any], path: str = "/r/{region}", **endpoint: t.Any) -> dict[str, t.Any]:
    """A description of one resource fanned out over ``partitions``."""
    return document(item(endpoint={"path": path, **endpoint}, partitions=list(partitions)))


def grouped(path: str = KIDS, endpoint: dict[str, t.Any] | None = None, **group: t.Any) -> dict[str, t.Any]:
    """A description of apps and their kids, grouped by ``group``."""
    return document(item("apps"), child("kids", "apps", endpoint={"path": path, **(endpoint or {})},
                                        group_parents=group))


BAD = [
    pytest.param(regional(R, path="/r/{regoin}/items"),
                 "resources[0].endpoint.path: {regoin} in the path has no param or partition (region) of that name",
                 id="unknown-placeholder"),
    pytest.param(regional(R, path="/items", params={"r": "{{ stream_partition.regoin }}"}),
                 "resources[0].endpoint.params: {{ stream_partition.regoin }} names no partition (partitions: region)",
                 id="unknown-stream-partition"),
    pytest.param(document(item("apps"), child("kids", "apps", partitions=[{"name": "app_id", "values": [1]}])),
                 "resources[1].partitions[0].name: partition name 'app_id' is also the key of a value taken from "
                 "the parent (app_id); rename the partition",
                 id="clash-with-parent"),
    pytest.param(regional(R, R),
                 "resources[0].partitions[1].name: partition name 'region' is used twice; each list needs its own name",
                 id="duplicate-name"),
    pytest.param(regional({"name": "region", "values": ["eu", "eu"]}),
                 "resources[0].partitions[0].values: lists 'eu' twice; each value must be unique",
                 id="duplicate-values"),
    pytest.param(regional({"name": "region", "values": []}),
                 "resources[0].partitions[0].values: [] should be non-empty",
                 id="empty-list"),
    pytest.param(regional({"name": "region", "values": "{{ parent.x }}"}),
                 "resources[0].partitions[0].values: '{{ parent.x }}' may only read the settings (config), not parent",
                 id="template-not-over-settings"),
    pytest.param(regional({"name": "region", "values": "eu,us"}),
                 "resources[0].partitions[0].values: 'eu,us' must be a list or one template over the settings, "
                 'such as "{{ config.regions }}" (a setting holding a JSON array)',
                 id="not-a-template"),
    pytest.param(regional({"name": "re-gion", "values": ["eu"]}),
                 "resources[0].partitions[0].name: 're-gion' is not a valid name; use lowercase letters, digits and "
                 "underscores, e.g. api_key",
                 id="bad-name"),
    pytest.param(regional({**R, "include_in_record": True}),
                 "resources[0].schema: 'region' is a key or an added field but not a property of items.json; "
                 "properties: id, app_id, updatedAt",
                 id="included-but-not-in-schema"),
    pytest.param(grouped(size=0),
                 "resources[1].group_parents.size: 0 is too small; use a number of at least 1",
                 id="size-0"),
    pytest.param(document(item(group_parents={"size": 2})),
                 "resources[0].group_parents: group_parents is only allowed on a resource that depends on another "
                 "(use {resources.<parent>.<field>} in its endpoint)",
                 id="no-parent"),
    pytest.param(grouped(size=2, style="repeat", record_parent_field="app_id"),
                 "resources[1].group_parents.style: repeat sends the parent values as a repeated query parameter, "
                 "so the parent placeholder must be the whole value of an endpoint.params entry "
                 "(found '/apps/{resources.apps.id}/kids' in endpoint.path); or use style join",
                 id="repeat-needs-a-param"),
    pytest.param(grouped("/kids", {"params": {"ids": "{resources.apps.id}"}}, size=2, style="json",
                         record_parent_field="app_id"),
                 "resources[1].group_parents.style: json sends the parent values as a JSON array, so the parent "
                 "placeholder must be a whole value in endpoint.json (found '{resources.apps.id}' in "
                 "endpoint.params); or use style join",
                 id="json-needs-the-body"),
    pytest.param(grouped(size=2),
                 "resources[1].group_parents.record_parent_field: is needed to add app_id (include_from_parent / "
                 "parent_fields) to each record: name the record field that holds its parent's value",
                 id="fields-from-parent-need-attribution"),
    pytest.param(grouped(endpoint={"incremental": {"cursor_path": "updatedAt"}}, size=2, record_parent_field="app_id"),
                 "resources[1].group_parents: group_parents cannot be combined with incremental (one request "
                 "serves several parents, whose bookmarks differ); drop one of them",
                 id="incremental"),
    pytest.param(grouped(KIDS + "/{resources.apps.app_id}", size=2, record_parent_field="app_id"),
                 "resources[1].group_parents: group_parents groups one parent value per request; the endpoint uses "
                 "2 (_apps_app_id, app_id); keep one parent placeholder",
                 id="two-parent-values"),
    pytest.param(grouped(size=2, style="comma"),
                 "resources[1].group_parents.style: 'comma' is not allowed; use one of: join, repeat, json",
                 id="unknown-style"),
]


@pytest.mark.parametrize(("doc", "expected"), BAD)
def test_a_bad_partition_or_grouping_names_its_place(tmp_path: Path, doc: dict[str, t.Any], expected: str) -> None:
    (tmp_path / "items.json").write_text(json.dumps(ITEMS_SCHEMA), encoding="utf-8")
    with pytest.raises(DescriptionError) as caught:
        parse_description(doc, origin="test", root=tmp_path)
    assert str(caught.value) == "invalid API description test: " + expected


def test_good_partitions_and_groupings_load(tmp_path: Path) -> None:
    (tmp_path / "items.json").write_text(json.dumps(ITEMS_SCHEMA), encoding="utf-8")
    apps = item("apps", endpoint={"path": "/r/{region}/apps", "headers": {"X-R": "{{ stream_partition.region }}"}},
                partitions=[R, {"name": "kind", "values": "{{ config.kinds }}"}])
    kids = child("kids", "apps", endpoint={"path": "/kids", "params": {"ids": "{resources.apps.id}"}},
                 group_parents={"size": 3, "style": "repeat", "record_parent_field": "app_id"})
    built_apps, built_kids = parse_description(document(apps, kids), origin="test", root=tmp_path).resources
    assert [p.name for p in built_apps.partitions] == ["region", "kind"]
    assert built_apps.partitions[0].resolve({}) == ("eu", "us")
    assert built_apps.partitions[1].resolve({"kinds": '["a", 1, true]'}) == ("a", 1, True)
    assert built_apps.partitions[1].setting == "kinds"
    assert ("kinds", "test: resources[0].partitions[1].values") in built_apps.setting_reads
    grouping = built_kids.group_parents
    assert grouping is not None
    assert (grouping.size, grouping.style, grouping.key, grouping.deduplicate) == (3, "repeat", "app_id", True)
    assert grouping.value((1, 2)) == [1, 2]
