"""Why a dlt pipeline's expression cannot be imported as data, said in one line.

A dlt paginator or auth object (``SinglePagePaginator()``, ``HttpBasicAuth(...)``) or an incremental
object names the data that writes the same thing (``DATA_FORMS``); a callable or object under a key
that holds Python (``processing_steps``, ``response_actions``, ``session``, ...) says what it is.
"""

from __future__ import annotations

import ast


def name_of(node: ast.expr) -> str | None:
    """The name a call or attribute ends in (``a.b.C`` gives ``C``), or None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


#: dlt's paginator and auth classes -> the data that writes the same thing
DATA_FORMS = {
    "SinglePagePaginator": "paginator: single_page", "JSONLinkPaginator": "paginator: {type: json_link, ...}",
    "JSONResponsePaginator": "paginator: {type: json_link, ...}",
    "HeaderLinkPaginator": "paginator: {type: header_link, ...}",
    "HeaderCursorPaginator": "paginator: {type: header_cursor, ...}",
    "JSONResponseCursorPaginator": "paginator: {type: cursor, ...}",
    "OffsetPaginator": "paginator: {type: offset, limit: ...}",
    "PageNumberPaginator": "paginator: {type: page_number, ...}",
    "BearerTokenAuth": "auth: {type: bearer, token: ...}", "APIKeyAuth": "auth: {type: api_key, ...}",
    "HttpBasicAuth": "auth: {type: http_basic, username: ..., password: ...}",
    "OAuth2ClientCredentials": "auth: {type: oauth2_client_credentials, ...}",
    "incremental": "endpoint.incremental: {cursor_path: ..., initial_value: ...}",
}
#: the key that holds a Python object -> what it is
_HOLDERS = {
    "processing_steps": "processing steps are Python callables", "map": "processing steps are Python callables",
    "filter": "processing steps are Python callables", "yield_map": "processing steps are Python callables",
    "convert": "convert is a Python callable", "action": "a response hook is a Python callable",
    "response_actions": "a response hook is a Python callable", "session": "a requests session is a Python object",
    "paginator": "a custom paginator is a Python class", "auth": "a custom auth is a Python class",
    "resources": "a dlt resource is Python code", "table_name": "a table_name function is a Python callable",
}


def python_only(node: ast.expr, key: str | None) -> str:
    """Why the expression cannot be data, and the data form when there is one."""
    called: ast.expr = node
    while isinstance(called, (ast.Call, ast.Subscript)):  # Paginator(...), dlt.sources.incremental[str](...)
        called = called.func if isinstance(called, ast.Call) else called.value
    name = name_of(called) if called is not node else None
    if name in DATA_FORMS:
        return f" (a dlt {name} object); write it as data: {DATA_FORMS[name]}"
    if key in _HOLDERS:
        return f" ({_HOLDERS[key]}; a description cannot hold it)"
    return ""


def describe(node: ast.expr) -> str:
    """What kind of Python expression ``node`` is, e.g. ``the call Session(...)``."""
    kinds: dict[type[ast.AST], str] = {
        ast.Lambda: "a lambda", ast.Call: "a function call", ast.BinOp: "an operator expression",
        ast.Attribute: "an attribute", ast.Subscript: "a subscript", ast.Compare: "a comparison",
        ast.IfExp: "a conditional expression", ast.ListComp: "a comprehension", ast.DictComp: "a comprehension",
        ast.Set: "a set", ast.BoolOp: "a boolean expression",
    }
    if isinstance(node, ast.Call) and (name := name_of(node.func)):
        return f"the call {name}(...)"
    return kinds.get(type(node), f"a {type(node).__name__} expression")
