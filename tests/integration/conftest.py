"""In-process syncs of built-in APIs against the sandbox, with Singer messages collected."""

from __future__ import annotations

import json
import typing as t
from collections import defaultdict

import pytest

from tap_generic_rest.tap import TapGenericRest

Messages = dict[str, list[dict[str, t.Any]]]


@pytest.fixture
def run_tap(capsys: pytest.CaptureFixture[str]) -> t.Callable[..., tuple[Messages, list[dict[str, t.Any]]]]:
    """Sync a tap built from ``config`` (and optional state/catalog): (records by stream, STATE values)."""

    def run(config: dict[str, t.Any], **kwargs: t.Any) -> tuple[Messages, list[dict[str, t.Any]]]:
        tap = TapGenericRest(config=config, parse_env_config=False, **kwargs)
        capsys.readouterr()
        tap.sync_all()
        records: Messages = defaultdict(list)
        states: list[dict[str, t.Any]] = []
        for line in capsys.readouterr().out.splitlines():
            message = json.loads(line)
            if message["type"] == "RECORD":
                records[message["stream"]].append(message["record"])
            elif message["type"] == "STATE":
                states.append(message["value"])
        return dict(records), states

    return run


def catalog_selecting(config: dict[str, t.Any], *streams: str) -> dict[str, t.Any]:
    """The discovered catalog with only ``streams`` selected."""
    catalog = TapGenericRest(config=config, parse_env_config=False, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog
