"""Record selection: where a response holds its records (the description's ``data_selector``).

A selector is a key (``data``), a dotted path (``conversation_parts.conversation_parts``), a
JSONPath expression (``$.result.items[*]``), or ``$`` / ``[]`` / empty for the whole response. A
list found at the path yields its items; an object yields itself.
"""

from __future__ import annotations

import typing as t

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

WHOLE_RESPONSE = ("", "$")


class SelectorNotFoundError(LookupError):
    """The selector matched nothing in a response."""


class SelectorSyntaxError(ValueError):
    """The selector is not a valid key path or JSONPath expression."""


class Selector:
    """A compiled ``data_selector``."""

    __slots__ = ("_container", "_jsonpath", "_keys", "auto", "source")

    def __init__(self, source: str | list[t.Any] | None) -> None:
        """Compile a selector; raise :class:`SelectorSyntaxError` when it cannot work."""
        self.auto = source is None  # no data_selector: dlt's auto-detection
        text = "" if source is None or source == [] else source
        if not isinstance(text, str):
            msg = f"expected a key, a dotted path, a JSONPath or '$', got {source!r}"
            raise SelectorSyntaxError(msg)
        self.source = text
        self._keys: tuple[str, ...] = ()
        self._jsonpath: t.Any = None
        self._container: t.Any = None
        if text in WHOLE_RESPONSE:
            return
        if text.startswith("$") or "[" in text or "*" in text:
            try:
                self._jsonpath = parse_jsonpath(text)
                if text.endswith("[*]") and len(text) > 4:
                    self._container = parse_jsonpath(text[:-3])
            except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exception too
                msg = f"{text!r} is not a valid JSONPath expression ({exc})"
                raise SelectorSyntaxError(msg) from None
            return
        keys = tuple(text.split("."))
        if any(not key for key in keys):
            msg = f"{text!r} has an empty key; write keys separated by single dots, e.g. 'data.items'"
            raise SelectorSyntaxError(msg)
        self._keys = keys

    def select(self, document: object, *, allow_missing: bool = False) -> list[t.Any]:
        """The items the selector finds in ``document``.

        Raises:
            SelectorNotFoundError: the path is absent (unless ``allow_missing``).
        """
        if self.auto:
            return find_records(document)
        if self._jsonpath is not None:
            matches = [match.value for match in self._jsonpath.find(document)]
            if not matches and self._container is not None:  # `x[*]` over an empty list x
                containers = [match.value for match in self._container.find(document)]
                if containers and all(isinstance(value, list) for value in containers):
                    return []
            if not matches and not allow_missing:
                raise SelectorNotFoundError(self.source)
            return _flatten(matches[0]) if len(matches) == 1 else matches
        node = document
        for key in self._keys:
            if not isinstance(node, dict) or key not in node:
                if allow_missing:
                    return []
                raise SelectorNotFoundError(self.source)
            node = node[key]
        return _flatten(node)


def _flatten(node: object) -> list[t.Any]:
    if node is None:
        return []
    if isinstance(node, list):
        return node
    return [node]


def dig(document: object, dotted: str) -> object:
    """The value at a dotted path, or None where any step is missing."""
    node = document
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def lookup(document: object, path: str) -> object:
    """The value at a dotted path or a JSONPath (dlt's ``*_path`` fields), or None when absent."""
    if not (path.startswith("$") or "[" in path or "*" in path):
        return dig(document, path)
    try:
        matches = [match.value for match in parse_jsonpath(path).find(document)]
    except Exception:
        return None
    return matches[0] if len(matches) == 1 else (matches or None)


#: dlt's preferred keys when it looks for the records of a response (detector).
RECORD_KEYS = ("data", "items", "results", "entries", "records", "rows", "entities", "payload",
               "content", "objects", "values")


def find_records(document: object) -> list[t.Any]:
    """dlt's data auto-detection: a bare list; else the first list up to 3 keys deep under a known
    key, else the first list found; else the whole response."""
    if isinstance(document, list):
        return document
    lists: list[tuple[str, list[t.Any]]] = []

    def walk(node: object, depth: int) -> None:
        if depth > 3 or not isinstance(node, dict):
            return
        for key, value in node.items():
            if isinstance(value, list):
                lists.append((str(key), value))
            else:
                walk(value, depth + 1)

    walk(document, 1)
    for key, value in lists:
        if key in RECORD_KEYS:
            return value
    if lists:
        return lists[0][1]
    return _flatten(document)
