"""The bounds of one template evaluation: no CPU or memory bombs.

A template may build at most :data:`MAX_SIZE` characters or items (strings, lists, nested values,
its result), use exponents up to :data:`MAX_EXPONENT` and integers of at most :data:`MAX_BITS` bits, and take at most
:data:`MAX_SECONDS` (checked at each operation, filter and method call). Every check raises Jinja's
``SecurityError`` *before* the work is done, so the sandbox reports it as one line.
"""

from __future__ import annotations

import re
import threading
import time
import typing as t

from jinja2.exceptions import SecurityError

#: The largest string, list or result (characters or items, nested values counted) a template may build.
MAX_SIZE = 1_000_000
#: The largest exponent of ``**``, and the largest integer a template may compute (bits: about 30,000 digits).
MAX_EXPONENT = 128
MAX_BITS = 100_000
#: The longest one template evaluation may take (s).
MAX_SECONDS = 1.0
#: The filters and string methods that build strings or lists from their arguments: checked before they run.
BUILDERS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "indent", "wordwrap",
                      "truncate", "batch", "slice", "format", "format_map"})
_WIDTH = re.compile(r"\d+")
_DEADLINE = threading.local()


def start_clock() -> None:
    """An evaluation starts: it must end within :data:`MAX_SECONDS`."""
    _DEADLINE.at = time.monotonic() + MAX_SECONDS


def check_clock() -> None:
    """Refuse to go on past the evaluation's deadline."""
    deadline = getattr(_DEADLINE, "at", None)
    if deadline is not None and time.monotonic() > deadline:
        msg = f"it ran longer than {MAX_SECONDS:g} s"
        raise SecurityError(msg)


def size_of(value: object, budget: int = MAX_SIZE + 1) -> int:
    """Characters or items in ``value``, nested values counted (shared ones each time), stopping past ``budget``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, t.Mapping):
        value = [*value.keys(), *value.values()]
    if not isinstance(value, (list, tuple, set, frozenset)):
        return 1
    total = len(value)
    for item in value:
        if total > budget:
            break
        if isinstance(item, (str, bytes, list, tuple, t.Mapping, set, frozenset)):
            total += size_of(item, budget - total)
    return total


def check_size(size: int, what: str = "results") -> None:
    """Refuse a result of ``size`` characters or items above :data:`MAX_SIZE`."""
    if size > MAX_SIZE:
        msg = f"{what} longer than {MAX_SIZE:,} characters or items are not allowed"
        raise SecurityError(msg)


def check_binop(operator: str, left: object, right: object) -> None:
    """Refuse ``**``, ``*``, ``+`` and ``%`` whose result would be too large, before computing it."""
    check_clock()
    if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
        msg = f"exponents above {MAX_EXPONENT} are not allowed"
        raise SecurityError(msg)
    if operator == "**" and _is_int(left) and _is_int(right) and right > 0:
        if max(abs(left), 2).bit_length() * right > MAX_BITS:
            msg = f"powers above {MAX_BITS:,} bits are not allowed"
            raise SecurityError(msg)
    elif operator == "*":
        _check_product(left, right)
    elif operator == "+" and not (_is_number(left) and _is_number(right)):
        check_size(size_of(left) + size_of(right))
    elif operator == "%" and isinstance(left, str):
        check_format(left, right)


def check_format(template: str, *args: object) -> None:
    """Refuse a format string (``%``, ``.format``, ``|format``) whose widths would build too much."""
    widths = [int(width) for width in _WIDTH.findall(template) if len(width) < 12]
    if any(len(width) >= 12 for width in _WIDTH.findall(template)):
        check_size(MAX_SIZE + 1)
    check_size(len(template) + sum(widths) + sum(size_of(arg) for arg in args))


def check_call(name: str, value: object, args: t.Sequence[object], kwargs: t.Mapping[str, object]) -> None:
    """Refuse a builder filter or string method ``name`` whose result could exceed :data:`MAX_SIZE`.

    Each builder's bound is an upper bound of its result's size, computed from the value and the arguments
    before it runs (``center(n)``: n; ``indent(w)``: w per line; ``replace(a, b)``: b per occurrence of a).
    """
    check_clock()
    if name not in BUILDERS:
        return
    if name in {"format", "format_map"} and isinstance(value, str):
        check_format(value, *args, *kwargs.values())
        return
    arguments = [*args, *kwargs.values()]
    if any(_is_int(arg) and abs(arg) > MAX_SIZE for arg in arguments):
        check_size(MAX_SIZE + 1, "widths or counts")
    check_size(_bound(name, value, arguments))


def _bound(name: str, value: object, arguments: list[object]) -> int:
    """An upper bound of the size of builder ``name``'s result."""
    size = size_of(value)
    numbers = sum(abs(arg) for arg in arguments if _is_int(arg))
    texts = [arg for arg in arguments if isinstance(arg, str)]
    text = sum(map(len, texts))
    if name in {"center", "ljust", "rjust", "zfill"}:
        return size + numbers + text
    if name == "indent":
        return size + (value.count("\n") + 1 if isinstance(value, str) else size + 1) * (numbers + text)
    if name == "expandtabs":
        return size + (value.count("\t") if isinstance(value, str) else size) * numbers
    if name == "replace" and len(texts) >= 2:
        old, new = texts[0], texts[1]
        found = value.count(old) if isinstance(value, str) and old else size + 1
        return size + found * len(new)
    if name == "truncate":
        return size + text
    return size + numbers + (size + 1) * (text + sum(size_of(a) for a in arguments if isinstance(a, (list, tuple))))


def _check_product(left: object, right: object) -> None:
    if _is_int(left) and _is_int(right):
        if abs(left).bit_length() + abs(right).bit_length() > MAX_BITS:
            msg = f"products above {MAX_BITS:,} bits are not allowed"
            raise SecurityError(msg)
        return
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and _is_int(count) and count > 0:
            check_size(size_of(sequence) * count)


def _is_int(value: object) -> t.TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
