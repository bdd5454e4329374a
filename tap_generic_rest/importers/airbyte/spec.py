"""The connector's ``spec``: its config fields become tap settings.

Each property of ``connection_specification`` is a setting of the same name; a nested object's
properties are flattened to ``<parent>_<child>`` (``credentials: {access_token}`` gives
``credentials_access_token``; every branch of a ``oneOf`` is flattened the same way, so the names of all
branches are settings); a name's non-word characters become ``_``. ``airbyte_secret: true`` marks a
secret. The importer lists the settings in the description's header, as a Meltano ``settings:`` block to
paste (secrets ``sensitive: true``; a spec ``default`` is the setting's ``value``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing as t

_KINDS = {"integer": "integer", "number": "integer", "boolean": "boolean", "array": "array", "object": "object"}


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting from the spec."""

    name: str
    path: tuple[str, ...]
    kind: str
    secret: bool
    description: str
    required: bool
    default: object = None


def settings_of(spec: object) -> list[Setting]:
    """The settings of a ``Spec`` component (or none)."""
    schema = spec.get("connection_specification") if isinstance(spec, dict) else None
    found: dict[str, Setting] = {}
    if isinstance(schema, dict):
        _walk(schema, (), set(schema.get("required") or []), found)
    return list(found.values())


def setting_names(settings: list[Setting]) -> dict[tuple[str, ...], str]:
    """The flattening: config path -> setting name."""
    return {setting.path: setting.name for setting in settings}


def _walk(schema: dict[str, t.Any], path: tuple[str, ...], required: set[str], found: dict[str, Setting]) -> None:
    branches = [schema, *(b for b in schema.get("oneOf") or schema.get("anyOf") or [] if isinstance(b, dict))]
    for branch in branches:
        for key, prop in (branch.get("properties") or {}).items():
            if not isinstance(prop, dict):
                continue
            here = (*path, str(key))
            if _is_object(prop):
                _walk(prop, here, set(prop.get("required") or []), found)
                continue
            name = re.sub(r"\W", "_", "_".join(here))
            if name in found or (len(here) > 1 and prop.get("const") is not None):
                continue  # a oneOf branch's discriminator (auth_type: const) needs no setting
            found[name] = Setting(name=name, path=here, kind=_kind(prop), secret=bool(prop.get("airbyte_secret")),
                                  description=str(prop.get("title") or prop.get("description") or "").strip(),
                                  required=key in required and len(here) == 1, default=prop.get("default"))


def _is_object(prop: dict[str, t.Any]) -> bool:
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return ("object" in kinds and bool(prop.get("properties") or prop.get("oneOf") or prop.get("anyOf"))) \
        or (kind is None and bool(prop.get("oneOf")))


def _kind(prop: dict[str, t.Any]) -> str:
    kind = prop.get("type")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if k != "null"]
    if prop.get("format") in ("date-time", "date"):
        return "date_iso8601"
    return _KINDS.get(str(kinds[0]) if kinds else "string", "string")


def meltano_block(settings: list[Setting]) -> list[str]:
    """The settings as a Meltano ``settings:`` block (commented lines for the description's header)."""
    lines = ["settings:"]
    for setting in settings:
        lines += [f"  - name: {setting.name}", f"    kind: {setting.kind}"]
        if setting.secret:
            lines.append("    sensitive: true")
        if setting.description:
            lines.append(f"    label: {json.dumps(setting.description.replace(chr(10), ' ')[:100])}")
        if setting.default is not None and not setting.secret:
            lines.append(f"    value: {json.dumps(setting.default)}")
    return lines
