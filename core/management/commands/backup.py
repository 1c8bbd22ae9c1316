"""Back up the database and the media root into a new folder, with a manifest (docs/backup.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and the media root (tar) into DEST, with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path, help="a new or empty folder for the backup")

    def handle(self, *args, dest: Path, **options):
        try:
            manifest = backup_create(dest, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        contents = manifest["contents"]
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {dest}: {contents['reads']} reads, {contents['audit_records']} "
            f"audit records, {contents['media_files']} media files."
        ))  # fmt: skip
