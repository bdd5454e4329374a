"""The format's JSON Schema (``description.schema.json``) and its errors as one line each.

:func:`schema_error` gives the first problem of a document, or None: the exact path
(``resources[2].endpoint.paginator.type``) and what is wrong there, with the fix;
:func:`schema_errors` every problem, the same way.
"""

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import jsonschema
from jsonschema.exceptions import ValidationError, relevance

from tap_generic_rest.http.auth import SECRET_FIELDS

FORMAT_SCHEMA: dict[str, t.Any] = json.loads(
    (Path(__file__).parent / "description.schema.json").read_text(encoding="utf-8")
)
_VALIDATOR = jsonschema.Draft7Validator(FORMAT_SCHEMA)


def schema_error(document: object) -> tuple[str, str] | None:
    """The (path, one-line message) of the document's most relevant schema error, or None."""
    return _explained(_most_relevant(_VALIDATOR.iter_errors(document)))


def schema_errors(document: object) -> list[tuple[str, str]]:
    """Every schema error of the document as (path, one-line message), each once (alternatives explained by
    every problem of the closest one)."""
    found: list[tuple[str, str]] = []
    for error in sorted(_VALIDATOR.iter_errors(document), key=relevance, reverse=True):
        found += _every(error)
    return list(dict.fromkeys(found))


def _every(error: ValidationError) -> list[tuple[str, str]]:
    closest = _closest_branch(error)
    if closest is None:
        return [_one_line(error)]
    return [line for sub in sorted(closest, key=relevance, reverse=True) for line in _every(sub)]


def _explained(error: ValidationError | None) -> tuple[str, str] | None:
    while error is not None and (closest := _closest_branch(error)) is not None:
        error = _most_relevant(closest)
    return None if error is None else _one_line(error)


def _closest_branch(error: ValidationError) -> list[ValidationError] | None:
    """Where alternatives may stand: the errors of the alternative the value is closest to (None: none)."""
    if error.validator not in {"oneOf", "anyOf"} or not error.context:
        return None
    wrong_type = {sub.relative_schema_path[0] for sub in error.context
                  if sub.validator == "type" and len(sub.relative_schema_path) <= 2}
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context:
        if sub.relative_schema_path[0] not in wrong_type:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    # fewest problems ({token: 1} is bearer, not http_basic); a tie: the branch that got furthest
    # ({type: bearer, extra: 1} is explained by type bearer's fields)
    return min(branches.values(), key=_distance) if branches else None


def _one_line(error: ValidationError) -> tuple[str, str]:
    return _path(error.absolute_path), _mask_secrets(_explain(error), error)


def _distance(branch: list[ValidationError]) -> tuple[int, int]:
    return len(branch), -max(len(sub.relative_schema_path) for sub in branch)


def _most_relevant(errors: t.Iterable[ValidationError]) -> ValidationError | None:
    """jsonschema's most relevant error, without descending into alternatives (done above)."""
    return max(errors, key=relevance, default=None)


def _mask_secrets(message: str, error: ValidationError) -> str:
    parts = list(error.absolute_path)
    if "auth" not in parts:
        return message
    instance = error.instance
    values = [instance] if parts[-1] in SECRET_FIELDS else []
    if isinstance(instance, dict):
        values += [value for key, value in instance.items() if key in SECRET_FIELDS]
    for value in values:
        text = str(value)
        masked = f"{text[0]}*****{text[-1]}" if len(text) > 2 else "*****"
        message = message.replace(repr(value), repr(masked) if isinstance(value, str) else masked)
        if isinstance(value, str) and len(value) > 2:
            message = message.replace(value, masked)
    return message


def _path(parts: t.Iterable[object]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _explain(error: ValidationError) -> str:
    """One line: what is wrong at the error's path and how to fix it."""
    value = error.instance
    if error.validator == "enum":
        allowed = ", ".join(str(item) for item in t.cast("list[object]", error.validator_value))
        return f"{value!r} is not allowed; use one of: {allowed}"
    if error.validator == "const":
        return f"{value!r} is not allowed; use {error.validator_value!r}"
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        what = missing[0] if missing else error.message
        return f"missing required field {what!r}; add it"
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = ", ".join(sorted(schema.get("properties", {})))
        extra = re.findall(r"'([^']+)'", error.message)
        return f"unknown field(s) {', '.join(repr(x) for x in extra)}; allowed: {allowed}"
    if error.validator in {"minimum", "maximum"}:
        side = "small" if error.validator == "minimum" else "large"
        return f"{value!r} is too {side}; use a number of at {'least' if side == 'small' else 'most'} " \
               f"{error.validator_value}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(value).__name__} {value!r}"
    if error.validator == "pattern":
        if str(error.validator_value).startswith("^https?://"):
            return f"{value!r} is not an http(s) URL; use e.g. https://api.example.com"
        if str(error.validator_value).startswith("^P"):
            return f"{value!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds; use e.g. PT1H"
        return f"{value!r} is not a valid name; use lowercase letters, digits and underscores, e.g. api_key"
    if error.validator in {"oneOf", "anyOf"} and isinstance(value, (str, list)):
        return f"{value!r} is not a valid value here: {error.message}"
    if error.validator == "anyOf":
        alternatives = t.cast("list[dict[str, t.Any]]", error.validator_value)
        options = [sorted(option.get("required", [])) for option in alternatives]
        return f"needs one of: {' or '.join(', '.join(option) for option in options)}"
    return error.message
