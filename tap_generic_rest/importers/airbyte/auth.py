"""Authenticators -> ``auth``.

``ApiKeyAuthenticator`` -> ``api_key`` (``inject_into`` header or request_parameter: ``location``
header/query, ``field_name`` -> ``name``); ``BearerAuthenticator`` -> ``bearer``;
``BasicHttpAuthenticator`` -> ``http_basic``; ``OAuthAuthenticator`` with ``grant_type:
client_credentials`` -> ``oauth2_client_credentials``, else (refresh token) -> ``oauth2_refresh_token``;
``SessionTokenAuthenticator`` -> ``session_token``; ``JwtAuthenticator`` -> ``jwt``; ``NoAuth`` -> none.
Values are templates over ``config`` only (auth values expand templates, not placeholders).
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.expressions import translate_value
from tap_generic_rest.importers.airbyte.requesters import map_request, requester_url
from tap_generic_rest.importers.airbyte.variables import Scope, Unmappable

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_OAUTH_IGNORED = {"token_expiry_date": "a token is fetched at the start of every run",
                  "token_expiry_date_format": "a token is fetched at the start of every run",
                  "refresh_token_error_status_codes": "a failed refresh fails the run",
                  "refresh_token_error_key": "a failed refresh fails the run",
                  "refresh_token_error_values": "a failed refresh fails the run",
                  "access_token_value": "a token is fetched at the start of every run"}


def _values(component: dict[str, t.Any], stream: Stream, path: str, pairs: dict[str, str]) -> dict[str, t.Any]:
    """Our keys from the component's fields (``pairs``: field -> key), translated (auth scope)."""
    scope = Scope(stream, component.get("$parameters") or {}, placeholders=False)
    result: dict[str, t.Any] = {}
    for field, key in pairs.items():
        if component.get(field) is None:
            continue
        try:
            result[key] = translate_value(component[field], scope)
        except Unmappable as exc:
            stream.refuse(f"{path}.{field}", str(exc))
    return result


def map_auth(component: object, stream: Stream, path: str) -> dict[str, t.Any] | None:
    """Our ``auth`` for an authenticator (None: no auth, or refused)."""
    if not isinstance(component, dict):
        return None
    kind = component.get("type")
    mapper = _MAPPERS.get(str(kind))
    if mapper is None:
        stream.refuse(path, f"{kind} is not supported")
        return None
    return mapper(component, stream, path)


def _no_auth(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ())
    return None


def _api_key(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ("api_token", "header", "inject_into"))
    auth = {"type": "api_key", **_values(component, stream, path, {"api_token": "api_key"})}
    option = component.get("inject_into")
    if isinstance(option, dict):
        where = option.get("inject_into")
        if where not in ("header", "request_parameter"):
            stream.refuse(f"{path}.inject_into.inject_into", f"an API key in {where!r} is not supported "
                          "(header and request_parameter are)")
        auth["name"] = option.get("field_name")
        auth["location"] = "header" if where == "header" else "query"
    else:
        auth["name"] = component.get("header") or "Authorization"
        auth["location"] = "header"
    return auth


def _bearer(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ("api_token",))
    return {"type": "bearer", **_values(component, stream, path, {"api_token": "token"})}


def _basic(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ("username", "password"))
    values = _values(component, stream, path, {"username": "username", "password": "password"})
    return {"type": "http_basic", "username": values.get("username", ""), "password": values.get("password", "")}


def _oauth(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    handled = ("client_id", "client_secret", "refresh_token", "token_refresh_endpoint", "access_token_name",
               "expires_in_name", "grant_type", "refresh_request_body", "scopes", "refresh_token_name",
               "refresh_token_updater", "client_id_name", "client_secret_name", "grant_type_name")
    stream.check_options(component, path, handled, _OAUTH_IGNORED)
    for field, default in (("client_id_name", "client_id"), ("client_secret_name", "client_secret"),
                           ("grant_type_name", "grant_type")):
        if component.get(field, default) != default:
            stream.refuse(f"{path}.{field}", f"{field} other than {default!r} is not supported")
    values = _values(component, stream, path, {
        "token_refresh_endpoint": "access_token_url", "client_id": "client_id", "client_secret": "client_secret",
        "refresh_token": "refresh_token", "scopes": "scopes", "refresh_request_body": "refresh_request_body",
        "access_token_name": "access_token_name", "expires_in_name": "expires_in_name",
        "refresh_token_name": "refresh_token_name"})
    if component.get("grant_type") == "client_credentials":
        body = dict(values.pop("refresh_request_body", None) or {})
        if values.get("scopes"):
            body["scope"] = " ".join(str(scope) for scope in values.pop("scopes"))
        for key in ("access_token_name", "expires_in_name", "refresh_token_name", "refresh_token"):
            if values.pop(key, None) not in (None, key.removesuffix("_name"), "access_token", "expires_in"):
                stream.refuse(f"{path}.{key}", f"{key} is not supported with grant_type client_credentials")
        auth = {"type": "oauth2_client_credentials", **values}
        return {**auth, "access_token_request_data": body} if body else auth
    if component.get("refresh_token_updater"):
        stream.warn(f"{path}.refresh_token_updater", "the rotated refresh token is stored as docs/extensions.md "
                    "(More auth) says; set it up there")
    return {"type": "oauth2_refresh_token", **values}


def _session(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ("login_requester", "session_token_path", "expiration_duration",
                                           "request_authentication", "decoder"))
    login = component.get("login_requester") or {}
    base, own = requester_url(login, stream, f"{path}.login_requester")
    request = map_request(login, stream, f"{path}.login_requester")
    auth: dict[str, t.Any] = {"type": "session_token", "login": {
        "method": request.pop("method", "GET"), "path": _join(base, own), **request}}
    token_path = component.get("session_token_path") or []
    auth["session_token_path"] = ".".join(str(part) for part in token_path)
    if component.get("expiration_duration"):
        auth["expiration_duration"] = component["expiration_duration"]
    inject = component.get("request_authentication") or {}
    if inject.get("type") == "Bearer":
        auth["inject"] = {"type": "header", "name": "Authorization", "prefix": "Bearer "}
    else:
        option = inject.get("inject_into") or {}
        where = option.get("inject_into")
        auth["inject"] = {"type": "header" if where == "header" else "param", "name": option.get("field_name")}
    return auth


def _join(base: str, own: str) -> str:
    if not base or own.startswith(("http://", "https://")):
        return own
    return base.rstrip("/") + "/" + own.lstrip("/")


def _jwt(component: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(component, path, ("secret_key", "algorithm", "token_duration", "header_prefix",
                                           "jwt_headers", "additional_jwt_headers", "jwt_payload",
                                           "additional_jwt_payload", "base64_encode_secret_key"))
    if component.get("base64_encode_secret_key"):
        stream.refuse(f"{path}.base64_encode_secret_key", "base64_encode_secret_key is not supported")
    values = _values(component, stream, path, {"secret_key": "secret_key", "algorithm": "algorithm",
                                               "token_duration": "token_duration", "header_prefix": "header_prefix"})
    parts = _values(component, stream, path, {"jwt_headers": "jwt_headers", "additional_jwt_headers": "extra_h",
                                              "jwt_payload": "jwt_payload", "additional_jwt_payload": "extra_p"})
    headers = {**(parts.get("jwt_headers") or {}), **(parts.get("extra_h") or {})}
    payload = {**(parts.get("jwt_payload") or {}), **(parts.get("extra_p") or {})}
    auth = {"type": "jwt", **values}
    auth.update({key: value for key, value in (("jwt_headers", headers), ("jwt_payload", payload)) if value})
    return auth


_MAPPERS: dict[str, t.Callable[[dict[str, t.Any], Stream, str], dict[str, t.Any] | None]] = {
    "NoAuth": _no_auth, "ApiKeyAuthenticator": _api_key, "BearerAuthenticator": _bearer,
    "BasicHttpAuthenticator": _basic, "OAuthAuthenticator": _oauth, "SessionTokenAuthenticator": _session,
    "JwtAuthenticator": _jwt,
}
