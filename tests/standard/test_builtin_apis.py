"""The SDK's standard tap tests, for every built-in API, against the sandbox over real HTTP."""

from __future__ import annotations

import atexit

from generic_rest_sandbox import Sandbox
from singer_sdk.testing import get_tap_test_class

from tap_generic_rest.description.load import BUILTIN_APIS
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config

# get_tap_test_class needs the config when the module is imported, so this module starts its own
# sandbox then (an ephemeral port) and stops it at exit.
SANDBOX = Sandbox(port=0)
SANDBOX.start()
atexit.register(SANDBOX.stop)

for _api in BUILTIN_APIS:
    globals()[f"TestStandard_{_api}"] = get_tap_test_class(
        tap_class=TapGenericRest,
        config=sandbox_config(SANDBOX, _api),
    )
