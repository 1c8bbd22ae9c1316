"""Reads for access control."""

from django.contrib.auth.models import User

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
