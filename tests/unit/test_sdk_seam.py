"""The SDK seam against the installed singer-sdk: every private name we rely on still exists, with the
parameters we call or override; and none is used outside ``streams/sdk_seam.py``.

A failure here names the private SDK name that changed: read the SDK's change, adapt the seam entry.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import typing as t
from pathlib import Path

import pytest
import singer_sdk
from singer_sdk import RESTStream, Tap

import tap_generic_rest
from tap_generic_rest.streams import sdk_seam
from tap_generic_rest.streams.stream import GenericStream
from tap_generic_rest.tap import TapGenericRest

if t.TYPE_CHECKING:
    from tap_generic_rest.streams.sdk_seam import Entry

#: the parameters (name, kind) of every private callable we import, override or call, as we use them
SIGNATURES: dict[tuple[str, str], str] = {
    ("singer_sdk.helpers._catalog", "pop_deselected_record_properties"): "record, schema, mask, breadcrumb=",
    ("singer_sdk.helpers._catalog", "get_selected_schema"): "stream_name, schema, mask",
    ("singer_sdk.helpers._state", "get_starting_replication_value"): "stream_or_partition_state",
    ("singer_sdk.helpers._typing", "conform_record_data_types"): "stream_name, record, schema, level, logger",
    ("singer_sdk.helpers._typing", "_is_exclusive_boolean_type"): "property_schema",
    ("singer_sdk.helpers._typing", "_warn_unmapped_properties"): "stream_name, property_names, logger",
    ("singer_sdk.helpers._util", "utc_now"): "",
    ("singer_sdk.streams._state", "StreamStateManager"):
        "*, stream_name, tap_state, is_sorted=, check_sorted=, tap_name=, state_partitioning_keys=",
    ("singer_sdk.RESTStream", "_request"): "self, prepared_request, context",
    ("singer_sdk.Stream", "_generate_record_messages"): "self, record",
    ("singer_sdk.Stream", "_write_schema_message"): "self",
    ("singer_sdk.Stream", "_increment_stream_state"): "self, latest_record, *, context=",
    ("singer_sdk.Stream", "_write_starting_replication_value"): "self, context",
    ("singer_sdk.Stream", "_write_state_message"): "self",
    ("singer_sdk.Stream", "_generate_schema_messages"): "self",
    ("singer_sdk.Stream", "_sync_children"): "self, child_context",
    ("singer_sdk.Stream", "_process_record"): "self, record, child_context=, partition_context=",
    ("singer_sdk.Tap", "_validate_config"): "self, *, raise_errors=",
    ("singer_sdk.Tap", "_set_compatible_replication_methods"): "self",
}
#: the methods of the SDK's (private) state manager our IndexedStateManager overrides or calls
STATE_MANAGER_METHODS = {
    "get_context_state": "self, context",
    "get_starting_replication_value": "self, context, replication_method",
    "get_state_partition_context": "self, context",
    "finalize_state": "self, state=",
}
CALLABLES = [entry for entry in sdk_seam.ENTRIES if entry.use != "attribute"]
ATTRIBUTES = [entry for entry in sdk_seam.ENTRIES if entry.use == "attribute"]


def parameters(function: t.Callable[..., t.Any]) -> str:
    """``function``'s parameters: names, ``*`` before keyword-only ones, ``=`` after those with a default."""
    parts: list[str] = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        parts.append(parameter.name + ("=" if parameter.default is not inspect.Parameter.empty else ""))
    return ", ".join(parts)


def resolve(entry: Entry) -> t.Any:
    """The SDK's object an entry names."""
    if entry.owner.startswith("singer_sdk.helpers") or entry.owner.startswith("singer_sdk.streams"):
        module = importlib.import_module(entry.owner)
        return getattr(module, entry.name)
    owner = getattr(singer_sdk, entry.owner.rsplit(".", 1)[1])
    return getattr(owner, entry.name)


def test_every_callable_entry_has_its_expected_signature() -> None:
    assert {(entry.owner, entry.name) for entry in CALLABLES} == set(SIGNATURES)


def test_every_entry_has_a_reason() -> None:
    assert all(entry.reason.strip() and entry.use in {"import", "override", "call", "attribute"}
               for entry in sdk_seam.ENTRIES)


@pytest.mark.parametrize("entry", CALLABLES, ids=lambda entry: f"{entry.owner}.{entry.name}")
def test_the_sdk_still_has_it_with_our_parameters(entry: Entry) -> None:
    try:
        found = resolve(entry)
    except (ImportError, AttributeError):
        pytest.fail(f"singer-sdk no longer has {entry.owner}.{entry.name} ({entry.reason}): adapt sdk_seam")
    assert parameters(found) == SIGNATURES[entry.owner, entry.name], (
        f"singer-sdk changed the parameters of {entry.owner}.{entry.name} ({entry.reason}): adapt sdk_seam"
    )


@pytest.mark.parametrize("name", sorted(STATE_MANAGER_METHODS))
def test_the_state_manager_methods_we_override_keep_their_parameters(name: str) -> None:
    method = getattr(sdk_seam.StreamStateManager, name, None)
    assert method is not None, f"singer-sdk's StreamStateManager no longer has {name}: adapt state_index"
    assert parameters(method) == STATE_MANAGER_METHODS[name], f"StreamStateManager.{name} changed: adapt state_index"


@pytest.mark.parametrize("entry", ATTRIBUTES, ids=lambda entry: f"{entry.owner}.{entry.name}")
def test_a_stream_still_has_the_private_attribute(entry: Entry, make_tap: t.Callable[..., TapGenericRest]) -> None:
    stream = make_tap().streams["items"]
    assert entry.name in vars(stream), f"singer-sdk streams no longer set {entry.name} ({entry.reason}): adapt sdk_seam"


@pytest.mark.parametrize(("ours", "sdk"), [(GenericStream, RESTStream), (TapGenericRest, Tap)])
def test_private_sdk_hooks_are_overridden_only_through_the_seam(ours: type, sdk: type) -> None:
    overrides = {name: value for name, value in vars(ours).items()
                 if name.startswith("_") and not name.startswith("__") and hasattr(sdk, name) and name != "_abc_impl"}
    owner = f"singer_sdk.{sdk.__name__ if sdk is Tap else 'Stream'}"
    declared = {entry.name for entry in sdk_seam.ENTRIES if entry.owner == owner and entry.use == "override"}
    assert set(overrides) == declared
    for name, value in overrides.items():
        assert getattr(value, "__module__", None) == sdk_seam.__name__, f"{ours.__name__}.{name} is not the seam's"


def test_only_the_seam_imports_private_sdk_modules() -> None:
    private = re.compile(r"singer_sdk\.[a-z_.]*\._")
    package = Path(tap_generic_rest.__file__).parent
    users = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                   if private.search(path.read_text(encoding="utf-8")))
    assert users == ["streams/sdk_seam.py"]


def test_the_installed_sdk_is_the_tested_minor() -> None:
    installed = importlib.metadata.version("singer-sdk")
    assert installed.startswith("0.54."), (
        f"singer-sdk {installed}: the seam is tested against 0.54; adapt it, then move the pin")
