"""Demo sites, cameras and hotlists, so the demo shows reads and alerts accumulating.

Idempotent: everything is found by its reference or name and created only when missing.
"""

import random
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from access.roles import Role
from cameras.models import Camera
from cameras.simulator import uk_plate
from deployments.models import Site
from hotlist.models import Hotlist, HotlistEntry, Priority
from hotlist.selectors import RECEIVE_ALERTS

SITES = [
    ("NT-001", "A14 eastbound, junction 31", "Northtown", 52.2180, 0.0790),
    ("NT-002", "Ring road, Castle Street", "Northtown", 52.2110, 0.1130),
    ("ST-001", "A10 Station Road", "Southvale", 52.1390, 0.0560),
    ("ST-002", "Market Square approach", "Southvale", 52.1470, 0.0820),
    ("WH-001", "M11 slip road, junction 12", "Westham", 52.1800, 0.0600),
]

# Every operator receives the first three lists; only the inspector receives the restricted one.
HOTLISTS = [
    ("PNC stolen vehicles", Hotlist.Source.NATIONAL, Priority.HIGH, 1,
     HotlistEntry.Reason.STOLEN, HotlistEntry.Action.STOP, []),
    ("Force intelligence", Hotlist.Source.FORCE_INTELLIGENCE, Priority.MEDIUM, 1,
     HotlistEntry.Reason.INTELLIGENCE, HotlistEntry.Action.REPORT, []),
    ("No insurance (MID)", Hotlist.Source.INSURANCE, Priority.LOW, 0,
     HotlistEntry.Reason.NO_INSURANCE, HotlistEntry.Action.STOP, []),
    ("Firearms operation (restricted)", Hotlist.Source.FORCE_INTELLIGENCE, Priority.CRITICAL, 1,
     HotlistEntry.Reason.WANTED, HotlistEntry.Action.REPORT, [HotlistEntry.Warning.FIREARMS]),
]  # fmt: skip
RESTRICTED = "Firearms operation (restricted)"
ENTRIES_PER_LIST = 60
VEHICLES = [("Ford", "Focus", "Blue"), ("Vauxhall", "Corsa", "Silver"), ("BMW", "320d", "Black"),
            ("Toyota", "Yaris", "Red"), ("Volkswagen", "Golf", "Grey")]  # fmt: skip


@transaction.atomic
def seed(owner: User, restricted_to: User) -> None:
    for index, (reference, name, area, lat, lon) in enumerate(SITES):
        site, _ = Site.objects.get_or_create(
            reference=reference,
            defaults={"name": name, "area": area, "latitude": lat, "longitude": lon,
                      "status": Site.Status.LIVE},
        )  # fmt: skip
        for n in (1, 2):
            Camera.objects.get_or_create(
                reference=f"CAM-{index + 1:02d}{n}",
                defaults={"name": f"{name} ({'towards' if n == 1 else 'away'})", "site": site,
                          "lanes": 2},
            )  # fmt: skip
    rng = random.Random(2026)  # the same plates every time the demo is seeded
    operators = Group.objects.get(name=Role.OPERATOR.value)
    for name, source, priority, tolerance, reason, action, warnings in HOTLISTS:
        hotlist, created = Hotlist.objects.get_or_create(
            name=name,
            defaults={"owner": owner, "source": source, "default_priority": priority,
                      "fuzzy_tolerance": tolerance},
        )  # fmt: skip
        assign_perm(RECEIVE_ALERTS, restricted_to if name == RESTRICTED else operators, hotlist)
        if created:
            start = timezone.now() - timedelta(days=30)
            for _ in range(ENTRIES_PER_LIST):
                make, model, colour = rng.choice(VEHICLES)
                HotlistEntry.objects.create(
                    hotlist=hotlist, vrm=uk_plate(rng), reason=reason, action=action,
                    make=make, model=model, colour=colour, valid_from=start,
                    warning_markers=warnings,
                    expires_at=start + timedelta(days=180), created_by=owner,
                )  # fmt: skip


def hotlisted_vrms() -> list[str]:
    return list(HotlistEntry.objects.values_list("vrm", flat=True))
