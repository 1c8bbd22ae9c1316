"""Writes for access control. Every service takes the acting user and runs in one transaction."""

import ipaddress
from contextlib import nullcontext

from auditlog.context import set_actor
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from .models import GENESIS_HASH, AuditRecord
from .roles import Role

_AUDIT_CHAIN_LOCK = 0x41554449  # pg advisory lock key: one writer extends the chain at a time


@transaction.atomic
def user_roles_set(*, user: User, roles: list[Role], acting_user: User | None) -> None:
    """Give `user` exactly `roles` (a person may hold several); the change log names the actor."""
    groups = [Group.objects.get(name=role.value) for role in roles]
    with set_actor(acting_user) if acting_user else nullcontext():
        user.groups.set(groups)


def audit_record_add(
    *, user: User, action: str, target: str, address: str | None = None,
    outcome: str = AuditRecord.Outcome.OK, **detail,
) -> AuditRecord:  # fmt: skip
    """Append one record to the access audit, chained to the one before it."""
    # Stored as the database will give it back, so the hash still matches when re-read.
    address = str(ipaddress.ip_address(address)) if address else None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK])
        last = AuditRecord.objects.order_by("-pk").values_list("hash", flat=True).first()
        record = AuditRecord(user=user, action=action, target=target, outcome=outcome,
                             detail=detail, address=address,
                             previous_hash=last or GENESIS_HASH)  # fmt: skip
        record.hash = record.compute_hash()
        record.save()
    return record
