"""Access control: roles, capabilities and (later) search purposes, grants and the search audit."""

from django.db import models


class Capability(models.Model):
    """Anchor for the permissions that open a work area rather than guard one table's rows.

    It has no table. Roles (access/roles.py) hold these permissions; views require them.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("monitor_alerts", "Watch the live alert console and act on alerts"),
            ("search_reads", "Search reads for an investigation"),
            ("request_extended_access", "Ask for access to reads older than the standard window"),
            ("decide_extended_access", "Approve or refuse extended-access requests"),
            ("manage_sites", "Register and govern camera sites"),
            ("manage_hotlists", "Manage hotlists and their entries"),
            ("review_audit", "Review the search audit and change log"),
            ("administer_system", "Administer users, roles, cameras and settings"),
        ]

    def __str__(self) -> str:
        return "capability"
