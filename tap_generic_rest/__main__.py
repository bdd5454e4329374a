"""``python -m tap_generic_rest``."""

from tap_generic_rest.cli import main

main()
