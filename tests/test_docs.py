"""The README stays short, and every repository path and link the README and docs/ mention exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"(?<![\w./-])((?:docs|tests|tap_generic_rest|sandbox|scripts|catalogs|plugins)/[\w./<>*-]*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
README_MAX_BYTES = 12 * 1024


def _slug(heading: str) -> str:
    heading = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#+\s+(.*)$", document.read_text(encoding="utf-8"), re.MULTILINE)}


def test_the_readme_is_short() -> None:
    assert (ROOT / "README.md").stat().st_size <= README_MAX_BYTES


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_path_mentioned_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    mentioned = {p.rstrip(".") for p in PATH.findall(text)}
    missing = [p for p in sorted(mentioned) if not list(ROOT.glob(re.sub(r"<[^>]+>", "*", p)))]
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_resolves(document: Path) -> None:
    broken = []
    for link in sorted(set(LINK.findall(document.read_text(encoding="utf-8")))):
        if link.startswith(("http://", "https://")):
            continue
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(link)
    assert broken == []
