"""``python -m generic_rest_sandbox``: same as ``tap-generic-rest-sandbox``."""

import sys

from .cli import main

sys.exit(main())
