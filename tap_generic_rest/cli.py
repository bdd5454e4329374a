"""Console entry point: runs the tap and turns user errors into one line and a non-zero exit."""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import click
import simplejson
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_generic_rest.errors import REDACTOR, UserError
from tap_generic_rest.importer import import_pipeline, to_yaml
from tap_generic_rest.tap import TapGenericRest

USER_ERRORS = (UserError, FatalAPIError, ConfigValidationError)


@click.command("import")
@click.argument("pipeline", type=click.Path(dir_okay=False, path_type=Path))
def import_command(pipeline: Path) -> None:
    """Write the rest_api config of the dlt pipeline file PIPELINE as a description (YAML) on stdout."""
    click.echo(to_yaml(import_pipeline(pipeline), pipeline), nl=False)


def run_import(args: list[str]) -> t.NoReturn:
    """``tap-generic-rest import PIPELINE.py``; errors are one line and a non-zero exit, as the tap's."""
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
    try:
        code = TapGenericRest.cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (OSError, json.JSONDecodeError, simplejson.JSONDecodeError) as exc:  # --config/--state/--catalog
        click.echo(f"tap-generic-rest: error: cannot read a --config, --state or --catalog file: {exc}", err=True)
        sys.exit(1)
    except USER_ERRORS as exc:
        detail = "; ".join(getattr(exc, "errors", None) or []) or str(exc)
        click.echo(f"tap-generic-rest: error: {REDACTOR.text(detail)}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
