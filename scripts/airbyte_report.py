"""Run ``tap-generic-rest import`` over every ``manifest.yaml`` below a folder and print the figures.

    python scripts/airbyte_report.py FOLDER [--top N] [--glob manifest.yaml]

Per manifest: **refused** (at least one refusal), else **imported** (a description was written); an
imported one is **loaded** when the description loads as the tap would load it (no problem listed). With
``--skip-unsupported`` in mind, the streams that would still import are counted too. Then the top refusal
reasons (the manifest path taken out, counted once per manifest) and the top load problems. Nothing is
sent anywhere; the manifests are only read.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import typing as t
from pathlib import Path

from tap_generic_rest.description.problems import description_problems
from tap_generic_rest.errors import UserError
from tap_generic_rest.importers.airbyte.load import is_manifest, read_document
from tap_generic_rest.importers.airbyte.manifest import import_manifest

_QUOTED = re.compile(r"'[^']{31,}'|\"[^\"]{31,}\"")  # long quoted values (expressions); names are kept
_CLASS = re.compile(r" \([\w.]+ in components\.py\)")
_INDEX = re.compile(r"\[\d+\]")


class Figures(t.NamedTuple):
    """What one run over a folder found."""

    manifests: int
    imported: int
    loaded: int
    refused: int
    unreadable: int
    streams: int
    streams_kept: int
    reasons: collections.Counter[str]
    problems: collections.Counter[str]


def reason(line: str) -> str:
    """A refusal or problem line without its path and specifics, so alike lines count together."""
    message = line.split(": ", 1)[1] if ": " in line else line
    return _INDEX.sub("[i]", _QUOTED.sub("'…'", _CLASS.sub("", message)))[:160]


def measure(folder: Path, pattern: str = "manifest.yaml") -> Figures:
    """Import every manifest below ``folder`` (files named by ``pattern``)."""
    counts = collections.Counter[str]()
    reasons = collections.Counter[str]()
    problems = collections.Counter[str]()
    for path in sorted(folder.rglob(pattern)):
        counts["manifests"] += 1
        try:
            document = read_document(path)
            if not is_manifest(document):
                raise UserError("not a manifest")
            result = import_manifest(path, document)
        except (UserError, RecursionError, TypeError, AttributeError, ValueError) as exc:
            counts["unreadable"] += 1
            reasons[f"cannot be read: {reason(str(exc))}"] += 1
            continue
        total = len(t.cast("list[object]", t.cast("dict[str, t.Any]", document).get("streams") or []))
        counts["streams"] += total
        counts["streams_kept"] += sum(1 for r in result.description["resources"] if r.get("selected", True))
        if result.issues.refusals:
            counts["refused"] += 1
            reasons.update({reason(line) for line in result.issues.refusals})
            continue
        counts["imported"] += 1
        found = description_problems(result.description, origin=path.name, root=path.parent)
        if found:
            problems.update({reason(line) for line in found})
        else:
            counts["loaded"] += 1
    return Figures(counts["manifests"], counts["imported"], counts["loaded"], counts["refused"], counts["unreadable"],
                   counts["streams"], counts["streams_kept"], reasons, problems)


def report(figures: Figures, top: int) -> str:
    """The figures as text."""
    share = (lambda n: f"{n} ({100 * n / figures.manifests:.0f}%)") if figures.manifests else str
    lines = [f"manifests: {figures.manifests}", f"imported: {share(figures.imported)}",
             f"loaded: {share(figures.loaded)} (imported and loading as the tap loads them)",
             f"refused: {share(figures.refused)}", f"unreadable: {share(figures.unreadable)}",
             f"streams: {figures.streams}; importable with --skip-unsupported: {figures.streams_kept}",
             "", "top refusal reasons (manifests):"]
    lines += [f"  {count:5d}  {text}" for text, count in figures.reasons.most_common(top)]
    lines += ["", "top load problems of imported manifests (manifests):"]
    lines += [f"  {count:5d}  {text}" for text, count in figures.problems.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--glob", default="manifest.yaml", help="the manifests' file names (default manifest.yaml)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"airbyte_report: {args.folder} is not a folder", file=sys.stderr)
        return 1
    print(report(measure(args.folder, args.glob), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
