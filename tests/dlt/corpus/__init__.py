"""The acceptance corpus: dlt's own test configs and docs configs, and how the tap takes each.

Groups (one JSON file each, ``entries`` with ``id``, ``source`` and the config):

- ``valid``: every pure-data config of dlt's tests that dlt accepts (``extract.py`` regenerates it);
- ``docs``: configs from dlt's rest_api docs and examples, hosts and names neutral (written by hand);
- ``invalid``: configs dlt's tests expect rejected, with dlt's expected message;
- ``python_only``: configs holding Python objects, as the Python source a user would import.

``measure()`` loads every config the way a user gives it (a description file named by the
``api_description`` setting; a Python file through ``tap-generic-rest import``) and builds the stream
classes, making no request. ``python -m tests.dlt.corpus`` prints the acceptance figure.
"""

from __future__ import annotations

import json
import tempfile
import typing as t
from dataclasses import dataclass
from pathlib import Path

from tap_generic_rest.description import load_description
from tap_generic_rest.errors import UserError
from tap_generic_rest.importer import PipelineImportError, import_pipeline
from tap_generic_rest.streams import build_stream_classes

HERE = Path(__file__).parent
GROUPS = ("valid", "docs", "invalid", "python_only")


@dataclass(frozen=True)
class Outcome:
    """How the tap took one corpus entry."""

    group: str
    id: str
    accepted: bool
    #: the one-line refusal ("" when accepted)
    message: str
    streams: tuple[str, ...] = ()


def entries(group: str) -> list[dict[str, t.Any]]:
    """The entries of one corpus group."""
    document = json.loads((HERE / f"{group}.json").read_text(encoding="utf-8"))
    return t.cast("list[dict[str, t.Any]]", document["entries"])


def load(config: dict[str, t.Any], directory: Path) -> tuple[str, ...]:
    """Load a dlt config as a user's description and build its stream classes (no request).

    This is the tap's own path for the ``api_description`` setting (``TapGenericRest.description``);
    the tap object itself is not built, as its discovery would sample the (unreachable) API.
    """
    path = directory / "api.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return tuple(cls.name for cls in build_stream_classes(load_description(path)))


def import_python(source: str, directory: Path) -> dict[str, t.Any]:
    """Import a Python-only config the way a user would: ``tap-generic-rest import PIPELINE.py``."""
    path = directory / "pipeline.py"
    path.write_text(f"from dlt.sources.rest_api import rest_api_source\n\nsource = rest_api_source({source})\n",
                    encoding="utf-8")
    return import_pipeline(path)


def outcome(group: str, entry: dict[str, t.Any]) -> Outcome:
    """Take one entry; a user error is a refusal, anything else propagates (a bug)."""
    with tempfile.TemporaryDirectory() as directory:
        try:
            if group == "python_only":
                config = import_python(entry["python"], Path(directory))
                streams = load(config, Path(directory))
            else:
                streams = load(entry["config"], Path(directory))
        except (UserError, PipelineImportError) as exc:
            return Outcome(group, entry["id"], accepted=False, message=str(exc))
    return Outcome(group, entry["id"], accepted=True, message="", streams=streams)


def measure() -> dict[str, list[Outcome]]:
    """Every entry's outcome, by group."""
    return {group: [outcome(group, entry) for entry in entries(group)] for group in GROUPS}


def one_line(message: str) -> bool:
    """A clear refusal: one non-empty line, no traceback."""
    return bool(message.strip()) and "\n" not in message and "Traceback" not in message


def figure(results: dict[str, list[Outcome]]) -> str:
    """The acceptance figure, one line."""

    def accepted(group: str) -> int:
        return sum(result.accepted for result in results[group])

    def refused_clearly(group: str) -> int:
        return sum(not result.accepted and one_line(result.message) for result in results[group])

    valid, docs = results["valid"], results["docs"]
    python_only, invalid = results["python_only"], results["invalid"]
    return (f"accepted {accepted('valid')} of {len(valid)} valid dlt test configs, {accepted('docs')} of "
            f"{len(docs)} docs configs; python-only refused clearly {refused_clearly('python_only')} of "
            f"{len(python_only)}; invalid rejected {refused_clearly('invalid')} of {len(invalid)}")
