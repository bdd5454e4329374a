"""``tap-generic-rest import manifest.yaml``: the output of an Airbyte import.

Refusals are listed first, one line each (``tap-generic-rest import: refused: <path>: ...``); with any
and without ``--skip-unsupported`` nothing is written and the exit is non-zero. Warnings follow, one line
each. The description is written to stdout with a header naming the settings from the spec (a Meltano
``settings:`` block to paste), the schemas to ``--schemas-dir``; then the description is loaded as the tap
would load it (see ``description/problems.py``).
"""

from __future__ import annotations

import json
import re
import typing as t

import click
import yaml

from tap_generic_rest.errors import UserError
from tap_generic_rest.importers.airbyte.manifest import Imported, import_manifest
from tap_generic_rest.importers.airbyte.spec import meltano_block

if t.TYPE_CHECKING:
    from pathlib import Path

PREFIX = "tap-generic-rest import"


def run(manifest: Path, document: object, schemas_dir: Path | None, skip_unsupported: bool) -> Imported:
    """Import, print, write the schemas; raise :class:`UserError` when refused or when it would not load."""
    imported = import_manifest(manifest, document)
    for line in imported.issues.refusals:
        click.echo(f"{PREFIX}: refused: {line}", err=True)
    for line in imported.issues.warnings:
        click.echo(f"{PREFIX}: warning: {line}", err=True)
    refused = imported.issues.refusals
    if refused and not skip_unsupported:
        count = f"{len(refused)} unsupported part{'s' if len(refused) > 1 else ''}"
        msg = (f"{manifest} cannot be imported ({count} listed above); --skip-unsupported imports the other "
               "streams")
        raise UserError(msg)
    for line in imported.skipped:
        click.echo(f"{PREFIX}: left out: {line}", err=True)
    if schemas_dir is not None:
        write_schemas(imported, schemas_dir)
    elif imported.schemas:
        click.echo(f"{PREFIX}: note: {len(imported.schemas)} stream schema(s) in the manifest are not written; "
                   "pass --schemas-dir DIR to keep them (else they are inferred at discovery)", err=True)
    click.echo(to_yaml(imported, manifest), nl=False)
    return imported


def write_schemas(imported: Imported, schemas_dir: Path) -> None:
    """Each schema as ``DIR/<stream>.json`` (other characters than letters, digits, ``_.-`` as ``_``)."""
    schemas_dir.mkdir(parents=True, exist_ok=True)
    for resource in imported.description["resources"]:
        schema = imported.schemas.get(resource["name"])
        if schema is None:
            continue
        target = schemas_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', resource['name']).lstrip('.')}.json"
        target.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        resource["schema"] = str(target)


def to_yaml(imported: Imported, origin: Path) -> str:
    """The description with a header: where it came from, and the settings it reads."""
    body = yaml.safe_dump(imported.description, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=120)
    header = [f"imported from {origin.name} (an Airbyte manifest) by `tap-generic-rest import`"]
    if imported.settings:
        secrets = [setting.name for setting in imported.settings if setting.secret]
        header.append("The connector's settings (pass them in --config; in meltano.yml declare them under the "
                      "plugin's settings:" + (f" secrets: {', '.join(secrets)}" if secrets else "") + "):")
        header += meltano_block(imported.settings)
    return "".join(f"# {line}\n" for line in header) + body
