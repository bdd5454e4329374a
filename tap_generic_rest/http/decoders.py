"""Response decoders (``endpoint.decoder``): how a 2xx body becomes documents.

``json`` without compression is today's path: the body read within the size cap and deadline, parsed
once (:mod:`~tap_generic_rest.http.responses`). Every other decoder streams: the session leaves the body
unread (:mod:`~tap_generic_rest.http.streamed`) and records are yielded while it arrives. ``json`` with
compression is inflated within the 128 MiB cap and then read as JSON (one document cannot stream).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_generic_rest.http.body import MAX_BODY_BYTES, ResponseTooLargeError
from tap_generic_rest.http.streamed import STREAM_BODY, STREAMED, BodyError, members
from tap_generic_rest.http.text_records import csv_rows, jsonl_documents

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk.helpers.types import Context, RequestFunc

    from tap_generic_rest.http.typed_values import Typer

_ACCEPT = {"jsonl": "application/x-ndjson, application/jsonl, */*", "csv": "text/csv, */*",
           "xml": "application/xml, text/xml, */*"}


@dataclass(frozen=True)
class Decoder:
    """An endpoint's decoder (the description's ``decoder``, defaults filled)."""

    type: str = "json"
    compression: str = "none"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    records_path: str | None = None

    @property
    def streams(self) -> bool:
        """Whether the body is left unread by the session (every decoder but plain JSON)."""
        return not (self.type == "json" and self.compression == "none")

    @property
    def documents(self) -> bool:
        """Whether the body is JSON documents a ``data_selector`` applies to (json, jsonl)."""
        return self.type in {"json", "jsonl"}

    @property
    def accept(self) -> str | None:
        """The ``Accept`` header of a request whose body this decoder reads (None: JSON's default)."""
        return _ACCEPT.get(self.type)

    def describe(self) -> str:
        """``csv`` or ``csv (gzip)``, for messages."""
        return self.type if self.compression == "none" else f"{self.type} ({self.compression})"


JSON = Decoder()


def streaming(func: RequestFunc, decoder: Decoder) -> RequestFunc:
    """``func`` (the SDK's request) with every request marked for a streamed body when ``decoder`` streams."""
    if not decoder.streams:
        return func

    def request(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
        setattr(prepared, STREAM_BODY, True)
        return func(prepared, context)

    return request


def decoded(response: requests.Response, decoder: Decoder, typed: Typer | None = None) -> Iterator[t.Any]:
    """The items of a streamed ``response``: JSON lines' documents, CSV rows, XML record values (the text
    values of the last two ``typed`` by the declared schema)."""
    for member, binary in members(response, decoder.compression):
        if decoder.type == "jsonl":
            yield from jsonl_documents(binary, decoder.encoding, member)
        elif decoder.type == "csv":
            spec = {"delimiter": decoder.delimiter, "quotechar": decoder.quotechar, "encoding": decoder.encoding}
            yield from csv_rows(binary, spec, member, typed)
        else:
            from tap_generic_rest.http.xml_records import xml_records  # the XML parser only where XML is read

            yield from xml_records(binary, decoder.records_path, member, typed)


def inflate_json(response: requests.Response, decoder: Decoder) -> None:
    """A compressed JSON body inflated into ``response.content`` (within the cap), for the JSON path."""
    data, first = b"", None
    for name, binary in members(response, decoder.compression):
        if first is not None:
            raise BodyError(f"the zip archive holds more than one file ({first!r}, {name!r}); a JSON body is one file")
        first, data = name, binary.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        msg = (f"the {decoder.compression}-compressed JSON body is larger than {MAX_BODY_BYTES // 1024**2} MiB "
               "once inflated; use decoder type jsonl for large exports")
        raise ResponseTooLargeError(msg)
    response._content = data  # requests reads .content from here
    response._content_consumed = True  # type: ignore[attr-defined]
    setattr(response, STREAMED, False)
