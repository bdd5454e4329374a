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

from tap_generic_rest.description.load import load_description
from tap_generic_rest.errors import UserError
from tap_generic_rest.importers.dlt import PipelineImportError, import_pipeline, setting_references
from tap_generic_rest.streams.factory import build_stream_classes
from tap_generic_rest.tap import TapGenericRest

HERE = Path(__file__).parent
GROUPS = ("valid", "docs", "invalid", "python_only")
#: every credential setting set, as dlt's tests inject every secret a valid config needs; invalid
#: configs run with none, as dlt's invalid ones do (a credential they need is then missing)
CREDENTIALS = {"api_key": "key-1", "password": "secret-1", "access_token": "token-1", "client_id": "id-1",
               "client_secret": "secret-2", "token_url": "https://api.example.com/oauth/token"}


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


def load(config: dict[str, t.Any], directory: Path, settings: dict[str, t.Any]) -> tuple[str, ...]:
    """Load a dlt config as a user's description, build its streams and check its credentials (no request).

    The tap runs as for a sync (``api_description`` names the file; settings checked, credentials
    too), with a catalog of every stream: discovery would sample the (unreachable) API.
    """
    path = directory / "api.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    names = tuple(cls.name for cls in build_stream_classes(load_description(path)))
    catalog = {"streams": [{"tap_stream_id": name, "stream": name, "schema": {"type": "object", "properties": {}},
                            "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}]} for name in names]}
    tap = TapGenericRest(config={"api_description": str(path), **settings}, catalog=catalog,
                         parse_env_config=False)
    return tuple(tap.streams)


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
                streams = load(import_python(entry["python"], Path(directory)), Path(directory), CREDENTIALS)
            elif group == "invalid":
                streams = load(entry["config"], Path(directory), {})
            else:  # a user sets the settings the config names too (dlt's docs name their own secrets)
                named = dict.fromkeys(setting_references(entry["config"]), "value-1")
                streams = load(entry["config"], Path(directory), {**named, **CREDENTIALS})
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
