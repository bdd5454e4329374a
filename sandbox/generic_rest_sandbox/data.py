"""Helpers for deterministic, realistic-looking sandbox data.

Every generator takes a :class:`random.Random` made by :func:`make_rng` from the sandbox seed
and a label, so the same seed and scale always give the same data (string seeds do not
depend on ``PYTHONHASHSEED``). Only example.com style hosts and RFC 5737 addresses are used.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

T = TypeVar("T")

BASE62 = string.digits + string.ascii_letters
LOWER_ALNUM = string.digits + string.ascii_lowercase

EPOCH_2024 = 1704067200
"""2024-01-01T00:00:00Z: generated timestamps fall within 2024."""
SECONDS_2024 = 366 * 86400
MUTATION_EPOCH = 1735689600
"""2025-01-01T00:00:00Z: :meth:`Api.mutate` call ``k`` stamps its changes around ``MUTATION_EPOCH + k days``,
later than every generated timestamp and earlier than any real sync."""

FIRST_NAMES = (
    "Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kai", "Lena",
    "Milo", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "Archer", "Baker", "Carter", "Dawson", "Ellis", "Fisher", "Garcia", "Hayes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tanaka",
)  # fmt: skip
WORDS = (
    "alpha", "amber", "beacon", "cedar", "comet", "delta", "ember", "falcon", "garnet", "harbor",
    "indigo", "juniper", "kestrel", "lumen", "maple", "nimbus", "onyx", "pine", "quartz", "raven",
    "summit", "tundra", "umber", "vertex", "willow", "zephyr",
)  # fmt: skip
TIME_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Africa/Lagos")
COUNTRIES = ("France", "Japan", "Brazil", "Canada", "Kenya", "Germany", "India", "Mexico")


def make_rng(seed: int, *labels: object) -> random.Random:
    """A generator seeded by the sandbox seed and labels (e.g. API and stream name)."""
    return random.Random(":".join([str(seed), *(str(label) for label in labels)]))


def iso(seconds: int, fraction: str = "") -> str:
    """RFC 3339 UTC with ``Z``: ``iso(1714564800) == "2024-05-01T12:00:00Z"``; ``fraction`` = digits."""
    text = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def random_fraction(rng: random.Random) -> str:
    """No fraction half the time, else 3 or 6 digits of fractional seconds."""
    digits = rng.choice((0, 0, 3, 6))
    return "".join(rng.choice(string.digits) for _ in range(digits))


def time_in_2024(rng: random.Random, *, latest: int = EPOCH_2024 + SECONDS_2024 - 1) -> int:
    return rng.randint(EPOCH_2024, latest)


def later(rng: random.Random, seconds: int, *, max_delay: int = 60 * 86400) -> int:
    """A time at or after ``seconds`` (by up to ``max_delay``), kept within 2024 if ``seconds`` is."""
    return min(seconds + rng.randint(0, max_delay), max(seconds, EPOCH_2024 + SECONDS_2024 - 1))


def mutation_time(mutation: int, offset: int = 0) -> int:
    """The timestamp of mutation number ``mutation`` (1-based), plus ``offset`` seconds."""
    return MUTATION_EPOCH + mutation * 86400 + offset


def token(rng: random.Random, length: int, alphabet: str = BASE62) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def uuid4_from(rng: random.Random) -> str:
    """A version-4 style UUID string drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def uuid_from_text(text: str) -> str:
    """A UUID string derived from ``text`` by hashing (stable across runs)."""
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode("utf-8")).digest()[:16], version=4))


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def title(rng: random.Random, words: int = 2) -> str:
    return " ".join(rng.choice(WORDS).capitalize() for _ in range(words))


def maybe(rng: random.Random, value: T, null_ratio: float = 0.2) -> T | None:
    """``value``, or None with probability ``null_ratio``."""
    return None if rng.random() < null_ratio else value


def numbered(names: Sequence[str], position: int) -> str:
    """``names[position]``, cycling with a numeric suffix once the names run out (always unique)."""
    name = names[position % len(names)]
    return name if position < len(names) else f"{name} {position // len(names) + 1}"


class UniqueIds:
    """Draws ids of the form ``<prefix><random token>`` that are unique within one instance."""

    def __init__(self, rng: random.Random, length: int = 8, alphabet: str = BASE62) -> None:
        self._rng = rng
        self._length = length
        self._alphabet = alphabet
        self._seen: set[str] = set()

    def next(self, prefix: str = "") -> str:
        while True:
            candidate = prefix + token(self._rng, self._length, self._alphabet)
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate
