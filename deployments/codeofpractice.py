"""The Surveillance Camera Code of Practice's 12 guiding principles, and the evidence this
system holds for each (R-SITE-5), to prefill the self-assessment."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF

from access.models import AccessRequest, SearchReview
from access.selectors import audit_chain_break
from cameras.models import Camera, CameraCredential
from core.templatetags.people import person
from hotlist.models import Alert, HotlistEntry
from reads.export import pdf_text
from reads.models import LegalHold, RetentionPolicy
from reads.partitions import existing_days

from .models import Decision, Site
from .selectors import GRANTED, public_statistics

PRINCIPLES = {
    1: "Use of a surveillance camera system must always be for a specified purpose which is in "
    "pursuit of a legitimate aim and necessary to meet an identified pressing need.",
    2: "The use of a surveillance camera system must take into account its effect on "
    "individuals and their privacy, with regular reviews to ensure its use remains justified.",
    3: "There must be as much transparency in the use of a surveillance camera system as "
    "possible, including a published contact point for access to information and complaints.",
    4: "There must be clear responsibility and accountability for all surveillance camera "
    "system activities including images and information collected, held and used.",
    5: "Clear rules, policies and procedures must be in place before a surveillance camera "
    "system is used, and these must be communicated to all who need to comply with them.",
    6: "No more images and information should be stored than that which is strictly required "
    "for the stated purpose of a surveillance camera system, and such images and information "
    "should be deleted once their purposes have been discharged.",
    7: "Access to retained images and information should be restricted and there must be "
    "clearly defined rules on who can gain access and for what purpose such access is granted; "
    "the disclosure of images and information should only take place when it is necessary for "
    "such a purpose or for law enforcement purposes.",
    8: "Surveillance camera system operators should consider any approved operational, "
    "technical and competency standards relevant to a system and its purpose and work to meet "
    "and maintain those standards.",
    9: "Surveillance camera system images and information should be subject to appropriate "
    "security measures to safeguard against unauthorised access and use.",
    10: "There should be effective review and audit mechanisms to ensure legal requirements, "
    "policies and standards are complied with in practice, and regular reports should be "
    "published.",
    11: "When the use of a surveillance camera system is in pursuit of a legitimate aim, and "
    "there is a pressing need for its use, it should then be used in the most effective way to "
    "support public safety and law enforcement with the aim of processing images and "
    "information of evidential value.",
    12: "Any information used to support a surveillance camera system which compares against "
    "a reference database for matching purposes should be accurate and kept up to date.",
}
CLOCK_TOLERANCE_MS = 10_000  # the UK enforcement benchmark: camera clocks within 10 seconds


def principle_evidence() -> dict[int, str]:
    """For each principle, what the system can show today, in sentences."""
    now = timezone.now()
    year_ago = now - timedelta(days=365)
    collecting = Site.objects.filter(status__in=Site.COLLECTING)
    n_sites = collecting.count()
    approved = _with_approved(collecting, "assessments")
    signed_off = _with_approved(collecting, "privacy_assessments")
    stats = public_statistics(days=365)
    requests = AccessRequest.objects.filter(decided_at__gte=year_ago)
    retention = RetentionPolicy.in_force()
    holds = LegalHold.objects.filter(status=LegalHold.Status.ACTIVE).count()
    days = sorted(existing_days())
    oldest = f"the oldest day held is {days[0]:%d %b %Y}" if days else "no reads are held"
    chain = audit_chain_break()
    audit_state = (f"broken at record {chain[0].pk}: {chain[1]}" if chain
                   else "verified intact today")  # fmt: skip
    cameras = Camera.objects.filter(status=Camera.Status.ACTIVE, clock_offset_ms__isnull=False)
    in_time = cameras.filter(clock_offset_ms__gte=-CLOCK_TOLERANCE_MS,
                             clock_offset_ms__lte=CLOCK_TOLERANCE_MS)  # fmt: skip
    closed = Alert.objects.filter(closed_at__gte=year_ago)
    misreads = closed.filter(reject_reason=Alert.RejectReason.MISREAD).count()
    out_of_date = closed.filter(reject_reason=Alert.RejectReason.OUT_OF_DATE).count()
    live_entries = HotlistEntry.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), hotlist__is_active=True,
        valid_from__lte=now,
    )  # fmt: skip
    return {
        1: f"{n_sites} sites collect reads; {approved} of them have an approved deployment "
        f"assessment (four factors, pressing need, alternatives, expected effectiveness).",
        2: f"{signed_off} of {n_sites} collecting sites have a DPIA signed off by the data "
        f"protection officer; {stats['reviews_overdue']} site reviews are overdue; "
        f"{stats['reviews_on_time']} of {stats['reviews_completed']} reviews in the last 12 "
        "months were completed on time.",
        3: f"Public statistics are published at {reverse('public_statistics')} (no locations); "
        f"contact point: {settings.PUBLIC_CONTACT or 'none configured (set PUBLIC_CONTACT)'}.",
        4: f"{collecting.filter(owner__isnull=False).count()} of {n_sites} collecting sites have "
        "a named owner; every search, export and image view is attributed in the access audit.",
        5: f"Every search names an offence category, a case reference and a justification: "
        f"{stats['searches_standard'] + stats['searches_extended']} searches in the last 12 "
        "months, each with its purpose.",
        6: f"Reads are kept {retention.reads_days} days and alerts {retention.alerts_days} "
        f"days, deleted daily with a deletion record; {oldest}; {holds} legal holds in force.",
        7: f"Standard searches reach {settings.SEARCH_WINDOW_DAYS} days back; older data needs "
        f"a senior officer's time-limited grant: {requests.filter(status__in=GRANTED).count()} "
        f"granted and {requests.filter(status=AccessRequest.Status.REFUSED).count()} refused "
        f"in the last 12 months. {_holders('access.search_reads')} people may search.",
        8: f"{in_time.count()} of {cameras.count()} reporting cameras keep their clock within "
        f"{CLOCK_TOLERANCE_MS // 1000} seconds of the back office.",
        9: f"Each camera submits with its own revocable credential "
        f"({CameraCredential.objects.filter(revoked_at__isnull=True).count()} in force); access "
        "is by role, deny by default; the access audit is append-only and hash-chained.",
        10: f"The access audit chain is {audit_state}; "
        f"{SearchReview.objects.filter(reviewed_at__gte=year_ago).count()} dip-sampled searches "
        "were reviewed in the last 12 months.",
        11: f"{stats['hits']} hits in the last 12 months: "
        + (", ".join(f"{outcome} {n}" for outcome, n in stats["hits_by_outcome"]) or "none")
        + ".",
        12: f"{live_entries.count()} hotlist entries are in force, "
        f"{live_entries.filter(expires_at__isnull=True).count()} of them with no expiry or weed "
        f"date set; of {closed.count()} alerts closed in the last 12 months, "
        f"{misreads} were misreads and {out_of_date} were on out-of-date entries.",
    }


def _with_approved(sites, related: str) -> int:
    condition = {f"{related}__decision": Decision.APPROVED,
                 f"{related}__superseded_at__isnull": True}  # fmt: skip
    return sites.filter(**condition).distinct().count()


def _holders(permission: str) -> int:
    app_label, codename = permission.split(".")
    held = Q(groups__permissions__codename=codename,
             groups__permissions__content_type__app_label=app_label)  # fmt: skip
    return User.objects.filter(held, is_active=True).distinct().count()


def self_assessment_pdf(assessment) -> bytes:
    """The self-assessment as a PDF report: each principle, the answer, the evidence and the
    action planned."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, pdf_text(f"{settings.SITE_NAME}: Surveillance Camera Code of Practice "
                                  "self-assessment"), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 6, pdf_text(
        f"Completed {timezone.localtime(assessment.created_at):%d %b %Y %H:%M} by "
        f"{person(assessment.created_by) or 'unknown'}."
    ), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    for answer in assessment.answers.all():
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, pdf_text(f"Principle {answer.principle}: "
                                      f"{answer.get_answer_display()}"),
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_font("Helvetica", "I", 9)
        pdf.multi_cell(0, 5, pdf_text(PRINCIPLES[answer.principle]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        lines = [f"Evidence: {answer.evidence}"]
        if answer.action:
            due = f", due {answer.action_due:%d %b %Y}" if answer.action_due else ""
            owner = f" ({answer.action_owner}{due})" if answer.action_owner or due else ""
            lines.append(f"Action: {answer.action}{owner}")
        for line in lines:
            pdf.multi_cell(0, 5, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
