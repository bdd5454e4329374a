"""An endpoint's ``decoder`` (extension) checked against the rest of the endpoint, before any request.

A streamed body (JSON lines, CSV, XML) is never one JSON document, so what reads the body as one is
refused with the fix: a ``data_selector`` on CSV or XML (their records are the rows / the record
elements), a paginator that reads its token from the body (only header_link, header_cursor, offset,
page_number, single_page and auto, which looks at the ``Link`` header, remain; ``offset`` and
``page_number`` go on until an empty page, so ``total_path`` and ``has_more_path`` are refused), a
``response_actions`` rule that matches a 2xx body's content, and an ``error_handler`` rule (the
endpoint's, or the client's where the endpoint has none) that may match a 2xx response and reads its
body (``error_message_contains``; a ``predicate`` or ``error_message`` over ``response``): reading it
would leave the decoder nothing, or hold a whole export in memory.
"""

from __future__ import annotations

import codecs
import typing as t

from tap_generic_rest.expressions.conditions import RESPONSE_VARIABLES
from tap_generic_rest.expressions.selectors import WHOLE_RESPONSE
from tap_generic_rest.expressions.templating import referenced_names
from tap_generic_rest.http.decoders import JSON, Decoder

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

Raw = dict[str, t.Any]
#: the paginators that read nothing but headers and the page's record count
STREAMABLE_PAGINATORS = ("header_link", "header_cursor", "offset", "page_number", "single_page", "auto")
_BODY_PAGING_FIELDS = ("total_path", "has_more_path")
_OWN_FIELDS = {"delimiter": "csv", "quotechar": "csv", "records_path": "xml"}


def endpoint_decoder(endpoint: Raw, where: Where) -> Decoder:
    """The endpoint's decoder, checked against its selector, paginator and response actions."""
    raw = endpoint.get("decoder")
    if not raw:
        return JSON
    _check_fields(raw, where.at("decoder"))
    decoder = Decoder(**raw)
    try:
        codecs.lookup(decoder.encoding)
    except LookupError:
        raise where.at("decoder.encoding").error(f"{decoder.encoding!r} is not a known text encoding "
                                                 "(e.g. utf-8, latin-1, utf-16)") from None
    if decoder.streams and decoder.type != "json":
        _check_selector(endpoint, decoder, where)
        _check_paginator(endpoint.get("paginator"), decoder, where.at("paginator"))
        _check_actions(endpoint.get("response_actions") or (), decoder, where.at("response_actions"))
        filters = (endpoint.get("error_handler") or {}).get("response_filters")
        check_body_rules(filters or (), decoder, where.at("error_handler.response_filters"))
    return decoder


def streamed_paginator(spec: Raw | None, decoder: Decoder) -> Raw | None:
    """The paginator spec of a streamed endpoint: ``offset``/``page_number`` without a body total."""
    if spec and decoder.streams and decoder.type != "json" and spec.get("type") in {"offset", "page_number"}:
        return {**spec, "total_path": None}
    return spec


def _check_fields(raw: Raw, where: Where) -> None:
    """Fields of one decoder type only on that type; ``records_path`` without empty steps."""
    for field, kind in _OWN_FIELDS.items():
        if field in raw and raw["type"] != kind:
            raise where.at(field).error(f"applies to decoder type {kind} only, not {raw['type']}; remove it")
    path = raw.get("records_path")
    if path is not None and any(not step for step in path.strip("/").split("/")):
        raise where.at("records_path").error(f"{path!r} has an empty step; write element names separated by single "
                                             "slashes, e.g. 'export/rows/row'")


def _check_selector(endpoint: Raw, decoder: Decoder, where: Where) -> None:
    selector = endpoint.get("data_selector")
    if decoder.type != "jsonl" and selector not in (None, *WHOLE_RESPONSE):
        raise where.at("data_selector").error(
            f"{selector!r} cannot apply to a {decoder.type} body: its records are the "
            f"{'rows' if decoder.type == 'csv' else 'elements at decoder.records_path'}; remove data_selector")


def _check_paginator(spec: Raw | None, decoder: Decoder, where: Where) -> None:
    kind = (spec or {}).get("type", "auto")
    if kind not in STREAMABLE_PAGINATORS:
        raise where.at("type").error(
            f"{kind!r} reads its next page from a JSON body, but decoder {decoder.type} streams records; "
            f"use one of: {', '.join(STREAMABLE_PAGINATORS)}")
    for field in _BODY_PAGING_FIELDS:
        if (spec or {}).get(field):
            raise where.at(field).error(
                f"reads the body as JSON, but decoder {decoder.type} streams records; remove it ({kind} "
                "then pages on until an empty page)")


def _check_actions(actions: t.Iterable[t.Any], decoder: Decoder, where: Where) -> None:
    for index, rule in enumerate(actions):
        if isinstance(rule, dict) and "content" in rule and int(rule.get("status_code", 200)) < 300:
            raise where.item(index).at("content").error(
                f"a content rule on a 2xx response would read the whole {decoder.type} body; give it an "
                "error status_code (400 or above), or remove it")


def check_body_rules(filters: t.Iterable[t.Any], decoder: Decoder, where: Where, whose: str = "") -> None:
    """Refuse an error rule that may match a 2xx response of a ``decoder`` that streams and reads its body."""
    for index, rule in enumerate(filters):
        if not isinstance(rule, dict) or not _may_match_success(rule):
            continue
        for field in ("error_message_contains", "predicate", "error_message"):
            if field in rule and (field == "error_message_contains" or _reads_response(rule[field])):
                raise where.item(index).at(field).error(
                    f"reads the body of a 2xx response, but decoder {decoder.type}{whose} streams it (the "
                    "records would be lost or the whole body held in memory); give the rule error http_codes "
                    "(400 or above), or test only headers")


def _may_match_success(rule: Raw) -> bool:
    codes = rule.get("http_codes") or ()
    return rule.get("match") == "any" or not codes or any(int(code) < 300 for code in codes)


def _reads_response(template: object) -> bool:
    """Whether a predicate or message template has an expression naming ``response``."""
    return "response" in referenced_names(template, RESPONSE_VARIABLES)
