"""``HttpRequester`` -> the endpoint's URL, method, params, headers and body; ``RequestOption`` injection.

``url_base`` + ``path`` (or ``url``) give the endpoint's URL (the description's ``base_url`` is chosen
across streams by :mod:`manifest`); ``http_method`` GET/POST; ``request_parameters`` -> ``params``,
``request_headers`` -> ``headers``, ``request_body_json`` / ``request_body`` (JSON object, GraphQL) ->
``json``, ``request_body_data`` / ``request_body`` (form, plain text) -> ``data``. Values are translated
(:mod:`expressions`). ``authenticator`` and ``error_handler`` are mapped by their own modules.
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.expressions import translate_string, translate_value
from tap_generic_rest.importers.airbyte.variables import Scope, Unmappable

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

HANDLED = ("url_base", "url", "path", "http_method", "request_parameters", "request_headers", "request_body_json",
           "request_body_data", "request_body", "authenticator", "error_handler", "name", "use_cache", "decoder")
IGNORED = {"use_cache": "responses are not cached by the tap"}
_BODIES = {"RequestBodyJsonObject": "json", "RequestBodyUrlEncodedForm": "data", "RequestBodyPlainText": "data"}
_PARTS = {"request_parameter": "params", "header": "headers", "body_json": "json", "body_data": "data"}


def translate(value: object, scope: Scope, path: str) -> object:
    """``value`` translated (each entry on its own: every refusal is listed), or None after a refusal."""
    if isinstance(value, dict):
        items = {key: translate(item, scope, f"{path}.{key}") for key, item in value.items()}
        try:
            return {translate_value(key, scope): item for key, item in items.items()}
        except Unmappable as exc:
            scope.stream.refuse(path, f"{exc}")
            return None
    if isinstance(value, list):
        return [translate(item, scope, f"{path}[{index}]") for index, item in enumerate(value)]
    try:
        return translate_value(value, scope)
    except Unmappable as exc:
        scope.stream.refuse(path, f"{exc}")
        return None


def requester_url(requester: dict[str, t.Any], stream: Stream, path: str) -> tuple[str, str]:
    """(url_base, path) translated; ``url`` gives the whole URL as the path and no base."""
    scope = Scope(stream, requester.get("$parameters") or {})
    if requester.get("url"):
        return "", str(translate(str(requester["url"]), scope, f"{path}.url") or "")
    base = translate(str(requester.get("url_base") or ""), scope, f"{path}.url_base")
    own = translate(str(requester.get("path") or ""), scope, f"{path}.path")
    return str(base or ""), str(own or "")


def map_request(requester: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any]:
    """The endpoint's method, params, headers and body."""
    scope = Scope(stream, requester.get("$parameters") or {})
    endpoint: dict[str, t.Any] = {}
    method = str(requester.get("http_method") or "GET").upper()
    if method not in ("GET", "POST"):
        stream.refuse(f"{path}.http_method", f"http_method {method} is not supported (GET and POST are)")
    elif method == "POST":
        endpoint["method"] = "POST"
    for key, target in (("request_parameters", "params"), ("request_headers", "headers"),
                        ("request_body_json", "json"), ("request_body_data", "data")):
        value = requester.get(key)
        if value in (None, {}, ""):
            continue
        if isinstance(value, str) and target != "data":
            stream.refuse(f"{path}.{key}", f"{key} as one interpolated string is not supported (write a mapping)")
            continue
        if not isinstance(value, (dict, str)) and target != "json":
            stream.refuse(f"{path}.{key}", f"{key} must be a mapping, not {type(value).__name__}")
            continue
        endpoint[target] = translate(value, scope, f"{path}.{key}")
    body = requester.get("request_body")
    if isinstance(body, dict):
        _map_body(body, scope, f"{path}.request_body", endpoint)
    return endpoint


def _map_body(body: dict[str, t.Any], scope: Scope, path: str, endpoint: dict[str, t.Any]) -> None:
    kind = body.get("type")
    if kind == "RequestBodyGraphQL":
        value = body.get("value") or {}
        endpoint["json"] = translate(value, scope, f"{path}.value")
    elif kind in _BODIES:
        endpoint[_BODIES[str(kind)]] = translate(body.get("value"), scope, f"{path}.value")
    else:
        scope.stream.refuse(path, f"request_body of type {kind} is not supported")


def inject(endpoint: dict[str, t.Any], option: object, value: object, stream: Stream, path: str) -> None:
    """Put ``value`` where a ``RequestOption`` says (param, header, JSON or form body)."""
    if not isinstance(option, dict):
        return
    kind = option.get("type", "RequestOption")
    where = option.get("inject_into")
    if kind == "RequestPath":
        stream.refuse(path, "a RequestPath option is only supported for a page token")
        return
    if where not in _PARTS:
        stream.refuse(f"{path}.inject_into", f"inject_into {where!r} is not supported")
        return
    field_path = option.get("field_path")
    keys = [str(key) for key in field_path] if isinstance(field_path, list) and field_path \
        else [str(option.get("field_name") or "")]
    if not keys[0]:
        stream.refuse(path, "a RequestOption without field_name")
        return
    translated = [translate_string(key, Scope(stream, option.get("$parameters") or {})) if "{{" in key else key
                  for key in keys]
    target = endpoint.setdefault(_PARTS[str(where)], {})
    for key in translated[:-1]:
        target = target.setdefault(str(key), {})
    target[str(translated[-1])] = value


def option_target(option: object) -> tuple[str, str] | None:
    """(endpoint part, dotted key) a ``RequestOption`` writes to, or None."""
    if not isinstance(option, dict) or option.get("inject_into") not in _PARTS:
        return None
    field_path = option.get("field_path")
    key = ".".join(str(k) for k in field_path) if isinstance(field_path, list) and field_path \
        else str(option.get("field_name") or "")
    return _PARTS[str(option["inject_into"])], key
