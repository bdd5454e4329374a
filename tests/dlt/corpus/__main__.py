"""``python -m tests.dlt.corpus [-v]``: the acceptance figure (-v: every unexpected outcome too)."""

from __future__ import annotations

import logging
import sys

from tests.dlt.corpus import figure, measure

logging.disable(logging.WARNING)
measured = measure()
if "-v" in sys.argv:
    for group_results in measured.values():
        for result in group_results:
            if result.accepted == (result.group in ("invalid", "python_only")):
                print(f"{result.group} {result.id}: {result.message or 'ACCEPTED'}")
print(figure(measured))
