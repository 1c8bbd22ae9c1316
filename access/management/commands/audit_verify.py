"""Check the access audit's hash chain, and that it still holds the heads it was anchored at;
report the first broken link."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from access.models import AuditRecord
from access.selectors import audit_anchor_break, audit_anchors, audit_chain_break


class Command(BaseCommand):
    help = (
        "Verify the access audit's hash chain and report the first broken link; with --anchors, "
        "also that the audit still holds every head written to those files (AUDIT_ANCHOR_FILE, or "
        "the anpr.audit_anchor log's messages, one a line), which shows records taken off its "
        "end or a chain rewritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchors", nargs="+", type=Path, default=[], metavar="FILE")

    def handle(self, *args, anchors: list[Path], **options):
        broken = audit_chain_break()
        if broken is not None:
            record, how = broken
            raise CommandError(
                f"The audit chain is broken at record {record.pk} ({record.at:%Y-%m-%d %H:%M:%S} "
                f"UTC, {record.get_action_display()}: {record.target}): it {how}."
            )
        count = AuditRecord.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {count} records."))
        if not anchors:
            return
        try:
            heads = audit_anchors("\n".join(path.read_text(errors="replace") for path in anchors))
        except OSError as error:
            raise CommandError(f"The anchors cannot be read: {error}") from None
        if not heads:
            raise CommandError(f"No audit anchors in {', '.join(map(str, anchors))}.")
        lost = audit_anchor_break(heads)
        if lost:
            raise CommandError(f"The audit has lost a head it was anchored at: {lost}.")
        self.stdout.write(self.style.SUCCESS(
            f"It holds all {len(heads)} anchored heads (the last: record {heads[-1][0]}, "
            f"{heads[-1][2]})."))  # fmt: skip
