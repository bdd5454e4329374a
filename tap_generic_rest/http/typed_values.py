"""Text values (CSV fields, XML text) read as the types a declared schema gives them.

A CSV or XML body holds only text. A top-level property the resource's declared schema types as
``integer``, ``number`` or ``boolean`` — and not also ``string`` — is converted: ``"12"`` -> 12,
``"1.50"`` -> Decimal("1.50"), ``"true"``/``"false"`` (also ``1``/``0``, ``yes``/``no``, any case) -> a
boolean, an empty field -> null where the property is nullable. A value that does not read as its type is
a :class:`ValueError` naming the column (the decoder adds the line). Every other value stays as it came.
"""

from __future__ import annotations

import decimal
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable

Typer = t.Callable[[dict[str, t.Any]], dict[str, t.Any]]
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _integer(text: str) -> object:
    return int(text)


def _number(text: str) -> object:
    """An integer where the text is one, else a Decimal (as JSON numbers are read)."""
    try:
        return int(text)
    except ValueError:
        number = decimal.Decimal(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


def _boolean(text: str) -> object:
    return _BOOLEANS[text.strip().lower()]


_READERS: dict[str, Callable[[str], object]] = {"integer": _integer, "number": _number, "boolean": _boolean}


def schema_typer(schema: dict[str, t.Any] | None) -> Typer | None:
    """The converter of a declared ``schema`` (None: no property needs one)."""
    readers: dict[str, tuple[str, Callable[[str], object], bool]] = {}
    for name, spec in ((schema or {}).get("properties") or {}).items():
        types = spec.get("type", []) if isinstance(spec, dict) else []
        types = [types] if isinstance(types, str) else list(types)
        if "string" in types:
            continue
        kind = next((kind for kind in ("integer", "number", "boolean") if kind in types), None)
        if kind is not None:
            readers[name] = (kind, _READERS[kind], "null" in types)
    if not readers:
        return None

    def typed(record: dict[str, t.Any]) -> dict[str, t.Any]:
        for name, (kind, read, nullable) in readers.items():
            value = record.get(name)
            if not isinstance(value, str):
                continue
            if value == "" and nullable:
                record[name] = None
                continue
            try:
                record[name] = read(value)
            except (ValueError, KeyError, decimal.InvalidOperation):
                msg = f"column {name!r} is {value[:40]!r}, not the {kind} the schema declares"
                raise ValueError(msg) from None
        return record

    return typed
