"""A place in a description (its file and the path inside it): the one error context of loading."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_generic_rest.errors import DescriptionError, UserError

T = t.TypeVar("T")


@dataclass(frozen=True)
class Where:
    """A description file (or built-in API) and a path inside it, e.g. ``resources[2].endpoint``."""

    file: str
    path: str = ""

    def at(self, key: str) -> Where:
        """The place of ``key`` (may be dotted: ``endpoint.paginator``) inside this one."""
        return Where(self.file, f"{self.path}.{key}" if self.path else key)

    def item(self, index: int) -> Where:
        """The place of item ``index`` of the list here."""
        return Where(self.file, f"{self.path}[{index}]")

    def error(self, message: str) -> DescriptionError:
        """The error to raise for a problem here."""
        return DescriptionError(self.file, self.path, message)

    def checked(self, build: t.Callable[[], T]) -> T:
        """``build()``; a user error it raises (a template that does not compile) becomes this place's error."""
        try:
            return build()
        except UserError as exc:
            raise self.error(str(exc)) from None

    def __str__(self) -> str:
        """``file: path``, as warnings name a place."""
        return f"{self.file}: {self.path}"
