"""``DefaultErrorHandler`` / ``CompositeErrorHandler`` -> ``endpoint.error_handler``.

``max_retries`` -> ``max_retries``; ``backoff_strategies`` -> ``backoff_strategies`` (``ExponentialBackoffStrategy``
-> ``exponential`` with ``factor``, ``ConstantBackoffStrategy`` -> ``constant``, ``WaitTimeFromHeader`` ->
``wait_time_from_header``, ``WaitUntilTimeFromHeader`` -> ``wait_until_time_from_header``, their fields kept);
``response_filters`` -> ``response_filters`` (``http_codes``, ``error_message_contains``, ``predicate``,
``error_message``; ``action`` lower-cased). A composite handler's filters are tried in order; its first
handler's retries and backoff apply (warned when another differs).
"""

from __future__ import annotations

import typing as t

from tap_generic_rest.importers.airbyte.context import custom_refusal, is_custom
from tap_generic_rest.importers.airbyte.requesters import translate
from tap_generic_rest.importers.airbyte.variables import Scope

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_BACKOFFS = {"ExponentialBackoffStrategy": ("exponential", ("factor",)),
             "ConstantBackoffStrategy": ("constant", ("backoff_time_in_seconds",)),
             "WaitTimeFromHeader": ("wait_time_from_header", ("header", "regex", "max_waiting_time_in_seconds")),
             "WaitUntilTimeFromHeader": ("wait_until_time_from_header",
                                         ("header", "regex", "min_wait", "max_waiting_time_in_seconds"))}
_ACTIONS = frozenset({"RETRY", "FAIL", "IGNORE", "RATE_LIMITED", "SUCCESS"})
_FILTER_KEYS = ("http_codes", "error_message_contains", "predicate", "error_message", "action")


def map_error_handler(handler: object, stream: Stream, path: str) -> dict[str, t.Any] | None:
    """Our ``error_handler`` (None: none, or refused)."""
    if not isinstance(handler, dict):
        return None
    if is_custom(handler):
        custom_refusal(stream, handler, path)
        return None
    if handler.get("type") == "CompositeErrorHandler":
        stream.check_options(handler, path, ("error_handlers",))
        mapped = [map_error_handler(item, stream, f"{path}.error_handlers[{index}]")
                  for index, item in enumerate(handler.get("error_handlers") or [])]
        parts = [item for item in mapped if item]
        if not parts:
            return None
        filters = [rule for part in parts for rule in part.get("response_filters") or []]
        if any({k: v for k, v in part.items() if k != "response_filters"} !=
               {k: v for k, v in parts[0].items() if k != "response_filters"} for part in parts):
            stream.warn(path, "the first handler's max_retries and backoff apply to every response")
        return {**parts[0], "response_filters": filters} if filters else parts[0]
    if handler.get("type") != "DefaultErrorHandler":
        stream.refuse(path, f"{handler.get('type')} is not supported")
        return None
    stream.check_options(handler, path, ("max_retries", "backoff_strategies", "response_filters"))
    result: dict[str, t.Any] = {}
    if handler.get("max_retries") is not None:
        result["max_retries"] = handler["max_retries"]
    backoffs = [_backoff(item, stream, f"{path}.backoff_strategies[{index}]")
                for index, item in enumerate(handler.get("backoff_strategies") or [])]
    if backoffs:
        result["backoff_strategies"] = [item for item in backoffs if item]
    filters = [_filter(item, stream, f"{path}.response_filters[{index}]")
               for index, item in enumerate(handler.get("response_filters") or [])]
    if filters:
        result["response_filters"] = [item for item in filters if item]
    return result


def _backoff(strategy: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    if is_custom(strategy):
        custom_refusal(stream, strategy, path)
        return None
    kind = str(strategy.get("type"))
    if kind not in _BACKOFFS:
        stream.refuse(path, f"{kind} is not supported")
        return None
    name, fields = _BACKOFFS[kind]
    stream.check_options(strategy, path, fields, {"jitter_range_in_seconds": "waits are not jittered"})
    scope = Scope(stream, strategy.get("$parameters") or {}, placeholders=False)
    values = {field: translate(strategy[field], scope, f"{path}.{field}") for field in fields
              if strategy.get(field) is not None}
    return {"type": name, **values}


def _filter(rule: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    stream.check_options(rule, path, _FILTER_KEYS, {"failure_type": "every failure fails the run the same way"})
    action = str(rule.get("action") or "")
    if action and action not in _ACTIONS:
        stream.refuse(f"{path}.action", f"action {action!r} is not supported")
        return None
    scope = Scope(stream, rule.get("$parameters") or {}, variables=frozenset({"response", "headers"}),
                  placeholders=False)
    result: dict[str, t.Any] = {}
    for key in ("http_codes", "error_message_contains", "predicate", "error_message"):
        if rule.get(key) not in (None, "", []):
            result[key] = translate(rule[key], scope, f"{path}.{key}")
    if action:
        result["action"] = action.lower()
    return result
