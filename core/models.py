"""Model plumbing shared by the domain apps."""

from django.conf import settings
from django.db import models


def person_field() -> models.ForeignKey:
    """Who did something (created, approved, claimed, revoked...): optional, never deleted from
    under the record, and with no reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
