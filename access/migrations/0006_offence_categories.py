"""A starting list of offence categories; each force edits its own on the admin site."""

from django.db import migrations

SERIOUS = [
    "Murder and manslaughter", "Kidnap and abduction", "Rape and serious sexual offences",
    "Child sexual exploitation", "Firearms offences", "Robbery", "Organised crime",
    "Drug supply (class A)", "Human trafficking and modern slavery", "Terrorism",
]  # fmt: skip
OTHER = [
    "Burglary", "Vehicle crime", "Theft", "Fraud", "Criminal damage", "Assault",
    "Road traffic offences", "Public order", "Missing person", "Other",
]  # fmt: skip


def seed(apps, schema_editor):
    OffenceCategory = apps.get_model("access", "OffenceCategory")
    for name in SERIOUS:
        OffenceCategory.objects.get_or_create(name=name, defaults={"serious": True})
    for name in OTHER:
        OffenceCategory.objects.get_or_create(name=name, defaults={"serious": False})


class Migration(migrations.Migration):
    dependencies = [("access", "0005_search_purposes_and_grants")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
