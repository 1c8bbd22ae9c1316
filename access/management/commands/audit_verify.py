"""Check the access audit's hash chain; report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from access.models import AuditRecord
from access.selectors import audit_chain_break


class Command(BaseCommand):
    help = "Verify the access audit's hash chain and report the first broken link."

    def handle(self, *args, **options):
        broken = audit_chain_break()
        if broken is not None:
            record, how = broken
            raise CommandError(
                f"The audit chain is broken at record {record.pk} ({record.at:%Y-%m-%d %H:%M:%S} "
                f"UTC, {record.get_action_display()}: {record.target}): it {how}."
            )
        count = AuditRecord.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {count} records."))
