"""Seed demo users (one per role, and one holding two roles), sites, cameras and hotlists.
Safe to re-run."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.roles import Role
from access.services import user_roles_set
from core import demo_data

# Documented in README.md. Demo data only: the command refuses to run with DEBUG off.
DEMO_PASSWORD = "anpr-demo-password"  # noqa: S105
# Every demo user's authenticator app holds this key (base32 MFXHA4RNMRSW23ZNONSWG33OMQWWWZLZ).
DEMO_TOTP_KEY = b"anpr-demo-second-key".hex()

DEMO_USERS = [
    ("operator", "Olivia", "Operator", [Role.OPERATOR]),
    ("investigator", "Ian", "Investigator", [Role.INVESTIGATOR]),
    ("senior", "Sam", "Senior", [Role.SENIOR_OFFICER]),
    ("intel", "Isla", "Intelligence", [Role.INTELLIGENCE_LEAD]),
    ("hotlists", "Harry", "Hotlist", [Role.HOTLIST_MANAGER]),
    ("auditor", "Aisha", "Auditor", [Role.AUDITOR]),
    ("admin", "Adam", "Administrator", [Role.ADMINISTRATOR]),
    ("inspector", "Imran", "Inspector", [Role.OPERATOR, Role.SENIOR_OFFICER]),
]


class Command(BaseCommand):
    help = "Create the demo users (one per role) with the documented demo password."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even though DEBUG is off (not for live use)"
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo users with DEBUG off: this looks like a live system. "
                "Use --force if you really mean it."
            )
        for username, first, last, roles in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
            user_roles_set(user=user, roles=roles, acting_user=None)
            TOTPDevice.objects.update_or_create(
                user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_KEY,
                                                                "confirmed": True},
            )  # fmt: skip
            roles_text = ", ".join(role.label for role in roles)
            self.stdout.write(f"{'created' if created else 'updated'} {username:<13} {roles_text}")
        demo_data.seed(
            owner=User.objects.get(username="hotlists"),
            restricted_to=User.objects.get(username="inspector"),
        )
        demo_data.seed_governance(
            lead=User.objects.get(username="intel"),
            senior=User.objects.get(username="senior"),
            dpo=User.objects.get(username="auditor"),
        )
        self.stdout.write(
            f"{len(demo_data.SITES)} sites, {len(demo_data.SITES) * 2} cameras, "
            f"{len(demo_data.HOTLISTS)} hotlists of {demo_data.ENTRIES_PER_LIST} entries"
        )
        self.stdout.write(self.style.SUCCESS(
            f"Demo users ready; password: {DEMO_PASSWORD}; second step: a code from an "
            "authenticator app holding the key MFXHA4RNMRSW23ZNONSWG33OMQWWWZLZ (README)"
        ))  # fmt: skip
