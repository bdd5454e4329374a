"""dlt's extract of a built-in API, a cell of scripts/bench (run as a subprocess by bench.py).

The description is dlt's ``rest_api`` format plus our extensions; for dlt it is written back as
plain dlt: templates rendered from the settings, the extensions dlt lacks mapped to its nearest
keys (``parent_fields`` -> ``include_from_parent``; a ``scroll`` -> dlt's ``cursor`` paginator and
``stop_condition`` -> ``stop_after_empty_page``, both ending on the empty page) or dropped
(``schema``, ``records``, ``cursor_format``). An incremental whose start goes into the requests
starts from 0 (the built-in ones are UNIX seconds), as the tap does without a bookmark; one that is
only a client-side filter is dropped (a full extract either way). bench.py prints dlt's record
count beside the tap's.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import yaml

from tap_generic_rest.apis import builtin_path

TEMPLATE = re.compile(r"\{\{\s*(config\.(\w+)|stream_interval\.end_time)\s*\}\}")
DROPPED = ("schema", "records", "cursor_format", "stop_condition", "parallelized")


def rendered(value: t.Any, settings: dict[str, t.Any], now: int) -> t.Any:
    """``value`` with every ``{{ config.x }}`` and ``{{ stream_interval.end_time }}`` rendered."""
    if isinstance(value, dict):
        return {key: rendered(item, settings, now) for key, item in value.items()}
    if isinstance(value, list):
        return [rendered(item, settings, now) for item in value]
    if isinstance(value, str):
        return TEMPLATE.sub(lambda m: str(settings.get(m.group(2) or "", "")) if m.group(2) else str(now), value)
    return value


def plain_dlt(part: t.Any) -> t.Any:
    """``part`` of a description without our extensions (recursively)."""
    if isinstance(part, list):
        return [plain_dlt(item) for item in part]
    if not isinstance(part, dict):
        return part
    out = {key: plain_dlt(value) for key, value in part.items() if key not in DROPPED}
    fields = out.pop("parent_fields", None)
    if fields and "scalar_key" not in part.get("records", {}):  # dlt adds no field to a scalar
        out["include_from_parent"] = list(fields.values())
    if out.get("type") == "scroll" or "stop_condition" in part:
        out["type"] = "cursor" if out.get("type") == "scroll" else out["type"]
        out["stop_after_empty_page"] = True  # the nearest dlt stop: one request more per partition
    if isinstance(out.get("incremental"), dict):
        if "{incremental.start_value}" in json.dumps(out):
            out["incremental"].setdefault("initial_value", 0)  # placed in requests: from the start, as the tap
        else:  # a client-side filter only (dlt's one cursor over all parents would drop children)
            del out["incremental"]
    return out


def dlt_config(api: str, settings: dict[str, t.Any]) -> dict[str, t.Any]:
    """The built-in ``api`` as a plain dlt ``rest_api`` config for ``settings``."""
    description = yaml.safe_load(builtin_path(api).read_text())
    config = plain_dlt(rendered(description, settings, int(time.time())))
    config["client"]["base_url"] = settings["base_url"]
    if "access_token_url" in config["client"].get("auth", {}):
        config["client"]["auth"]["access_token_url"] = settings["token_url"]
    return t.cast("dict[str, t.Any]", config)


def extract(api: str, settings_file: str) -> None:
    """(subprocess) dlt's extract of ``api``; prints the number of records extracted."""
    import dlt
    from dlt.common import jsonpath
    from dlt.sources.rest_api import rest_api_source

    # jsonpath-ng 1.7 builds its parser's tables anew on every parse, and dlt parses a path per
    # parent record: cached here, so dlt is measured at its best (its own code unchanged)
    jsonpath._parse = functools.lru_cache(maxsize=None)(jsonpath._parse)

    settings = json.loads(Path(settings_file).read_text())
    with tempfile.TemporaryDirectory() as pipelines:
        pipeline = dlt.pipeline(f"bench_{api}", pipelines_dir=pipelines)
        pipeline.extract(rest_api_source(dlt_config(api, settings)))
        counts = pipeline.last_trace.last_extract_info.metrics  # type: ignore[union-attr]
        print(json.dumps({"records": _records(counts)}))


def _records(metrics: t.Any) -> int:
    """Rows extracted, summed over the tables (not dlt's own, e.g. its pipeline state)."""
    total = 0
    for load in metrics.values():
        for step in load:
            total += sum(table.items_count for name, table in step["table_metrics"].items()
                         if not name.startswith("_dlt"))
    return total


if __name__ == "__main__":
    extract(sys.argv[1], sys.argv[2])
