"""Deferred imports: SDK dependencies a tap run never uses, imported on their first real use.

The SDK imports ``joblib`` (for targets' parallel sink draining) and ``upath`` (with ``fsspec``
and ``asyncio``: for BATCH messages) at import time; together they were ~40 % of the tap's start-up
(measured with ``python -X importtime``), paid on every run, mostly by runs that never use them.
The SDK only *calls* the names it takes from them (``from upath import UPath`` ... ``UPath(url)``),
so a module that hands out forwarding callables keeps every use working: the first call imports the
real module. Installed by the console entry point only, before the SDK is first imported.
"""

from __future__ import annotations

import importlib
import sys
import types
import typing as t

#: modules the SDK imports eagerly but a sync calls only for BATCH output or never (targets)
UNUSED_BY_A_SYNC = ("joblib", "upath")


class _Forward:
    """A name taken from a deferred module: calling it (or reading an attribute) imports the module."""

    def __init__(self, module: DeferredModule, name: str) -> None:
        self._module = module
        self._name = name

    def _target(self) -> t.Any:
        return getattr(self._module.load(), self._name)

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Call the real object."""
        return self._target()(*args, **kwargs)

    def __getattr__(self, name: str) -> t.Any:
        """An attribute of the real object."""
        return getattr(self._target(), name)


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet."""

    def __getattr__(self, name: str) -> t.Any:
        """``from module import name``: a forwarder (dunder names are not forwarded)."""
        if name.startswith("__"):
            raise AttributeError(name)
        return _Forward(self, name)

    def load(self) -> types.ModuleType:
        """The real module (imported now if it was not)."""
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return importlib.import_module(self.__name__)


def defer(*names: str) -> None:
    """Defer importing ``names`` (those not imported yet)."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = DeferredModule(name)
