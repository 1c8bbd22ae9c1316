"""Writes for access control. Every service takes the acting user and runs in one transaction."""

from contextlib import nullcontext

from auditlog.context import set_actor
from django.contrib.auth.models import Group, User
from django.db import transaction

from .roles import Role


@transaction.atomic
def user_roles_set(*, user: User, roles: list[Role], acting_user: User | None) -> None:
    """Give `user` exactly `roles` (a person may hold several); the change log names the actor."""
    groups = [Group.objects.get(name=role.value) for role in roles]
    with set_actor(acting_user) if acting_user else nullcontext():
        user.groups.set(groups)
