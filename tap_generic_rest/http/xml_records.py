"""Records of an XML body, parsed as it arrives (defusedxml's ``iterparse``).

``records_path`` names the record elements by their element names from the root, separated by ``/``
(``orders/order``; ``*`` matches any name); absent, every child of the root is a record. Each record
element becomes a value as Airbyte's XmlDecoder (xmltodict) makes it:

- an attribute ``id="7"`` -> key ``@id``; a child element -> key of its name; an element's own text
  beside attributes or children -> key ``#text``;
- an element without attributes or children -> its text (``None`` when empty), whitespace stripped;
- children of the same name -> a list of their values, in document order;
- names lose their namespace (``{urn:x}order`` and ``x:order`` are ``order``); every value is a string.

Each record element is dropped from the tree once read, so memory stays flat. The parser refuses
entity declarations (``<!ENTITY``: the billion-laughs expansion and external entities that read local
files or URLs); a DTD without entities is allowed.
"""

from __future__ import annotations

import typing as t

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from tap_generic_rest.http.streamed import BodyError

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from xml.etree.ElementTree import Element

    from tap_generic_rest.http.typed_values import Typer


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def records_pattern(records_path: str | None) -> tuple[str, ...]:
    """The element names from the root to a record element (``*``: any name)."""
    if not records_path:
        return ("*", "*")
    return tuple(part for part in records_path.strip("/").split("/"))


def _matches(stack: list[str], pattern: tuple[str, ...]) -> bool:
    return len(stack) == len(pattern) and all(want in {"*", name} for name, want in zip(stack, pattern, strict=True))


def element_value(element: Element) -> t.Any:
    """An element as a value (see the module docstring)."""
    text = (element.text or "").strip()
    children = list(element)
    if not children and not element.attrib:
        return text or None
    value: dict[str, t.Any] = {f"@{_local(key)}": item for key, item in element.attrib.items()}
    for child in children:
        key, item = _local(child.tag), element_value(child)
        if key not in value:
            value[key] = item
        elif isinstance(value[key], list):  # an element's value is never a list: this is a repetition
            value[key].append(item)
        else:
            value[key] = [value[key], item]
    if text:
        value["#text"] = text
    return value


def xml_records(binary: t.IO[bytes], records_path: str | None, member: str = "",
                typed: Typer | None = None) -> Iterator[t.Any]:
    """The value of every record element of the document, in document order (``typed`` by a declared schema)."""
    pattern = records_pattern(records_path)
    place = f"zip member {member!r}: " if member else ""
    stack: list[str] = []
    elements: list[Element] = []
    try:
        for event, element in iterparse(binary, events=("start", "end"), forbid_dtd=False):
            if event == "start":
                stack.append(_local(element.tag))
                elements.append(element)
                if len(stack) == 1 and pattern[0] not in {"*", stack[0]}:
                    msg = (f"{place}decoder.records_path {records_path!r} does not match the document: its root "
                           f"element is <{stack[0]}>")
                    raise BodyError(msg)
                continue
            if _matches(stack, pattern):
                yield _typed(element_value(element), typed, place)
            if len(stack) <= len(pattern):
                _drop(elements, element)
            stack.pop()
            elements.pop()
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        raise BodyError(f"{place}line {line}, column {column}: the body is not well-formed XML ({reason})") from None
    except DefusedXmlException as exc:
        msg = (f"{place}the XML body declares entities or a forbidden construct ({type(exc).__name__}); "
               "refused: entity expansion and external entities are attacks on the reader")
        raise BodyError(msg) from None


def _typed(value: t.Any, typed: Typer | None, place: str) -> t.Any:
    if typed is None or not isinstance(value, dict):
        return value
    try:
        return typed(value)
    except ValueError as exc:
        raise BodyError(f"{place}a record element: {exc}") from None


def _drop(elements: list[Element], element: Element) -> None:
    """Free a read element: emptied, and removed from its parent (the root keeps no list of them)."""
    element.clear()
    if len(elements) > 1:
        elements[-2].remove(element)
