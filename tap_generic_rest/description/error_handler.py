"""``error_handler`` (client and endpoint) and dlt's ``response_actions`` read into error rules.

Checked here, before any request, each problem at its exact place: templates (``predicate``,
``error_message``) compile in the sandbox with the variables ``response``, ``headers`` and ``config``,
and every ``regex`` compiles. Actions, types and numbers are checked by the format's JSON Schema.
dlt's ``response_actions`` become rules of the same mechanism (``ignore``, every given criterion).
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.expressions.conditions import RESPONSE_VARIABLES, ContextCondition
from tap_generic_rest.expressions.templating import compile_string
from tap_generic_rest.http.error_rules import Backoff, ErrorHandler, ResponseFilter

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where

Raw = t.Mapping[str, t.Any]


def build_error_handler(raw: Raw | None, where: Where) -> ErrorHandler:
    """The handler ``raw`` (None: an empty one, every key left to the client's or the defaults)."""
    if raw is None:
        return ErrorHandler()
    filters = raw.get("response_filters")
    strategies = raw.get("backoff_strategies")
    return ErrorHandler(
        max_retries=raw.get("max_retries"),
        filters=None if filters is None else tuple(
            _filter(spec, where.at("response_filters").item(index)) for index, spec in enumerate(filters)),
        backoff=None if strategies is None else tuple(
            _backoff(spec, where.at("backoff_strategies").item(index)) for index, spec in enumerate(strategies)),
    )


def response_action_rules(actions: t.Iterable[Raw]) -> tuple[ResponseFilter, ...]:
    """dlt's ``response_actions`` (``{status_code, content, action: ignore}``) as rules."""
    return tuple(ResponseFilter(action=str(action["action"]), contains=action.get("content"),
                                http_codes=frozenset([action["status_code"]] if "status_code" in action else ()))
                 for action in actions)


def _filter(spec: Raw, where: Where) -> ResponseFilter:
    predicate = None
    if "predicate" in spec:
        predicate = where.at("predicate").checked(
            lambda: ContextCondition(spec["predicate"], RESPONSE_VARIABLES))
    message = None
    if "error_message" in spec:
        message = where.at("error_message").checked(
            lambda: compile_string(spec["error_message"], None, RESPONSE_VARIABLES))
    return ResponseFilter(action=spec["action"], http_codes=frozenset(spec.get("http_codes") or ()),
                          contains=spec.get("error_message_contains"), predicate=predicate, error_message=message,
                          match_any=spec.get("match") == "any")


def _backoff(spec: Raw, where: Where) -> Backoff:
    kind = spec["type"]
    regex = None
    if spec.get("regex") is not None:
        try:
            regex = re.compile(spec["regex"])
        except re.error as exc:
            raise where.at("regex").error(f"{spec['regex']!r} is not a valid regular expression: {exc}") from None
    seconds = {"constant": spec.get("backoff_time_in_seconds"), "exponential": spec.get("factor", 5)}.get(kind)
    return Backoff(type=kind, seconds=float(seconds or 0), header=spec.get("header", ""), regex=regex,
                   max_wait=spec.get("max_waiting_time_in_seconds"), min_wait=float(spec.get("min_wait") or 0))

