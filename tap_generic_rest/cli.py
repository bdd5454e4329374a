"""Console entry point: runs the tap and turns user errors into one line and a non-zero exit.

Start-up counts (every run of a pipeline pays it): the SDK and the tap are imported only once the
command is known, after :mod:`deferred` has set aside the SDK dependencies a sync never uses, and
the dlt importer only for ``tap-generic-rest import``.
"""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import click

from tap_generic_rest.deferred import UNUSED_BY_A_SYNC, defer


@click.command("import")
@click.argument("pipeline", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--schemas-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Airbyte manifest: write the streams' schemas there (DIR/<stream>.json).")
@click.option("--skip-unsupported", is_flag=True,
              help="Airbyte manifest: import the streams that can be, leaving out (and naming) the others.")
def import_command(pipeline: Path, schemas_dir: Path | None, skip_unsupported: bool) -> None:
    """Write PIPELINE (a dlt pipeline file, or an Airbyte manifest.yaml) as a description (YAML) on stdout.

    The result is then loaded as the tap would load it: every problem is listed on stderr, one line
    each with its path (e.g. resources[3].endpoint.path: ...), and the exit status is non-zero when
    the description would not load. The draft is written to stdout either way, to be fixed by hand.
    An Airbyte manifest's unsupported parts are refused first, one line each with the manifest path.
    """
    from tap_generic_rest.importers.dlt import import_pipeline, setting_references, to_yaml
    from tap_generic_rest.settings import CONFIG_SCHEMA, SECRET_SETTINGS

    if pipeline.suffix.lower() in (".yaml", ".yml", ".json"):
        _import_manifest(pipeline, schemas_dir, skip_unsupported)
        return
    config = import_pipeline(pipeline)
    click.echo(to_yaml(config, pipeline), nl=False)
    unknown = [name for name in setting_references(config) if name not in CONFIG_SCHEMA["properties"]]
    if unknown:
        click.echo(f"tap-generic-rest import: note: {', '.join(unknown)} (from dlt.secrets/dlt.config) "
                   f"{'is not a tap setting' if len(unknown) == 1 else 'are not tap settings'}; rename "
                   f"each to one of {', '.join(SECRET_SETTINGS)} in the description", err=True)
    _check_loads(config, pipeline, pipeline.parent)


def _check_loads(description: dict[str, t.Any], origin: Path, root: Path) -> None:
    """List every problem of the imported description; raise when it would not load."""
    from tap_generic_rest.description.problems import description_problems
    from tap_generic_rest.errors import UserError

    problems = description_problems(description, origin=origin.name, root=root)
    for problem in problems:
        click.echo(f"tap-generic-rest import: problem: {problem}", err=True)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        msg = (f"the description imported from {origin} would not load ({count} listed above); "
               "the draft is on stdout: fix it there")
        raise UserError(msg)


def _import_manifest(manifest: Path, schemas_dir: Path | None, skip_unsupported: bool) -> None:
    """An Airbyte manifest: refusals, the description on stdout, then its problems as the tap sees them."""
    from tap_generic_rest.errors import UserError
    from tap_generic_rest.importers.airbyte import command
    from tap_generic_rest.importers.airbyte.load import is_manifest, read_document

    document = read_document(manifest)
    if not is_manifest(document):
        msg = (f"{manifest} is neither an Airbyte manifest (type: DeclarativeSource, streams) nor a dlt pipeline "
               "file (.py)")
        raise UserError(msg)
    imported = command.run(manifest, document, schemas_dir, skip_unsupported)
    _check_loads(imported.description, manifest, Path.cwd())  # schema paths are as given: from here


def run_import(args: list[str]) -> t.NoReturn:
    """``tap-generic-rest import PIPELINE.py``; errors are one line and a non-zero exit, as the tap's."""
    from tap_generic_rest.errors import UserError

    try:
        import_command.main(args=args, prog_name="tap-generic-rest import", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(f"tap-generic-rest: error: {exc}", err=True)
        sys.exit(1)
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    """Run ``tap-generic-rest`` with the Singer command line (or ``tap-generic-rest import PIPELINE.py``)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["import"]:
        run_import(args[1:])
    defer(*UNUSED_BY_A_SYNC)
    import simplejson
    from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, MapExpressionError, StreamMapConfigError

    from tap_generic_rest.errors import UserError, error_line
    from tap_generic_rest.run.logs import report_error, stream_map_error
    from tap_generic_rest.run.progress import PROGRESS
    from tap_generic_rest.run.refused import REFUSED
    from tap_generic_rest.run.writer import flush_writers
    from tap_generic_rest.tap import TapGenericRest

    PROGRESS.reset()
    REFUSED.reset()
    try:
        try:
            code = TapGenericRest.cli.main(args=argv, standalone_mode=False)
        finally:
            flush_writers()
            PROGRESS.summary()
        refused = REFUSED.error()
        if refused:
            raise UserError(refused)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (OSError, json.JSONDecodeError, simplejson.JSONDecodeError) as exc:  # --config/--state/--catalog
        report_error(error_line(f"tap-generic-rest: error: cannot read a --config, --state or --catalog file: {exc}"))
        sys.exit(1)
    except (MapExpressionError, StreamMapConfigError) as exc:
        report_error(error_line(f"tap-generic-rest: error: {stream_map_error(exc)}"))
        sys.exit(1)
    except (UserError, FatalAPIError, ConfigValidationError) as exc:
        detail = "; ".join(getattr(exc, "errors", None) or []) or str(exc)
        report_error(error_line(f"tap-generic-rest: error: {detail}"))
        sys.exit(1)
    except MemoryError:
        report_error("tap-generic-rest: error: the tap ran out of memory; a response or a description value is too "
                     "large for this machine (see docs/troubleshooting.md, resource limits)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
