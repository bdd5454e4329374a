"""The deterministic dataset of the ``support`` API (contract §5.6). All times are UNIX seconds.

Scale 1: 8 admins, 3 teams, 15 tags, 6 segments, 60 companies (every 7th without segments),
11+3 company and 9+4 contact data attributes (built-in + custom), 400 contacts, 200 conversations
(0-8 parts each), 120 tickets, 65 activity logs. Searchable records share ``updated_at`` values
in groups that never end on a multiple of 10 in sorted order, so every page boundary of a page
size that divides by 10 (20, 50, 150) falls inside a tie.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from .data import (
    COUNTRIES,
    EPOCH_2024,
    UniqueIds,
    later,
    make_rng,
    maybe,
    numbered,
    person_name,
    time_in_2024,
    title,
    uuid4_from,
)

if TYPE_CHECKING:
    import random

    from .messages import JsonObject

MAX_PARTS = 500
TIE_BOUNDARY = 10

TAG_NAMES = ("Manual tag", "VIP", "Bug", "Feature request", "Billing", "Onboarding", "Churn risk", "Escalated")
SEGMENT_NAMES = ("Active users", "New leads", "Slipping away", "Power users", "Trialists", "Enterprise")
ACTIVITY_TYPES = (
    "app_name_change",
    "admin_login_success",
    "app_team_membership_modification",
    "message_state_change",
    "conversation_topic_change",
    "admin_away_mode_change",
    "app_data_export",
)
PART_TYPES = ("comment", "comment", "note", "assignment", "close", "open")
TICKET_STATES = ("submitted", "in_progress", "waiting_on_customer", "resolved")
TICKET_TYPES = (("1", "Bug"), ("2", "Question"), ("3", "Feature request"))
BUILTIN_ATTRIBUTES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    # model: (name, full_name, label, data_type)
    "company": (
        ("name", "name", "Company name", "string"),
        ("company_id", "company_id", "Company ID", "string"),
        ("created_at", "created_at", "Company created at", "date"),
        ("remote_created_at", "remote_created_at", "Company first seen", "date"),
        ("name", "plan.name", "Plan", "string"),
        ("monthly_spend", "monthly_spend", "Monthly spend", "float"),
        ("session_count", "session_count", "Session count", "integer"),
        ("user_count", "user_count", "User count", "integer"),
        ("size", "size", "Company size", "integer"),
        ("website", "website", "Website", "string"),
        ("industry", "industry", "Industry", "string"),
    ),
    "contact": (
        ("name", "name", "Name", "string"),
        ("email", "email", "Email", "string"),
        ("phone", "phone", "Phone", "string"),
        ("external_id", "external_id", "User ID", "string"),
        ("role", "role", "Role", "string"),
        ("created_at", "created_at", "Signed up", "date"),
        ("last_seen_at", "last_seen_at", "Last seen", "date"),
        ("country", "location.country", "Country", "string"),
        ("owner_id", "owner_id", "Owner", "integer"),
    ),
}
CUSTOM_ATTRIBUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "company": (("tier", "string"), ("renewal_date", "date"), ("seats", "integer")),
    "contact": (("plan", "string"), ("nps", "integer"), ("beta_opt_in", "boolean"), ("signup_source", "string")),
}


def tied_times(rng: random.Random, count: int, scale: int) -> list[int]:
    """``count`` ascending times in 2024 in tie groups that never end on a multiple of TIE_BOUNDARY."""
    times: list[int] = []
    current = EPOCH_2024 + 86400
    while len(times) < count:
        size = rng.choice((1, 1, 2, 3, 4, 6, 9)) if rng.random() > 0.05 else rng.randint(15, 30)
        if (len(times) + size) % TIE_BOUNDARY == 0 and len(times) + size < count:
            size += 1
        times.extend([current] * size)
        current += rng.randint(600, 2 * 86400 // scale)
    return times[:count]


def created_before(rng: random.Random, updated: int) -> int:
    """A creation time up to 60 days before ``updated`` (late 2023 for the earliest records)."""
    return updated - rng.choice((0, rng.randint(1, 60 * 86400)))


class SupportData:
    """All support records; builders are shared by the initial generation and mutations."""

    def __init__(self, scale: int, seed: int) -> None:
        rng = make_rng(seed, "support")
        self._hex = UniqueIds(make_rng(seed, "support", "ids"), 8, string.digits + "abcdef")
        self._serials = {"conversation": 300000, "source": 400000, "ticket": 500000, "part": 1000000}
        self.admins: list[JsonObject] = []
        self.teams: list[JsonObject] = []
        self._build_admins_and_teams(rng, scale)
        self.tags = [
            {"type": "tag", "id": str(100 + 3 * index), "name": numbered(TAG_NAMES, index)}
            for index in range(15 * scale)
        ]
        self.segments = [self._segment(rng, index) for index in range(6 * scale)]
        self.companies: list[JsonObject] = []
        self.company_segments: dict[str, list[JsonObject]] = {}
        for index in range(60 * scale):
            self.add_company(rng, time_in_2024(rng, latest=EPOCH_2024 + 300 * 86400), with_segments=index % 7 != 0)
        self.attributes = {model: self._attributes(rng, model, scale) for model in BUILTIN_ATTRIBUTES}
        self.contacts: list[JsonObject] = []
        self.conversations: list[JsonObject] = []
        self.parts: dict[str, list[JsonObject]] = {}
        self.tickets: list[JsonObject] = []
        for add, count in ((self.add_contact, 400), (self.add_conversation, 200), (self.add_ticket, 120)):
            times = tied_times(rng, count * scale, scale)
            rng.shuffle(times)
            for updated in times:
                add(rng, updated, created_before(rng, updated))
        self.activity_logs: list[JsonObject] = []
        for _ in range(65 * scale):
            self.add_activity_log(rng, time_in_2024(rng))

    def collection(self, name: str) -> list[JsonObject]:
        """A top-level record list by stream name (admins, tags, teams, segments, contacts, ...)."""
        collections = {
            "admins": self.admins,
            "tags": self.tags,
            "teams": self.teams,
            "segments": self.segments,
            "companies": self.companies,
            "contacts": self.contacts,
            "conversations": self.conversations,
            "tickets": self.tickets,
            "activity_logs": self.activity_logs,
        }
        return collections[name]

    # -- reference data ----------------------------------------------------------------------

    def _build_admins_and_teams(self, rng: random.Random, scale: int) -> None:
        team_ids = [814865 + 13 * index for index in range(3 * scale)]
        for index in range(8 * scale):
            first, last = person_name(rng)
            self.admins.append(
                {
                    "type": "admin",
                    "id": str(991267390 + index),
                    "email": f"admin{index + 1}@example.com",
                    "name": f"{first} {last}",
                    "away_mode_enabled": rng.random() < 0.2,
                    "away_mode_reassign": rng.random() < 0.1,
                    "has_inbox_seat": rng.random() < 0.8,
                    "team_ids": sorted(rng.sample(team_ids, rng.randint(0, 2))),
                }
            )
        for index, team_id in enumerate(team_ids):
            members = [int(admin["id"]) for admin in self.admins if team_id in admin["team_ids"]]
            self.teams.append(
                {"type": "team", "id": str(team_id), "name": f"{title(rng, 1)} Team {index + 1}", "admin_ids": members}
            )

    def _segment(self, rng: random.Random, index: int) -> JsonObject:
        created = time_in_2024(rng, latest=EPOCH_2024 + 200 * 86400)
        return {
            "type": "segment",
            "id": self._hex.next("s_"),
            "name": numbered(SEGMENT_NAMES, index),
            "created_at": created,
            "updated_at": later(rng, created),
            "person_type": rng.choice(("user", "user", "lead")),
        }

    def _attributes(self, rng: random.Random, model: str, scale: int) -> list[JsonObject]:
        records: list[JsonObject] = []
        records.extend(self._attribute(rng, model, spec, custom=False) for spec in BUILTIN_ATTRIBUTES[model])
        customs = CUSTOM_ATTRIBUTES[model]
        for index in range(len(customs) * scale):
            base, data_type = customs[index % len(customs)]
            name = base if index < len(customs) else f"{base}_{index // len(customs) + 1}"
            spec = (name, f"custom_attributes.{name}", name.replace("_", " ").title(), data_type)
            record = self._attribute(rng, model, spec, custom=True)
            created = time_in_2024(rng)
            record.update(
                {
                    "id": 2000 + len(records) + (0 if model == "company" else 500),
                    "created_at": created,
                    "updated_at": later(rng, created),
                    "admin_id": maybe(rng, rng.choice(self.admins)["id"], 0.3),
                }
            )
            records.append(record)
        return records

    @staticmethod
    def _attribute(rng: random.Random, model: str, spec: tuple[str, str, str, str], *, custom: bool) -> JsonObject:
        """A data attribute from its (name, full_name, label, data_type)."""
        name, full_name, label, data_type = spec
        return {
            "type": "data_attribute",
            "name": name,
            "full_name": full_name,
            "label": label,
            "description": maybe(rng, f"The {label.lower()}", 0.3),
            "data_type": data_type,
            "api_writable": custom or rng.random() < 0.3,
            "ui_writable": custom or rng.random() < 0.3,
            "messenger_writable": rng.random() < 0.4,
            "custom": custom,
            "archived": custom and rng.random() < 0.2,
            "model": model,
        }

    # -- records also added by mutations -------------------------------------------------------

    def _next_serial(self, rng: random.Random, kind: str) -> str:
        """Increasing numeric ids of a fixed width, so string and numeric order agree."""
        self._serials[kind] += rng.randint(1, 9)
        return str(self._serials[kind])

    @staticmethod
    def _refs(rng: random.Random, kind: str, pool: list[JsonObject], most: int, least: int = 0) -> list[JsonObject]:
        chosen = rng.sample(pool, rng.randint(min(least, len(pool)), min(most, len(pool))))
        return [{"type": kind, "id": item["id"]} for item in chosen]

    def add_company(self, rng: random.Random, created: int, *, with_segments: bool = True) -> JsonObject:
        number = len(self.companies) + 1
        segments = rng.sample(self.segments, rng.randint(1, min(3, len(self.segments)))) if with_segments else []
        tags = rng.sample(self.tags, rng.randint(0, 2))
        spend: Any = rng.choice((0, rng.randint(10, 5000), round(rng.uniform(10, 5000), 2)))
        company: JsonObject = {
            "type": "company",
            "id": self._hex.next("c_"),
            "company_id": maybe(rng, f"ext-{number}", 0.1),
            "name": maybe(rng, f"{title(rng)} Ltd", 0.1),
            "remote_created_at": maybe(rng, max(EPOCH_2024, created - rng.randint(0, 90 * 86400)), 0.3),
            "created_at": created,
            "updated_at": later(rng, created),
            "monthly_spend": spend,
            "session_count": rng.randint(0, 500),
            "user_count": rng.randint(0, 40),
            "plan": dict(
                rng.choice(
                    ({}, {"type": "plan", "id": "1", "name": "Starter"}, {"type": "plan", "id": "2", "name": "Pro"})
                )
            ),
            "tags": {
                "type": "tag.list",
                "tags": [{"type": "tag", "id": tag["id"], "name": tag["name"]} for tag in tags],
            },
            "segments": {
                "type": "segment.list",
                "segments": [{"type": "segment", "id": seg["id"]} for seg in segments],
            },
            "custom_attributes": dict(rng.choice(({}, {"tier": "gold"}, {"tier": "silver", "seats": 12}))),
        }
        self.companies.append(company)
        self.company_segments[company["id"]] = [dict(segment) for segment in segments]
        return company

    def add_contact(self, rng: random.Random, updated: int, created: int) -> JsonObject:
        first, last = person_name(rng)
        number = len(self.contacts) + 1
        role = rng.choice(("user", "user", "lead"))
        contact: JsonObject = {
            "type": "contact",
            "id": self._hex.next("u_"),
            "external_id": maybe(rng, str(number), 0.3) if role == "user" else None,
            "role": role,
            "email": maybe(rng, f"{first.lower()}.{last.lower()}{number}@example.com", 0.1),
            "phone": maybe(rng, f"+1-555-01{rng.randint(0, 99):02d}", 0.7),
            "name": maybe(rng, f"{first} {last}", 0.15),
            "owner_id": maybe(rng, int(rng.choice(self.admins)["id"]), 0.6),
            "created_at": created,
            "updated_at": updated,
            "signed_up_at": maybe(rng, created, 0.4) if role == "user" else None,
            "last_seen_at": maybe(rng, rng.randint(created, updated), 0.3),
            "custom_attributes": dict(rng.choice(({}, {"plan": "pro"}, {"plan": "free", "nps": 9}))),
            "tags": {"type": "list", "data": self._refs(rng, "tag", self.tags, 2)},
            "companies": {"type": "list", "data": self._refs(rng, "company", self.companies, 1)},
            "location": {"type": "location", "country": maybe(rng, rng.choice(COUNTRIES), 0.4), "city": None},
        }
        self.contacts.append(contact)
        return contact

    def add_conversation(self, rng: random.Random, updated: int, created: int) -> JsonObject:
        state = rng.choice(("open", "closed", "closed", "snoozed"))
        conversation: JsonObject = {
            "type": "conversation",
            "id": self._next_serial(rng, "conversation"),
            "created_at": created,
            "updated_at": updated,
            "waiting_since": maybe(rng, updated, 0.6) if state == "open" else None,
            "snoozed_until": updated + rng.randint(3600, 7 * 86400) if state == "snoozed" else None,
            "source": {
                "type": "conversation",
                "id": self._next_serial(rng, "source"),
                "delivered_as": "customer_initiated",
                "body": f"<p>{rng.choice(('Hi', 'Hello', 'Question about my invoice', 'Login problem'))}</p>",
            },
            "contacts": {"type": "contact.list", "contacts": self._refs(rng, "contact", self.contacts, 1, 1)},
            "admin_assignee_id": maybe(rng, int(rng.choice(self.admins)["id"]), 0.3),
            "team_assignee_id": maybe(rng, int(rng.choice(self.teams)["id"]), 0.6),
            "open": state != "closed",
            "state": state,
            "read": rng.random() < 0.6,
            "tags": {
                "type": "tag.list",
                "tags": [
                    {"type": "tag", "id": t["id"], "name": t["name"]} for t in rng.sample(self.tags, rng.randint(0, 2))
                ],
            },
            "priority": rng.choice(("priority", "not_priority", "not_priority")),
        }
        self.conversations.append(conversation)
        self.parts[conversation["id"]] = []
        for part_created in sorted(rng.randint(created, updated) for _ in range(rng.randint(0, 8))):
            self.add_part(rng, conversation["id"], part_created)
        return conversation

    def add_part(self, rng: random.Random, conversation_id: str, created: int) -> JsonObject:
        part_id = self._next_serial(rng, "part")
        part_type = rng.choice(PART_TYPES)
        admin = rng.choice(self.admins)
        part: JsonObject = {
            "type": "conversation_part",
            "id": part_id,
            "part_type": part_type,
            "body": maybe(rng, rng.choice(("<p>Okay!</p>", "<p>Thanks, looking into it.</p>", "<p>Fixed.</p>")), 0.2),
            "created_at": created,
            "updated_at": created + rng.choice((0, 0, rng.randint(1, 600))),
            "notified_at": maybe(rng, created, 0.3),
            "assigned_to": {"type": "admin", "id": admin["id"]} if part_type == "assignment" else None,
            "author": rng.choice(
                ({"type": "admin", "id": admin["id"]}, {"type": "user", "id": rng.choice(self.contacts)["id"]})
            ),
            "attachments": []
            if rng.random() < 0.85
            else [
                {
                    "type": "upload",
                    "name": "screenshot.png",
                    "url": "https://files.example.com/screenshot.png",
                    "content_type": "image/png",
                    "filesize": rng.randint(1000, 90000),
                }
            ],
            "external_id": maybe(rng, f"ext-part-{part_id}", 0.8),
            "redacted": rng.random() < 0.05,
        }
        self.parts[conversation_id].append(part)
        return part

    def add_ticket(self, rng: random.Random, updated: int, created: int) -> JsonObject:
        state = rng.choice(TICKET_STATES)
        type_id, type_name = rng.choice(TICKET_TYPES)
        ticket: JsonObject = {
            "type": "ticket",
            "id": self._next_serial(rng, "ticket"),
            "ticket_id": str(len(self.tickets) + 1),
            "ticket_attributes": {
                "title": title(rng, 1),
                "description": maybe(rng, "Steps to reproduce attached", 0.4),
            },
            "ticket_state": state,
            "ticket_type": {"type": "ticket_type", "id": type_id, "name": type_name},
            "contacts": {"type": "contact.list", "contacts": self._refs(rng, "contact", self.contacts, 1)},
            "admin_assignee_id": rng.choice(("0", rng.choice(self.admins)["id"])),
            "team_assignee_id": maybe(rng, rng.choice(("0", rng.choice(self.teams)["id"])), 0.2),
            "created_at": created,
            "updated_at": updated,
            "ticket_parts": {"type": "ticket_part.list", "ticket_parts": []},
            "open": state != "resolved",
            "category": rng.choice(("Customer", "Back-office", "Tracker")),
            "is_shared": rng.random() < 0.3,
        }
        self.tickets.append(ticket)
        return ticket

    def add_activity_log(self, rng: random.Random, created: int) -> JsonObject:
        admin = rng.choice(self.admins)
        activity_type = rng.choice(ACTIVITY_TYPES)
        log: JsonObject = {
            "id": uuid4_from(rng),
            "performed_by": {
                "type": "admin",
                "id": admin["id"],
                "email": admin["email"],
                "ip": f"192.0.2.{rng.randint(1, 254)}",
            },
            "metadata": maybe(rng, {"before": "old", "after": "new"}, 0.4),
            "created_at": created,
            "activity_type": activity_type,
            "activity_description": maybe(rng, activity_type.replace("_", " ").capitalize(), 0.2),
        }
        self.activity_logs.append(log)
        return log
