"""``DefaultPaginator`` / ``NoPagination`` -> our ``paginator``.

``CursorPagination``: ``cursor_value`` from the response (``{{ response.a.b }}``) -> ``cursor`` with
``cursor_path: a.b`` (``json_link`` with ``next_url_path`` when ``page_token_option`` is a ``RequestPath``:
the token is the next URL); from the last record (``{{ last_record.id }}``) -> ``cursor_path:
<selector>[-1].id``; from a ``Link`` header (``headers.link.next.url``) -> ``header_link``; from another
header -> ``header_cursor``. ``page_token_option`` (request_parameter / body_json) -> ``cursor_param`` /
``cursor_body_path``; without it, the request parameter whose value is ``{{ next_page_token... }}``.
``stop_condition`` -> our ``stop_condition`` (``last_record`` and ``last_page_size`` read the response).
``PageIncrement`` -> ``page_number`` (``start_from_page`` -> ``base_page``); ``OffsetIncrement`` ->
``offset`` (``page_size`` -> ``limit``); both stop on an empty page. ``page_size`` with
``page_size_option`` is sent with every request.
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.importers.airbyte.expressions import lex, read_chain, translate_expression
from tap_generic_rest.importers.airbyte.requesters import inject, option_target
from tap_generic_rest.importers.airbyte.variables import Scope, Unmappable

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

TOKEN = re.compile(r"^\s*\{\{\s*next_page_token(?:\[['\"]next_page_token['\"]\]|\.next_page_token"
                   r"|\.get\(['\"]next_page_token['\"]\))?\s*\}\}\s*$")


def token_params(requester: dict[str, t.Any]) -> list[str]:
    """The request parameters that carry the page token (``{{ next_page_token['next_page_token'] }}``)."""
    params = requester.get("request_parameters")
    if not isinstance(params, dict):
        return []
    return [str(key) for key, value in params.items() if isinstance(value, str) and TOKEN.match(value)]


class _Options(t.NamedTuple):
    """The paginator's request options and where it is in the manifest."""

    token: object
    token_param: list[str]
    size_option: object
    stream: Stream
    path: str


def map_paginator(paginator: object, endpoint: dict[str, t.Any], token_param: list[str], stream: Stream,
                  path: str) -> dict[str, t.Any] | str | None:
    """Our paginator (None after a refusal); writes the page size into ``endpoint``."""
    if not isinstance(paginator, dict) or paginator.get("type") == "NoPagination":
        return "single_page"
    if paginator.get("type") != "DefaultPaginator":
        stream.refuse(path, f"{paginator.get('type')} is not supported")
        return None
    stream.check_options(paginator, path, ("pagination_strategy", "page_token_option", "page_size_option"))
    strategy = paginator.get("pagination_strategy") or {}
    kind = strategy.get("type")
    at = f"{path}.pagination_strategy"
    page_size = strategy.get("page_size")
    if page_size is not None and paginator.get("page_size_option") and kind != "OffsetIncrement":
        inject(endpoint, paginator["page_size_option"], page_size, stream, f"{path}.page_size_option")
    options = _Options(paginator.get("page_token_option"), token_param, paginator.get("page_size_option"), stream, path)
    if kind == "CursorPagination":
        return _cursor(strategy, options, at)
    if kind in ("PageIncrement", "OffsetIncrement"):
        return _counter(strategy, options, at)
    if (kind and str(kind).startswith("Custom")) or "class_name" in strategy:
        stream.refuse(at, f"{kind or 'a custom strategy'} is not supported; a description cannot hold Python code")
    else:
        stream.refuse(at, f"{kind} is not supported")
    return None


def _token_key(token: object, token_param: list[str], stream: Stream, path: str) -> tuple[str, str] | None:
    """Where the page token goes: ("params", name), ("json", dotted path), ("url", "") or None (refused)."""
    if isinstance(token, dict) and token.get("type") == "RequestPath":
        return "url", ""
    target = option_target(token)
    if target and target[0] in ("params", "json"):
        return target
    if token is not None:
        stream.refuse(f"{path}.page_token_option", "a page token in a header or form body is not supported")
        return None
    if len(token_param) == 1:
        return "params", token_param[0]
    stream.refuse(f"{path}.page_token_option", "no page_token_option and no request parameter reads "
                  "next_page_token: where the token goes is unknown")
    return None


def _cursor(strategy: dict[str, t.Any], options: _Options, at: str) -> dict[str, t.Any] | None:
    stream, path = options.stream, options.path
    stream.check_options(strategy, at, ("cursor_value", "stop_condition", "page_size"))
    source = _cursor_source(str(strategy.get("cursor_value") or ""), stream, f"{at}.cursor_value")
    if source is None:
        return None
    kind, value = source
    if kind == "header_link":
        if strategy.get("stop_condition"):
            stream.warn(f"{at}.stop_condition", "dropped: a header_link paginator stops when there is no next link")
        return {"type": "header_link", "links_next_key": value}
    where = _token_key(options.token, options.token_param, stream, path)
    if where is None:
        return None
    if kind == "header":
        if where[0] != "params":
            stream.refuse(f"{path}.page_token_option", "a header cursor goes into a request parameter only")
            return None
        return {"type": "header_cursor", "cursor_key": value, "cursor_param": where[1]}
    paginator: dict[str, t.Any]
    if where[0] == "url":
        paginator = {"type": "json_link", "next_url_path": value}
    elif where[0] == "params":
        paginator = {"type": "cursor", "cursor_path": value, "cursor_param": where[1]}
    else:
        paginator = {"type": "cursor", "cursor_path": value, "cursor_body_path": where[1]}
    stop = strategy.get("stop_condition")
    if stop:
        condition = _stop_condition(str(stop), stream, f"{at}.stop_condition")
        if condition is not None:
            paginator["stop_condition"] = condition
    return paginator


def _cursor_source(source: str, stream: Stream, path: str) -> tuple[str, str] | None:
    """("path", dotted response path) / ("header", name) / ("header_link", rel), or None (refused)."""
    inner = re.fullmatch(r"\s*\{\{(.*)\}\}\s*", source, re.DOTALL)
    try:
        tokens = [token for token in lex(inner.group(1)) if token[0] != "whitespace"] if inner else []
    except Unmappable:
        tokens = []
    head, accessors, end = read_chain(tokens, 0) if tokens and tokens[0][0] == "name" else ("", [], -1)
    keys = [str(key) for _, key in accessors]
    if end == len(tokens) and head == "response" and keys:
        return "path", ".".join(keys)
    if end == len(tokens) and head == "last_record" and keys:
        return "path", f"{stream.selector}[-1].{'.'.join(keys)}" if stream.selector else f"[-1].{'.'.join(keys)}"
    if end == len(tokens) and head == "headers" and len(keys) == 3 and keys[0].lower() == "link":
        return "header_link", keys[1]
    if end == len(tokens) and head == "headers" and len(keys) == 1:
        return "header", keys[0]
    stream.refuse(path, f"cursor_value {source!r} is not supported (a response field, the last record's field "
                  "or a header is)")
    return None


def _stop_condition(source: str, stream: Stream, path: str) -> str | None:
    inner = re.fullmatch(r"\s*\{\{(.*)\}\}\s*", source, re.DOTALL)
    selector = f"response.{stream.selector}" if stream.selector else "response"
    scope = Scope(stream, {}, variables=frozenset({"response"}),
                  aliases={"last_record": f"{selector}[-1]", "last_page_size": f"({selector} | length)"})
    try:
        if inner is None:
            raise Unmappable(f"stop_condition {source!r} is not an expression")
        return translate_expression(inner.group(1), scope).strip()
    except Unmappable as exc:
        stream.refuse(path, str(exc))
        return None


def _counter(strategy: dict[str, t.Any], options: _Options, at: str) -> dict[str, t.Any] | None:
    stream, path = options.stream, options.path
    offset = strategy.get("type") == "OffsetIncrement"
    stream.check_options(strategy, at, ("page_size", "start_from_page", "inject_on_first_request"))
    where = _token_key(options.token, options.token_param, stream, path)
    if where is None or where[0] == "url":
        if where is not None:
            stream.refuse(f"{path}.page_token_option", "a page number or offset in the path is not supported")
        return None
    name = "offset" if offset else "page"
    key = f"{name}_param" if where[0] == "params" else f"{name}_body_path"
    page_size = strategy.get("page_size")
    if offset:
        if not isinstance(page_size, int):
            stream.refuse(f"{at}.page_size", "OffsetIncrement without a literal page_size is not supported "
                          "(the offset steps by it)")
            return None
        return _offset({"type": "offset", "limit": page_size, key: where[1], "total_path": None}, options)
    start = strategy.get("start_from_page", 0)
    return {"type": "page_number", "base_page": start, "page": start, key: where[1], "total_path": None}


def _offset(paginator: dict[str, t.Any], options: _Options) -> dict[str, t.Any] | None:
    stream, path = options.stream, options.path
    target = option_target(options.size_option)
    if target is None:
        stream.warn(f"{path}.page_size_option", "absent: the offset paginator also sends limit=<page_size>")
    elif target[0] == "params":
        paginator["limit_param"] = target[1]
    elif target[0] == "json":
        paginator["limit_body_path"] = target[1]
    else:
        stream.refuse(f"{path}.page_size_option", "a page size in a header or form body is not supported")
        return None
    return paginator
