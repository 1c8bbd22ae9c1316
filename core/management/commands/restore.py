"""Restore a backup into a fresh database and media folder, and verify it (docs/backup.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder into a fresh, empty database (created if missing) and media "
        "folder, then verify the audit chain and the counts against the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="a folder written by `manage.py backup`")
        parser.add_argument(
            "--database-url", required=True, help="the database to restore into, postgres://..."
        )
        parser.add_argument(
            "--media-root", type=Path, default=None, help="where images go (default: MEDIA_ROOT)"
        )

    def handle(self, *args, source: Path, database_url: str, media_root: Path | None, **options):
        try:
            verified = backup_restore(
                source, database_url=database_url,
                media_root=media_root or Path(settings.MEDIA_ROOT), progress=self.stdout.write,
            )  # fmt: skip
        except BackupError as error:
            raise CommandError(str(error)) from error
        for line in verified:
            self.stdout.write(self.style.SUCCESS(line))
        # Reads past their retention period may be in an old backup; they must go before use.
        self.stdout.write(
            "Restored and verified. Before the system is used, run `python manage.py retention` "
            "on the restored database (docs/backup.md)."
        )
