"""The parent graph of a description's resources: unique names, known parents, no cycles, agreeing siblings."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from tap_generic_rest.description.model import Parent, Resource
    from tap_generic_rest.description.where import Where


def children_of(resources: t.Sequence[Resource], where: Where) -> dict[str, tuple[str, ...]]:
    """Each resource's children by name, in order, once the graph is checked (errors at ``where``, the root)."""
    by_name = _by_name(resources, where)
    children: dict[str, list[str]] = {resource.name: [] for resource in resources}
    for resource in resources:
        if resource.parent is None:
            continue
        parent = by_name.get(resource.parent.resource)
        at = where.at(f"{resource.where}.endpoint")
        if parent is None:
            raise at.error(f"refers to non existing parent resource {resource.parent.resource!r}; "
                           f"resources: {', '.join(by_name)}")
        _check_cycle(resource, by_name, at)
        _check_parent_fields(resource, parent, at)
        _check_siblings(resource, [by_name[name] for name in children[parent.name]], where)
        children[parent.name].append(resource.name)
    return {name: tuple(names) for name, names in children.items()}


def _by_name(resources: t.Sequence[Resource], where: Where) -> dict[str, Resource]:
    by_name: dict[str, Resource] = {}
    for resource in resources:
        if resource.name in by_name:
            raise where.at(f"{resource.where}.name").error(
                f"duplicate resource name {resource.name!r} (also {by_name[resource.name].where}); "
                "names must be unique")
        by_name[resource.name] = resource
    return by_name


def _check_cycle(resource: Resource, by_name: dict[str, Resource], at: Where) -> None:
    chain = [resource.name]
    node: Resource | None = by_name[t.cast("Parent", resource.parent).resource]
    while node is not None:
        if node.name in chain:
            cycle = [*chain[chain.index(node.name):], node.name]
            raise at.error(f"cycle {' -> '.join(cycle)}; a parent cannot descend from its child")
        chain.append(node.name)
        node = by_name.get(node.parent.resource) if node.parent else None


def _check_parent_fields(resource: Resource, parent: Resource, at: Where) -> None:
    properties = (parent.schema or {}).get("properties")
    for parent_field in t.cast("Parent", resource.parent).fields.values():
        if properties is not None and parent_field.isidentifier() and parent_field not in properties:
            raise at.error(f"{parent_field!r} is not a property of {parent.name}'s schema")


def _check_siblings(resource: Resource, siblings: list[Resource], where: Where) -> None:
    for sibling in siblings:
        for key, parent_field in t.cast("Parent", resource.parent).fields.items():
            other = t.cast("Parent", sibling.parent).fields.get(key, parent_field)
            if other != parent_field:
                raise where.at(f"{resource.where}.parent_fields.{key}").error(
                    f"{sibling.name} takes {key!r} from {other!r}, this resource from {parent_field!r}; "
                    "children of one parent must agree, rename one key")
