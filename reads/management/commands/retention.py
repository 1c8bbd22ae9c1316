"""Run retention now (it also runs daily from beat): e.g. after restoring a backup."""

from django.core.management.base import BaseCommand

from reads.retention import retention_run


class Command(BaseCommand):
    help = "Delete what is past retention now, and print what was deleted."

    def handle(self, *args, **options):
        records = retention_run()
        for record in records:
            self.stdout.write(
                f"Deleted {record}" + (f" ({record.detail})" if record.detail else "")
            )
        if not records:
            self.stdout.write("Nothing is past retention.")
