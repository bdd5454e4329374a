"""Console entry point: runs the tap and turns user errors into one line and a non-zero exit."""

from __future__ import annotations

import json
import sys

import click
import simplejson
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, MapExpressionError, StreamMapConfigError

from tap_generic_rest.errors import REDACTOR, UserError
from tap_generic_rest.logs import report_error, stream_map_error
from tap_generic_rest.progress import PROGRESS
from tap_generic_rest.tap import TapGenericRest

USER_ERRORS = (UserError, FatalAPIError, ConfigValidationError)


def main(argv: list[str] | None = None) -> None:
    """Run ``tap-generic-rest`` with the Singer command line."""
    try:
        try:
            code = TapGenericRest.cli.main(args=argv, standalone_mode=False)
        finally:
            PROGRESS.summary()
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (OSError, json.JSONDecodeError, simplejson.JSONDecodeError) as exc:  # --config/--state/--catalog
        report_error(f"tap-generic-rest: error: cannot read a --config, --state or --catalog file: {exc}")
        sys.exit(1)
    except (MapExpressionError, StreamMapConfigError) as exc:
        report_error(f"tap-generic-rest: error: {REDACTOR.text(stream_map_error(exc))}")
        sys.exit(1)
    except USER_ERRORS as exc:
        detail = "; ".join(getattr(exc, "errors", None) or []) or str(exc)
        report_error(f"tap-generic-rest: error: {REDACTOR.text(detail)}")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
