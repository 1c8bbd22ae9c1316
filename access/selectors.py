"""Reads for access control."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import ExtractHour
from django.utils import timezone

from .models import GENESIS_HASH, AuditRecord
from .roles import Role


def user_roles(user: User) -> list[Role]:
    """The roles a user holds, in the order of Role."""
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in Role if role.value in names]


def audit_chain_break() -> tuple[AuditRecord, str] | None:
    """The first record of the access audit whose chain is broken, and how; None if intact.

    A record breaks the chain when its content no longer gives its hash (edited) or when it does
    not name the hash of the record before it (a record removed or inserted before it)."""
    previous = GENESIS_HASH
    for record in AuditRecord.objects.order_by("pk").iterator(chunk_size=2000):
        if record.previous_hash != previous:
            return record, "does not follow the record before it (one removed or inserted)"
        if record.compute_hash() != record.hash:
            return record, "its content does not match its hash (edited)"
        previous = record.hash
    return None


# A whole line, as audit_anchor writes it: not the same words inside another line (a logged
# request for a path made up to look like an anchor).
ANCHOR = re.compile(r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) audit head record (?P<pk>\d+) "
                    r"hash (?P<hash>[0-9a-f]{64})$", re.MULTILINE)  # fmt: skip


def audit_anchors(text: str) -> list[tuple[int, str, str]]:
    """The heads the audit was anchored at (services.audit_anchor), one a line of `text` (the
    anchor file, or the anpr.audit_anchor log's messages): each record's id, hash and when."""
    return [(int(match["pk"]), match["hash"], match["at"]) for match in ANCHOR.finditer(text)]


def audit_anchor_break(anchors: list[tuple[int, str, str]]) -> str | None:
    """How the audit has lost a head it was anchored at, or None where it holds them all. An
    anchored record that is gone means records were taken off the chain's end or the audit was
    emptied; one whose hash has changed, that the chain was rewritten from there or before."""
    stored = dict(AuditRecord.objects.filter(pk__in={pk for pk, _, _ in anchors})
                  .values_list("pk", "hash"))  # fmt: skip
    for pk, hash_, at in anchors:
        if pk not in stored:
            return (f"record {pk}, the newest at {at}, is gone: records were removed from the "
                    "audit's end, or it was emptied")  # fmt: skip
        if stored[pk] != hash_:
            return f"record {pk} is not as it was at {at}: the chain was rewritten from there"
    return None


# Thresholds for the audit's flags.
VOLUME_MIN, VOLUME_FACTOR = 20, 3  # at least 20 searches, and 3x what most people made
ODD_HOURS_END = 6  # searches between midnight and 06:00
EMPTY_MIN, EMPTY_SHARE = 10, 0.8  # at least 10 searches, 80% finding nothing
SAME_PLATE_PEOPLE = 3  # one plate searched by at least 3 people


@dataclass(frozen=True)
class Flag:
    kind: str
    subject: str
    detail: str


def audit_flags(*, since: datetime, until: datetime) -> list[Flag]:
    """Patterns in the searches (exports among them) of a period worth an auditor's look
    (R-ACCESS-5): unusual volume, searches at odd hours, many searches finding nothing, and one
    plate searched by many people."""
    searches = AuditRecord.objects.filter(
        action__in=AuditRecord.SEARCHES, at__gte=since, at__lt=until, user__isnull=False
    )
    hour = ExtractHour("at", tzinfo=timezone.get_current_timezone())
    per_user = list(
        searches.annotate(hour=hour).values("user__username").annotate(
            n=Count("pk"), empty=Count("pk", filter=Q(result_count=0)),
            night=Count("pk", filter=Q(hour__lt=ODD_HOURS_END)),
        )
    )  # fmt: skip
    counts = sorted(row["n"] for row in per_user)
    usual = counts[len(counts) // 2] if counts else 0
    flags = []
    for row in per_user:
        name = row["user__username"]
        if row["n"] >= max(VOLUME_MIN, VOLUME_FACTOR * usual):
            flags.append(Flag("volume", name, f"{row['n']} searches; most people made {usual}."))
        if row["night"]:
            flags.append(Flag("odd_hours", name, f"{row['night']} searches between midnight "
                                                 f"and {ODD_HOURS_END:02d}:00."))  # fmt: skip
        if row["n"] >= EMPTY_MIN and row["empty"] >= EMPTY_SHARE * row["n"]:
            flags.append(Flag("no_results", name, f"{row['empty']} of {row['n']} searches "
                                                  "found nothing."))  # fmt: skip
    plates = (
        searches.values(plate=KeyTextTransform("plate", KeyTransform("parameters", "detail")))
        .annotate(people=Count("user", distinct=True))
        .filter(people__gte=SAME_PLATE_PEOPLE)
        .exclude(plate="")
    )
    for row in plates:
        flags.append(Flag("same_plate", row["plate"], f"Searched by {row['people']} people."))
    return flags
