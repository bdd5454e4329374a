"""``python -m tap_generic_rest.sandbox``: same as ``tap-generic-rest-sandbox``."""

import sys

from .cli import main

sys.exit(main())
