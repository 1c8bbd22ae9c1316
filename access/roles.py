"""The named roles (R-ACCESS-1) and the permissions each one holds.

Roles are Django groups; a person may hold several. The groups are created by a migration and,
after every `migrate`, their permissions are set to exactly what this table says, so a role's
powers are reviewed here, in code, and nowhere else.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import TextChoices


class Role(TextChoices):
    OPERATOR = "Operator", "Control-room operator"
    INVESTIGATOR = "Investigator", "Investigator"
    SENIOR_OFFICER = "Senior officer", "Senior (authorising) officer"
    INTELLIGENCE_LEAD = "Intelligence lead", "Intelligence lead"
    HOTLIST_MANAGER = "Hotlist manager", "Hotlist manager"
    AUDITOR = "Auditor", "Auditor / data protection officer"
    ADMINISTRATOR = "Administrator", "System administrator"


ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.OPERATOR: ["access.monitor_alerts"],
    Role.INVESTIGATOR: [
        "access.search_reads",
        "access.request_extended_access",
        "access.view_exact_locations",
    ],
    Role.SENIOR_OFFICER: [
        "access.decide_extended_access",
        "access.view_exact_locations",
        "access.approve_deployments",
        "deployments.view_site",
    ],
    Role.INTELLIGENCE_LEAD: [
        "access.manage_sites",
        "access.view_exact_locations",
        "access.assess_compliance",
        "deployments.view_site",
    ],
    Role.HOTLIST_MANAGER: ["access.manage_hotlists"],
    Role.AUDITOR: [
        "access.review_audit",
        "access.view_retention",
        "access.sign_off_dpia",
        "access.assess_compliance",
        "deployments.view_site",
    ],
    Role.ADMINISTRATOR: [
        "access.administer_system",
        "access.view_retention",
        "access.view_exact_locations",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "cameras.view_camera",
        "cameras.add_camera",
        "cameras.change_camera",
        "cameras.view_cameracredential",
        "cameras.change_cameracredential",
        "deployments.view_site",
        "access.view_offencecategory",
        "access.add_offencecategory",
        "access.change_offencecategory",
    ],
}


def _permission(dotted: str, using: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)


def sync_role_permissions(*, using: str = "default", **kwargs) -> None:
    """Make every role group hold exactly the permissions in ROLE_PERMISSIONS (post_migrate)."""
    # post_migrate reaches apps in INSTALLED_APPS order: make sure later apps' permissions exist.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set([_permission(name, using) for name in dotted_names])
