"""dlt ``rest_api`` configs to one normalized form: shorthands expanded, defaults resolved as dlt does.

- A string resource is ``{name: s}``; an endpoint string is ``{path: s}``; no path: path = name.
- ``resource_defaults`` are merged into every resource: resource keys replace the default's;
  ``endpoint`` keys replace, except ``params`` and ``json`` (merged one level); ``null`` removes;
  ``columns`` are merged column by column.
- Paginator: endpoint > client > auto; a type name is that type with its defaults; a single-entity
  path (last segment has a placeholder) without an endpoint paginator / data_selector is one
  request of the whole response.
- Auth: a dict without ``type`` is bearer; endpoint ``auth`` overrides the client's; a credential
  left out (or every credential of a shorthand such as ``auth: api_key``), which dlt reads from its
  secrets, reads the tap setting that holds it (``settings.CREDENTIALS``).
- Python-only parts are refused; loader-only keys are accepted and reported once each.
"""

from __future__ import annotations

import copy
import logging
import re
import typing as t

from tap_generic_rest.description.where import Where
from tap_generic_rest.http.auth import AUTH_TYPES, FILLED
from tap_generic_rest.http.scheme import BASE_URL, WHERE
from tap_generic_rest.settings import credential_setting

LOGGER = logging.getLogger("tap-generic-rest")
#: Keys that only steer dlt's loader: accepted, ignored with one warning each.
LOADER_KEYS = ("table_name", "merge_key", "table_format", "file_format", "references",
               "nested_hints", "parent_table_name", "max_table_nesting")
_PLACEHOLDER_IN_LAST_SEGMENT = re.compile(r"\{[^{}/]*\}[^/]*$")


class Normalized(t.NamedTuple):
    """A dlt config in its normalized form: the client's auth and every resource as a full dict."""

    client_auth: dict[str, t.Any] | None
    resources: list[dict[str, t.Any]]


def normalize(doc: dict[str, t.Any], where: Where) -> Normalized:
    """A validated dlt config in its normalized form (see the module docstring)."""
    client_auth = normalize_auth(doc["client"].get("auth"), where.at("client.auth"), doc["client"]["base_url"])
    defaults = copy.deepcopy(doc.get("resource_defaults") or {})
    if isinstance(defaults.get("endpoint"), str):
        defaults["endpoint"] = {"path": defaults["endpoint"]}
    warned: set[str] = set()
    resources = [_resource(raw, defaults, doc["client"], where.at("resources").item(index), warned)
                 for index, raw in enumerate(doc["resources"])]
    return Normalized(client_auth, resources)


def _resource(raw: str | dict[str, t.Any], defaults: dict[str, t.Any], client: dict[str, t.Any], where: Where,
              warned: set[str]) -> dict[str, t.Any]:
    """One resource as a full dict: shorthands expanded, defaults merged, paginator and auth resolved."""
    resource: dict[str, t.Any] = {"name": raw} if isinstance(raw, str) else copy.deepcopy(raw)
    if isinstance(resource.get("endpoint"), str):
        resource["endpoint"] = {"path": resource["endpoint"]}
    _refuse_python_only(resource, where)
    merged = _merge(defaults, resource)
    endpoint = merged.setdefault("endpoint", {})
    endpoint.setdefault("path", merged["name"])
    explicit = t.cast("dict[str, t.Any]", resource.get("endpoint") or {})
    own = {**defaults.get("endpoint", {}), **explicit}
    endpoint["paginator"] = _paginator(endpoint, own, client, where)
    if "data_selector" not in own and _single_entity(endpoint["path"]) and "paginator" not in own:
        endpoint["data_selector"] = "$"
    if endpoint.get("auth") is None:
        endpoint.pop("auth", None)
    else:
        endpoint["auth"] = normalize_auth(endpoint["auth"], where.at("endpoint.auth"), client["base_url"])
    _body(endpoint, where)
    for key in LOADER_KEYS:
        if key in merged and key not in warned:
            warned.add(key)
            LOGGER.warning("%s only steers dlt's loader; ignored", where.at(key))
    return merged


def normalize_auth(spec: object, where: Where, base_url: str = "") -> dict[str, t.Any] | None:
    """An auth config as a dict with ``type`` (None: no auth); left-out credentials read their setting."""
    if spec is None:
        return None
    auth: dict[str, t.Any] = {"type": spec} if isinstance(spec, str) else dict(t.cast("dict[str, t.Any]", spec))
    auth.setdefault("type", "bearer")
    if auth["type"] == "session_token":
        _check_session_token(auth, isinstance(spec, str), where)
    if "session" in auth:
        raise where.at("session").error("a requests session is Python only; not supported")
    if auth.get("location") == "cookie":
        raise where.at("location").error("cookie api keys are not implemented (dlt raises NotImplementedError "
                                         "too); use header or query")
    for field, required in AUTH_TYPES[auth["type"]].credential_fields.items():
        setting = credential_setting(auth["type"], field)
        if field in auth or (setting is None and not required):
            continue
        if setting is None:
            raise where.error(f"{auth['type']} needs {field} and no tap setting holds it; write it, e.g. {field}: me")
        auth[field] = "{{ config." + setting + " }}"
        if not required:  # dlt reads it from its secrets and refuses it missing: required when left out
            auth.setdefault(FILLED, []).append(field)
    if AUTH_TYPES[auth["type"]].keeps_place:
        auth.update({BASE_URL: base_url, WHERE: where.path})
    return auth


def _check_session_token(auth: dict[str, t.Any], shorthand: bool, where: Where) -> None:
    if shorthand:
        raise where.error("session_token needs its login request and session_token_path (or session_token_header); "
                          "write the auth as an object, e.g. {type: session_token, login: {path: /login, json: "
                          "...}, session_token_path: token}")
    places = [key for key in ("session_token_path", "session_token_header") if key in auth]
    if len(places) != 1:
        raise where.error("session_token reads the token from one place: set session_token_path (a dotted path into "
                          "the login response's JSON) or session_token_header (a response header), "
                          f"{'not both' if places else 'one of them'}")


def _refuse_python_only(resource: dict[str, t.Any], where: Where) -> None:
    if "processing_steps" in resource:
        raise where.at("processing_steps").error("processing steps are Python callables (filter/map/yield_map); "
                                                 "a data description cannot hold them")
    endpoint = resource.get("endpoint", {})
    data = endpoint.get("data")
    if isinstance(data, list):  # dlt's list of (key, value) tuples: a form with repeated keys
        for position, pair in enumerate(data):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise where.at("endpoint.data").item(position).error(
                    "a list body is a form of [key, value] pairs, e.g. [[post_id, 1], [post_id, 2]]")
    incremental = resource.get("endpoint", {}).get("incremental") or {}
    if "convert" in incremental:
        raise where.at("endpoint.incremental.convert").error(
            "convert is a Python callable; a data description cannot hold it")
    for position, action in enumerate(resource.get("endpoint", {}).get("response_actions") or []):
        if isinstance(action, str) or (isinstance(action, dict) and action.get("action") != "ignore"):
            raise where.at("endpoint.response_actions").item(position).error(
                "only action 'ignore' is data; other response actions are Python callables")


def _body(endpoint: dict[str, t.Any], where: Where) -> None:
    """One body, as dlt's client and requests choose it: ``data`` when not empty, else ``json``."""
    data = endpoint.get("data")
    if data and endpoint.get("json"):
        raise where.at("endpoint.data").error("Cannot use both 'json' and 'data' parameters simultaneously (dlt "
                                              "refuses it too); use 'json' for JSON payloads or 'data' for "
                                              "form-encoded/raw data")
    endpoint.pop("json" if data else "data", None)


def _merge(defaults: dict[str, t.Any], resource: dict[str, t.Any]) -> dict[str, t.Any]:
    merged = copy.deepcopy(defaults)
    for key, value in resource.items():
        if key == "endpoint" and isinstance(merged.get("endpoint"), dict):
            endpoint = merged["endpoint"]
            for sub, item in value.items():
                if sub in {"params", "json"} and isinstance(item, dict) and isinstance(endpoint.get(sub), dict):
                    endpoint[sub] = {**endpoint[sub], **item}
                elif item is None and sub != "paginator":
                    endpoint.pop(sub, None)
                else:
                    endpoint[sub] = item
        elif key == "columns" and isinstance(value, dict) and isinstance(merged.get("columns"), dict):
            merged["columns"] = {**merged["columns"], **value}
        else:
            merged[key] = value
    return merged


def _paginator(endpoint: dict[str, t.Any], own: dict[str, t.Any], client: dict[str, t.Any],
               where: Where) -> dict[str, t.Any] | None:
    """The effective paginator: a dict with ``type``, or None for auto-detection."""
    client_at = Where(where.file).at("client.paginator")
    if "paginator" in own:
        spec, at = own["paginator"], where.at("endpoint.paginator")
        if spec is None:
            spec, at = client.get("paginator"), client_at
    elif _single_entity(endpoint["path"]):
        return {"type": "single_page"}
    else:
        spec, at = client.get("paginator"), client_at
    if spec is None or spec == "auto":
        return None
    if isinstance(spec, str):
        if spec == "offset":
            raise at.error("'offset' needs a limit; write {type: offset, limit: 100}")
        return {"type": spec}
    if spec.get("type") == "offset" and spec.get("total_path", "total") is None and not (
            spec.get("maximum_offset") or spec.get("has_more_path") or spec.get("stop_after_empty_page", True)):
        raise at.error("offset needs a stop rule: total_path, maximum_offset, has_more_path or stop_after_empty_page")
    return dict(spec)


def _single_entity(path: str) -> bool:
    return bool(_PLACEHOLDER_IN_LAST_SEGMENT.search(path.split("?", maxsplit=1)[0].rstrip("/")))
