"""What the mapping of one manifest collects: refusals and warnings by manifest path, and where it is.

A refusal is one line ``<manifest path>: <what> is not supported[; why]``; a stream with any refusal is
not imported. A warning names an option a Singer tap does not need, or what the import approximates.
"""

from __future__ import annotations

import dataclasses
import typing as t

from tap_generic_rest.importers.airbyte.parameters import FILLED, PARAMETERS

#: keys every component may have that are not options
_STRUCTURAL = frozenset({"type", PARAMETERS, FILLED})


@dataclasses.dataclass
class Issues:
    """Every refusal and warning of one import, in the order found."""

    refusals: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)

    def refuse(self, path: str, message: str) -> None:
        """Note a refusal at ``path``."""
        line = f"{path}: {message}"
        if line not in self.refusals:
            self.refusals.append(line)

    def warn(self, path: str, message: str) -> None:
        """Note a warning at ``path``."""
        line = f"{path}: {message}"
        if line not in self.warnings:
            self.warnings.append(line)


@dataclasses.dataclass
class Stream:
    """What the components of one stream share while it is mapped."""

    name: str
    issues: Issues
    #: settings flattening: ("credentials", "token") -> "credentials_token"
    settings: t.Mapping[tuple[str, ...], str]
    #: stream_partition keys -> how to read them: ("parent", parent, field) / ("list", name) / ("interval", end)
    partition_keys: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    #: context keys a template reads: key -> parent field (written as ``parent_fields``)
    parent_fields: dict[str, str] = dataclasses.field(default_factory=dict)
    #: the record selector as a dotted path ("" for the whole response), for last_record/last_page_size
    selector: str = ""
    #: how many refusals this stream has (any: the stream is not imported)
    refused: int = 0

    def refuse(self, path: str, message: str) -> None:
        """Refuse the stream at ``path``."""
        self.refused += 1
        self.issues.refuse(path, message)

    def warn(self, path: str, message: str) -> None:
        """Warn at ``path``."""
        self.issues.warn(path, message)

    def check_options(self, component: t.Mapping[str, t.Any], path: str, handled: t.Iterable[str],
                      ignored: t.Mapping[str, str] | None = None) -> None:
        """Refuse every option of ``component`` not handled; warn once for each ignored one (with why)."""
        filled = set(component.get(FILLED) or [])
        known = set(handled) | _STRUCTURAL
        if component_type(component.get("decoder")) == "JsonDecoder":
            known.add("decoder")  # older manifests name the default decoder on paginators and extractors
        for key, value in component.items():
            if key in known or key in filled or value is None:
                continue
            if ignored and key in ignored:
                self.warn(f"{path}.{key}", f"ignored ({ignored[key]})")
                continue
            kind = component.get("type", "this component")
            self.refuse(f"{path}.{key}", f"the option {key!r} of {kind} is not supported")


def component_type(value: object) -> str | None:
    """The ``type`` of a component, or None."""
    return str(value["type"]) if isinstance(value, dict) and "type" in value else None


def is_custom(value: object) -> bool:
    """A component backed by Python code (``Custom*`` or ``class_name``)."""
    kind = component_type(value) or ""
    return kind.startswith("Custom") or (isinstance(value, dict) and "class_name" in value)


def custom_refusal(stream: Stream, value: dict[str, t.Any], path: str) -> None:
    """The refusal of a component backed by Python code."""
    name = value.get("class_name")
    what = f"{value.get('type', 'a custom component')}"
    where = f" ({name} in components.py)" if name else ""
    stream.refuse(path, f"{what}{where} is not supported; a description cannot hold Python code")
