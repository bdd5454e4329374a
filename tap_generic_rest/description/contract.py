"""dlt's ``schema_contract``: what a sync does with a key or a value type the stream's schema lacks.

A resource's (or ``resource_defaults``') ``schema_contract`` is a mode for every entity, or a dict
of modes by entity (``tables``, ``columns``, ``data_type``), as in dlt. ``columns`` governs keys new
to the schema (top-level or nested), ``data_type`` values of a type the schema lacks; ``tables``
changes nothing in a Singer run (a stream's table is declared by its first SCHEMA message). The
JSON Schema of the format checks the values; the modes are applied by ``streams/evolution.py``.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

#: dlt's modes, in the order the docs list them
MODES = ("evolve", "freeze", "discard_row", "discard_value")
#: the entities of a dict contract
ENTITIES = ("tables", "columns", "data_type")


@dataclass(frozen=True)
class SchemaContract:
    """The modes a stream applies to new keys (``columns``) and new value types (``data_type``)."""

    columns: str = "evolve"
    data_type: str = "evolve"

    @property
    def evolves(self) -> bool:
        """Whether every change is simply added to the schema (dlt's default)."""
        return self.columns == self.data_type == "evolve"


def schema_contract(spec: object) -> SchemaContract:
    """The contract of a (validated) ``schema_contract`` value; absent: evolve."""
    if spec is None:
        return SchemaContract()
    if isinstance(spec, str):
        return SchemaContract(columns=spec, data_type=spec)
    modes = t.cast("dict[str, str]", spec)
    return SchemaContract(columns=modes.get("columns", "evolve"), data_type=modes.get("data_type", "evolve"))
