"""Reads for access control."""

from django.contrib.auth.models import User

from .roles import Role


def user_roles(user: User) -> list[Role]:
    """The roles a user holds, in the order of Role."""
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in Role if role.value in names]
