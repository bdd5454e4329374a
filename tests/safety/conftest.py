"""Hooks of the safety tests (helpers are in :mod:`tests.safety.helpers`)."""

from __future__ import annotations

import typing as t

from tests.safety.helpers import FIGURES


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    """Report the figures the safety tests measured."""
    for title, values in FIGURES.items():
        if values:
            worst = max(values, key=lambda case: values[case])
            terminalreporter.write_line(f"safety: {title}: {len(values)} cases, max {values[worst]:.2f} s ({worst})")
