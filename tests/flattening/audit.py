"""Does schema flattening keep every record whole? Syncs a built-in API in process, with and without
``flattening_enabled``, and checks the two properties targets rely on:

- **declared**: every key of every RECORD is a property of the stream's latest SCHEMA;
- **lossless**: un-flattening a flattened record (split keys on ``__``, parse the JSON columns)
  gives back the unflattened record exactly.

Print the figures for every built-in API and depth:  python -m tests.flattening.audit [SCALE]
"""

from __future__ import annotations

import io
import json
import sys
import typing as t
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass, field

from generic_rest_sandbox import Sandbox

from tap_generic_rest.description.load import BUILTIN_APIS
from tap_generic_rest.tap import TapGenericRest
from tests.conftest import sandbox_config

SEPARATOR = "__"
DEPTHS = (1, 2, 3)


@dataclass
class Sync:
    """What one sync wrote: the latest SCHEMA per stream and every RECORD."""

    schemas: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)
    records: list[tuple[str, dict[str, t.Any], set[str]]] = field(default_factory=list)

    def by_key(self, stream: str) -> dict[str, dict[str, t.Any]]:
        """A stream's records by primary key."""
        return {_key(record, self.keys[stream]): record for name, record, _ in self.records if name == stream}


def _key(record: t.Mapping[str, t.Any], keys: t.Sequence[str]) -> str:
    return json.dumps([record.get(key) for key in keys])


def sync(config: dict[str, t.Any]) -> Sync:
    """Run the tap in process; ``records`` holds (stream, record, declared keys at that point)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(out):
        TapGenericRest(config=config, parse_env_config=False).sync_all()
    out.flush()
    result = Sync()
    for line in t.cast("io.BytesIO", out.buffer).getvalue().decode().splitlines():
        message = json.loads(line)
        if message["type"] == "SCHEMA":
            result.schemas[message["stream"]] = message["schema"]
            result.keys[message["stream"]] = message["key_properties"]
        elif message["type"] == "RECORD":
            declared = set(result.schemas[message["stream"]].get("properties", {}))
            result.records.append((message["stream"], message["record"], declared))
    return result


def undeclared(result: Sync) -> tuple[int, int, Counter[str]]:
    """(undeclared keys, records having any, stream.key -> count)."""
    where: Counter[str] = Counter()
    records = 0
    for stream, record, declared in result.records:
        missing = set(record) - declared
        records += bool(missing)
        where.update(f"{stream}.{key}" for key in missing)
    return sum(where.values()), records, where


def unflatten(record: t.Mapping[str, t.Any], like: t.Any) -> dict[str, t.Any]:
    """Rebuild a flattened record, guided by the unflattened one (``like``) for JSON columns."""
    rebuilt: dict[str, t.Any] = {}
    for flat_key, value in record.items():
        path = flat_key.split(SEPARATOR)
        node, original = rebuilt, like
        for part in path[:-1]:
            node = node.setdefault(part, {})
            original = original.get(part) if isinstance(original, dict) else None
        leaf = original.get(path[-1]) if isinstance(original, dict) else None
        node[path[-1]] = json.loads(value) if isinstance(leaf, (dict, list)) and isinstance(value, str) else value
    return rebuilt


def lost(flat: Sync, plain: Sync) -> list[str]:
    """Records whose flattened form does not rebuild the unflattened record (stream: key)."""
    differences = []
    for stream in plain.keys:
        originals, flattened = plain.by_key(stream), flat.by_key(stream)
        if originals.keys() != flattened.keys():
            differences.append(f"{stream}: {len(originals)} records unflattened, {len(flattened)} flattened")
            continue
        differences += [f"{stream}: {key}" for key, record in flattened.items()
                        if unflatten(record, originals[key]) != originals[key]]
    return differences


def flattening(depth: int) -> dict[str, t.Any]:
    """The tap settings that flatten to ``depth``."""
    return {"flattening_enabled": True, "flattening_max_depth": depth}


def main(scale: int = 1) -> int:
    """Print undeclared keys and lossless checks per API and depth; non-zero if any fails."""
    failures = 0
    total = Counter[str]()
    with Sandbox(port=0, scale=scale) as sandbox:
        for api in BUILTIN_APIS:
            plain = sync(sandbox_config(sandbox, api))
            for depth in DEPTHS:
                flat = sync(sandbox_config(sandbox, api, **flattening(depth)))
                keys, records, where = undeclared(flat)
                differences = lost(flat, plain)
                failures += bool(keys or differences)
                total.update(keys=keys, records=records, of=len(flat.records))
                print(f"{api:13} depth {depth}: {keys:6} undeclared keys in {records:5} of {len(flat.records):5} "
                      f"records; {len(differences)} records not rebuilt"
                      + (f"  e.g. {', '.join(f'{k} x{n}' for k, n in where.most_common(4))}" if where else ""))
    print(f"total: {total['keys']} undeclared keys in {total['records']} of {total['of']} records")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*(int(arg) for arg in sys.argv[1:])))
