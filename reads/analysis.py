"""Long analyses of reads for a case, run in the background with progress (R-SEARCH-3, 4).

Cloned plates: the same VRM read at two sites closer in time than a vehicle could travel
between them (straight-line distance at more than CLONE_SPEED_KMH), which usually means two
vehicles carry the plate. The reads are taken a slice of plates at a time, so the analysis
shows its progress and never holds more than a slice in memory.

Convoy: the vehicles seen within CONVOY_SECONDS of a target vehicle at the same site, more than
once. Each is scored by how far its co-occurrences exceed what its own traffic at those sites
would give by chance (a Poisson log-likelihood ratio), so a commuter who passes a busy site all
day ranks below a vehicle seen with the target at several sites on several days.
"""

import math
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from access.models import AuditRecord, SearchPurpose
from access.policy import WindowRefused, search_window
from access.services import audit_record_add
from deployments.models import Site

from .models import Analysis
from .search import Criteria, SearchRefused, plate_condition, search_audit, search_audited

SLICES = 20  # plates are split by a hash of the VRM; progress moves a slice at a time
MAX_FINDINGS = 500

CLONE_PAIRS = """
WITH sightings AS (
    SELECT r.vrm, r.captured_at, r.site_id, s.name, s.latitude, s.longitude,
           lag(r.captured_at) OVER w AS previous_at, lag(r.site_id) OVER w AS previous_site,
           lag(s.name) OVER w AS previous_name, lag(s.latitude) OVER w AS previous_lat,
           lag(s.longitude) OVER w AS previous_lon
    FROM reads_read r JOIN deployments_site s ON s.id = r.site_id
    WHERE r.captured_at >= %(start)s AND r.captured_at <= %(end)s
      AND s.latitude IS NOT NULL AND abs(hashtext(r.vrm)) %% %(slices)s = %(slice)s
    WINDOW w AS (PARTITION BY r.vrm ORDER BY r.captured_at)
), pairs AS (
    SELECT *, 12742 * asin(sqrt(
               power(sin(radians(latitude - previous_lat) / 2), 2)
               + cos(radians(previous_lat)) * cos(radians(latitude))
               * power(sin(radians(longitude - previous_lon) / 2), 2))) AS km,
           extract(epoch FROM captured_at - previous_at)::float8 / 3600 AS hours
    FROM sightings WHERE previous_site IS NOT NULL AND previous_site <> site_id
)
SELECT vrm, previous_name, previous_at, name, captured_at, km, hours
FROM pairs
WHERE km >= 1 AND km > %(speed)s * hours
ORDER BY km / greatest(hours, 1.0 / 3600) DESC
LIMIT %(limit)s
"""


def analysis_start(
    *, user, purpose: SearchPurpose, kind: str, captured_from: datetime,
    captured_to: datetime | None, address: str | None, vrm: str = "",
) -> Analysis:  # fmt: skip
    """Queue an analysis, one at a time for each person. A window the user may not search is
    refused now (and audited); otherwise the analysis is audited once it has run. Its period
    ends now at the latest: what it covers, and what retention deletes it by."""
    from .tasks import analysis_run_task

    end = min(captured_to or timezone.now(), timezone.now())
    try:
        if not user.has_perm("access.search_reads"):
            raise SearchRefused("You may not analyse reads.")
        if kind == Analysis.Kind.CONVOY:
            vrm = plate_condition(vrm).get("vrm", "")
            if not vrm:
                raise SearchRefused("A convoy analysis follows one vehicle: give its full plate.")
        else:
            vrm = ""  # cloned plates are looked for among every vehicle
        search_window(user=user, purpose=purpose, wanted_from=captured_from, wanted_to=end)
        with transaction.atomic():
            # The person's row locked: two analyses started at once cannot both pass.
            get_user_model().objects.select_for_update().get(pk=user.pk)
            running = Analysis.objects.filter(user=user, status__in=Analysis.UNFINISHED).first()
            if running:
                kind_running = running.get_kind_display().lower()
                raise SearchRefused(f"Your {kind_running} analysis is still running: start "
                                    "another once it has finished.")  # fmt: skip
            analysis = Analysis.objects.create(user=user, purpose=purpose, kind=kind, vrm=vrm,
                                               captured_from=captured_from, captured_to=end,
                                               address=address)  # fmt: skip
            # Robust: with the broker down it waits, and analyses_sweep queues it again.
            transaction.on_commit(lambda: analysis_run_task.delay(analysis.pk), robust=True)
    except (SearchRefused, WindowRefused) as refusal:
        audit_record_add(
            user=user, action=AuditRecord.Action.SEARCH, target=f"analysis: {kind}",
            address=address, outcome=AuditRecord.Outcome.REFUSED,
            case_reference=purpose.case_reference, category=purpose.category.name,
            purpose=purpose.pk, reason=str(refusal),
            parameters={"kind": kind, "vrm": vrm, "captured_from": captured_from.isoformat(),
                        "captured_to": end.isoformat()},
        )  # fmt: skip
        raise SearchRefused(str(refusal)) from None
    return analysis


def analysis_findings_view(*, analysis: Analysis, address: str | None) -> str | None:
    """Why a finished analysis's findings may not be shown to the person who ran it now, or
    None. Their window for its case must still cover its period, as a search now would need:
    a grant since revoked or expired, or its reads since older than the standard window,
    hide them. Every look at them is audited, and every refusal."""
    purpose = analysis.purpose

    def audit(**outcome) -> None:
        audit_record_add(
            user=analysis.user, action=AuditRecord.Action.ANALYSIS_VIEW,
            target=f"analysis {analysis.pk}: {analysis.get_kind_display().lower()}",
            address=address, case_reference=purpose.case_reference,
            category=purpose.category.name, purpose=purpose.pk, **outcome,
        )  # fmt: skip

    try:
        window = search_window(user=analysis.user, purpose=purpose,
                               wanted_from=analysis.captured_from,
                               wanted_to=analysis.captured_to)  # fmt: skip
    except WindowRefused as refusal:
        audit(outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        return str(refusal)
    audit(result_count=len(analysis.findings), window=[window.start.isoformat(),
          window.end.isoformat()], grant=window.grant.pk if window.grant else None)  # fmt: skip
    return None


def analysis_run(*, analysis_id: int) -> None:
    """Run a queued analysis, slice by slice, recording progress; audited once at the end. No
    query runs longer than ANALYSIS_QUERY_SECONDS."""
    queued = Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.QUEUED)
    if not queued.update(status=Analysis.Status.RUNNING, touched_at=timezone.now()):
        return  # delivered twice, or queued again: it has run, or is running
    analysis = Analysis.objects.select_related("user", "purpose__category").get(pk=analysis_id)

    def progress(done: float) -> None:
        Analysis.objects.filter(pk=analysis.pk).update(progress=round(100 * done),
                                                       touched_at=timezone.now())  # fmt: skip

    def run(window):
        # The sites it drew on go into the audit, so a site's review counts the analysis: a
        # convoy's, those the target visited; cloned plates are looked for at every site.
        if analysis.kind == Analysis.Kind.CONVOY:
            findings, sites = _convoy(analysis.vrm, window, progress)
        else:
            findings = _clones(window, progress)
            sites = list(Site.objects.filter(latitude__isnull=False).order_by("pk")
                         .values_list("pk", flat=True))  # fmt: skip
        return findings[:MAX_FINDINGS], len(findings), {"kind": analysis.kind, "sites": sites}

    running = Analysis.objects.filter(pk=analysis.pk, status=Analysis.Status.RUNNING)
    try:
        with _query_limit(settings.ANALYSIS_QUERY_SECONDS):
            findings = search_audited(**_audited(analysis), run=run)
    except Exception as error:
        running.update(status=Analysis.Status.FAILED, finished_at=timezone.now(),
                       message=str(error)[:300])  # fmt: skip
        raise
    running.update(status=Analysis.Status.DONE, findings=findings, progress=100,
                   finished_at=timezone.now())  # fmt: skip


def analyses_sweep(*, now: datetime | None = None) -> None:
    """Analyses nothing is running: one queued that no worker has started within ten minutes
    (its task lost with the broker) is queued again; one whose worker has not moved it on for
    longer than a query may take (the worker lost) is failed, saying so, and audited."""
    from .tasks import analysis_run_task

    now = now or timezone.now()
    waiting = Analysis.objects.filter(status=Analysis.Status.QUEUED,
                                      created_at__lt=now - timedelta(minutes=10))  # fmt: skip
    for pk in waiting.values_list("pk", flat=True):
        analysis_run_task.delay(pk)
    lost_before = now - timedelta(seconds=settings.ANALYSIS_QUERY_SECONDS + 300)
    lost = Analysis.objects.filter(status=Analysis.Status.RUNNING, touched_at__lt=lost_before)
    for analysis in lost.select_related("user", "purpose__category"):
        failed = Analysis.objects.filter(pk=analysis.pk, status=Analysis.Status.RUNNING).update(
            status=Analysis.Status.FAILED, finished_at=now,
            message="The analysis stopped part way (its worker was lost): start it again.",
        )  # fmt: skip
        if failed:
            audit_record_add(**search_audit(**_audited(analysis)),
                             outcome=AuditRecord.Outcome.ERROR, error="worker lost")  # fmt: skip


def _audited(analysis: Analysis) -> dict:
    """How an analysis is audited: as a search of its period."""
    return {"user": analysis.user, "purpose": analysis.purpose, "address": analysis.address,
            "action": AuditRecord.Action.SEARCH,
            "criteria": Criteria(plate="", captured_from=analysis.captured_from,
                                 captured_to=analysis.captured_to),
            "parameters": {"analysis": analysis.kind, "vrm": analysis.vrm},
            "target": f"analysis: {analysis.get_kind_display().lower()}"}  # fmt: skip


@contextmanager
def _query_limit(seconds: int):
    """Every query of the block ends within `seconds` (PostgreSQL's statement_timeout)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds}s"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def _clones(window, progress) -> list[dict]:
    findings: list[dict] = []
    for slice_ in range(SLICES):
        findings += _clone_pairs(window.start, window.end, slice_)
        progress((slice_ + 1) / SLICES)
    return sorted(findings, key=lambda finding: finding["kmh"], reverse=True)


# The target's visits: its reads, those at a site within CONVOY_SECONDS of its read before there
# taken as one (two lanes' cameras, a read sent twice), so one pass counts once.
CONVOY_VISITS = """
WITH visits AS (
    SELECT site_id, captured_at FROM (
        SELECT site_id, captured_at, captured_at - lag(captured_at)
               OVER (PARTITION BY site_id ORDER BY captured_at) AS gap
        FROM reads_read
        WHERE vrm = %(vrm)s AND captured_at >= %(start)s AND captured_at <= %(end)s
    ) AS target_reads
    WHERE gap IS NULL OR gap > %(near)s
)
"""

CONVOY_NEAR = (
    CONVOY_VISITS
    + """
SELECT r.vrm, count(DISTINCT (t.site_id, t.captured_at)) AS together,
       count(DISTINCT t.site_id) AS sites,
       count(DISTINCT (t.captured_at AT TIME ZONE %(zone)s)::date) AS days
FROM visits t
JOIN reads_read r ON r.site_id = t.site_id AND r.vrm <> %(vrm)s
 AND r.captured_at BETWEEN t.captured_at - %(near)s AND t.captured_at + %(near)s
WHERE r.captured_at >= %(start)s AND r.captured_at <= %(end)s
GROUP BY r.vrm HAVING count(DISTINCT (t.site_id, t.captured_at)) >= 2
"""
)

CONVOY_SITES = CONVOY_VISITS + "SELECT DISTINCT site_id FROM visits ORDER BY site_id"  # noqa: S608

# Each candidate's own traffic at the sites where the target was seen, weighted by how often
# the target visited there: what it would meet the target by chance.
CONVOY_BACKGROUND = (
    CONVOY_VISITS  # noqa: S608 - fixed text
    + """, target AS (
    SELECT site_id, count(*) AS times FROM visits GROUP BY site_id
)
SELECT r.vrm, sum(target.times) AS weighted
FROM reads_read r JOIN target ON target.site_id = r.site_id
WHERE r.vrm = ANY(%(candidates)s) AND r.captured_at >= %(start)s AND r.captured_at <= %(end)s
GROUP BY r.vrm
"""
)


def _convoy(vrm: str, window, progress) -> tuple[list[dict], list[int]]:
    """The vehicles found with the target, best first, and the sites of its visits."""
    near = timedelta(seconds=settings.CONVOY_SECONDS)
    params = {"vrm": vrm, "start": window.start, "end": window.end, "near": near,
              "zone": settings.TIME_ZONE}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(CONVOY_NEAR, params)
        together = {row[0]: row[1:] for row in cursor.fetchall()}
        progress(0.5)
        cursor.execute(CONVOY_BACKGROUND, {**params, "candidates": list(together)})
        background = dict(cursor.fetchall())
        progress(0.9)  # each query moves it on: the sweep tells a long query from a lost run
        cursor.execute(CONVOY_SITES, params)
        sites = [site for (site,) in cursor.fetchall()]
    progress(1.0)
    chance = 2 * near.total_seconds() / max((window.end - window.start).total_seconds(), 1)
    findings = []
    for candidate, (seen, at_sites, days) in together.items():
        expected = max(float(background.get(candidate, 0)) * chance, 1e-6)
        score = seen * math.log(seen / expected) - (seen - expected)
        findings.append({"vrm": candidate, "together": seen, "sites": at_sites, "days": days,
                         "expected": round(expected, 3), "score": round(score, 1)})  # fmt: skip
    return sorted(findings, key=lambda finding: finding["score"], reverse=True), sites


def _clone_pairs(start: datetime, end: datetime, slice_: int) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(CLONE_PAIRS, {"start": start, "end": end, "slices": SLICES,
                                     "slice": slice_, "speed": settings.CLONE_SPEED_KMH,
                                     "limit": MAX_FINDINGS})  # fmt: skip
        return [
            {"vrm": vrm, "first_site": first_site, "first_at": _when(first_at),
             "second_site": second_site, "second_at": _when(second_at),
             "km": round(km, 1), "minutes": round(hours * 60, 1),
             "kmh": round(km / max(hours, 1 / 3600))}
            for vrm, first_site, first_at, second_site, second_at, km, hours in cursor.fetchall()
        ]  # fmt: skip


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M:%S}"
