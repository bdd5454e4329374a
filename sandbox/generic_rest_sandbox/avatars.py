"""Sandbox of the ``avatars`` API (contract §2).

Mount: ``/avatars`` (base URL ``http://HOST:PORT/avatars``). Auth: ``Authorization: Bearer sandbox-api-key``.
No pagination: one response per endpoint (per avatar for the children).

Data at scale 1: 6 avatars ("1".."6"); 0-12 tags, custom fields and sequences per avatar, avatar "4"
(every 6th) has none at all; child ids restart at "1" for every avatar (unique only per avatar).
Every value is a string or null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Api, ApiError, bearer_token, composite_key, is_vanished, route
from .credentials import API_KEY
from .data import make_rng, maybe, title
from .messages import JsonObject, Request, Response

if TYPE_CHECKING:
    import random
    import re
    from collections.abc import Mapping, Sequence

    from .base import Route

AVATARS_PER_SCALE = 6
MAX_CHILDREN = 12

CHILDREN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # stream: (path segment, id field prefix, names)
    "tags": (
        "tags",
        "tag",
        ("Customer", "Lead", "VIP", "Newsletter", "Trial", "Churned", "Partner", "Webinar", "Referral", "Beta"),
    ),
    "custom_fields": (
        "customfields",
        "custom_field",
        ("shirt_size", "company", "city", "birthday", "plan", "source", "timezone", "language", "industry"),
    ),
    "sequences": (
        "sequences",
        "sequence",
        ("Welcome series", "Onboarding", "Re-engagement", "Abandoned cart", "Product tips", "Renewal reminder"),
    ),
}
STREAM_BY_SEGMENT = {segment: stream for stream, (segment, _, _) in CHILDREN.items()}


class AvatarsApi(Api):
    name = "avatars"
    prefix = "/avatars"
    error_codes: ClassVar[Mapping[int, tuple[str, str]]] = {
        400: ("bad_request", "Bad request"),
        401: ("unauthorized", "Invalid or missing API key"),
        403: ("forbidden", "Forbidden"),
        404: ("not_found", "Not found"),
        429: ("rate_limited", "Too many requests"),
        500: ("server_error", "Internal server error"),
    }

    def __init__(self, scale: int, seed: int) -> None:
        super().__init__(scale, seed)
        self.avatars: list[JsonObject] = []
        self.children: dict[str, dict[str, list[JsonObject]]] = {stream: {} for stream in CHILDREN}
        self._positions: dict[str, int] = {}
        rng = make_rng(seed, self.name)
        for position in range(AVATARS_PER_SCALE * scale):
            childless = position % AVATARS_PER_SCALE == 3
            self._add_avatar(rng, {stream: 0 if childless else rng.randint(0, MAX_CHILDREN) for stream in CHILDREN})

    def routes(self) -> Sequence[Route]:
        return [
            route("GET", r"/v1/avatars/list", self._list_avatars),
            route("GET", r"/v1/(?P<segment>tags|customfields|sequences)/list", self._list_children),
        ]

    def authenticate(self, request: Request) -> None:
        if bearer_token(request) != API_KEY:
            raise ApiError(401)

    def error_body(self, status: int, code: str, message: str) -> JsonObject:
        return {"error": code, "message": message}

    # -- data ------------------------------------------------------------------------------

    def _add_avatar(self, rng: random.Random, child_counts: dict[str, int]) -> str:
        avatar_id = str(len(self.avatars) + 1)
        self._positions[avatar_id] = len(self.avatars)
        self.avatars.append(
            {
                "avatar_id": avatar_id,
                "brand_image": maybe(rng, f"https://cdn.example.com/avatars/{avatar_id}.png"),
                "brand_name": maybe(rng, f"{title(rng)} Brand"),
                "facebook_page_id": maybe(rng, str(100000000000000 + rng.randint(0, 999999999))),
                "user_role": maybe(rng, rng.choice(("1", "2", "3"))),
            }
        )
        for stream, count in child_counts.items():
            self.children[stream][avatar_id] = []
            for _ in range(count):
                self._add_child(rng, stream, avatar_id)
        return avatar_id

    def _add_child(self, rng: random.Random, stream: str, avatar_id: str) -> str:
        _, id_prefix, names = CHILDREN[stream]
        siblings = self.children[stream][avatar_id]
        child_id = str(len(siblings) + 1)
        base_name = names[len(siblings) % len(names)]
        suffix = f" {len(siblings) // len(names) + 1}" if len(siblings) >= len(names) else ""
        siblings.append({f"{id_prefix}_id": child_id, f"{id_prefix}_name": maybe(rng, base_name + suffix, 0.1)})
        return child_id

    # -- routes ----------------------------------------------------------------------------

    def _list_avatars(self, request: Request, match: re.Match[str]) -> Response:
        return Response.json(200, {"data": self.avatars})

    def _list_children(self, request: Request, match: re.Match[str]) -> Response:
        stream = STREAM_BY_SEGMENT[match["segment"]]
        avatar_id = request.param("avatar_id")
        if not avatar_id:
            raise ApiError(400, message="Missing required parameter: avatar_id")
        position = self._positions.get(avatar_id)
        if position is None or (request.faults.vanish_parents and is_vanished(position)):
            raise ApiError(404, message=f"Avatar {avatar_id} not found")
        return Response.json(200, {"data": self.children[stream][avatar_id]})

    # -- test support ----------------------------------------------------------------------

    def expected_counts(self, *, vanish_parents: bool = False) -> dict[str, int]:
        kept = [
            avatar["avatar_id"]
            for position, avatar in enumerate(self.avatars)
            if not (vanish_parents and is_vanished(position))
        ]
        counts = {"avatars": len(self.avatars)}
        for stream, by_avatar in self.children.items():
            counts[stream] = sum(len(by_avatar[avatar_id]) for avatar_id in kept)
        return counts

    def mutate(self) -> dict[str, set[str]]:
        """Rename avatar "1" and one tag, add a tag to avatar "2", add a new avatar with children."""
        number = self.next_mutation()
        rng = make_rng(self.seed, self.name, "mutate", number)
        changed: dict[str, set[str]] = {"avatars": set(), **{stream: set() for stream in CHILDREN}}

        self.avatars[0]["brand_name"] = f"{title(rng)} Brand v{number + 1}"
        changed["avatars"].add(self.avatars[0]["avatar_id"])

        renamed = next((avatar_id for avatar_id, tags in self.children["tags"].items() if tags), None)
        if renamed is not None:
            tag = self.children["tags"][renamed][0]
            tag["tag_name"] = f"Renamed tag {number}"
            changed["tags"].add(composite_key(renamed, tag["tag_id"]))
        second = self.avatars[1]["avatar_id"]
        changed["tags"].add(composite_key(second, self._add_child(rng, "tags", second)))

        new_id = self._add_avatar(rng, {"tags": 2, "custom_fields": 1, "sequences": 1})
        changed["avatars"].add(new_id)
        for stream, (_, id_prefix, _) in CHILDREN.items():
            changed[stream].update(
                composite_key(new_id, child[f"{id_prefix}_id"]) for child in self.children[stream][new_id]
            )
        return changed
