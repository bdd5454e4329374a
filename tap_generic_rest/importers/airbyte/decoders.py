"""Decoders -> ``endpoint.decoder``: ``JsonDecoder`` (the default: none written), ``JsonlDecoder`` ->
``jsonl``, ``CsvDecoder`` -> ``csv`` (``delimiter``, ``encoding``), ``XmlDecoder`` -> ``xml``;
``GzipDecoder`` / ``ZipfileDecoder`` wrapping one of those -> its ``compression: gzip`` / ``zip``.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.context import custom_refusal, is_custom

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_TYPES = {"JsonDecoder": "json", "JsonlDecoder": "jsonl", "CsvDecoder": "csv", "XmlDecoder": "xml"}
_WRAPPERS = {"GzipDecoder": "gzip", "ZipfileDecoder": "zip"}


def map_decoder(decoder: object, stream: Stream, path: str) -> dict[str, t.Any] | None:
    """Our ``decoder`` (None: JSON, or refused)."""
    if not isinstance(decoder, dict):
        return None
    if is_custom(decoder):
        custom_refusal(stream, decoder, path)
        return None
    kind = str(decoder.get("type"))
    if kind in _WRAPPERS:
        stream.check_options(decoder, path, ("decoder",))
        inner = map_decoder(decoder.get("decoder") or {"type": "JsonDecoder"}, stream, f"{path}.decoder")
        return {"type": "json", **(inner or {}), "compression": _WRAPPERS[kind]}
    if kind not in _TYPES:
        stream.refuse(path, f"{kind} is not supported")
        return None
    stream.check_options(decoder, path, ("delimiter", "encoding"), {"set_values_to_none": "empty values are kept"})
    if kind == "JsonDecoder":
        return None
    result: dict[str, t.Any] = {"type": _TYPES[kind]}
    result.update({key: decoder[key] for key in ("delimiter", "encoding") if decoder.get(key) is not None})
    return result
