"""The access matrix (issue item 8): every URL pattern and API route, for every persona, for
anonymous visitors and for a camera, checked against an explicit table of who may do what.

Deny by default: a persona a row does not name is refused, with 403 where their roles do not
open the work, or 404 where the object exists but is outside their scope (another
investigator's analysis or legal hold, a list they do not keep, a restricted list's alert), so
that its existence is not confirmed. Anonymous visitors, and cameras, are sent to the login
page and answered 401 by the API; only the public pages are open to them, and only the camera
API to a camera. A URL pattern, or a method of a class-based view, that no row decides fails
`test_every_url_pattern_and_method_is_in_the_matrix`.

Unsafe requests carry no valid body (or one the service refuses), so the permission gate must
answer first: an allowed persona then gets the form again (200), a redirect (302) or the API's
400. Where a page takes a decision from everyone its area opens to, a second table checks that
only the deciding role's decision takes effect.

Every persona's session has both sign-in steps done and the identity just confirmed, as
`client_for` leaves it, so sensitive changes pass their re-authentication. The objects are made
once for the module, in a transaction rolled back at its end; each test is a savepoint in it.
"""

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from access.mfa import CONFIRMED_AT, SIGNED_IN_AT
from access.roles import Role
from access.services import access_request_create, user_roles_set
from reads.views import SESSION_PURPOSE
from tests.factories import (
    PERSONA_ROLES,
    AlertFactory,
    CameraFactory,
    HotlistEntryFactory,
    HotlistFactory,
    SiteFactory,
    UserFactory,
    entitle,
    make_persona,
    sign_in_verified,
)
from tests.test_access import _all_url_patterns

pytestmark = pytest.mark.django_db

PERSONAS = tuple(PERSONA_ROLES)
ANONYMOUS, CAMERA = "anonymous", "camera"  # nobody signed in; a camera with its credential
EVERYONE = frozenset(PERSONAS)
NOBODY: frozenset[str] = frozenset()
# Who holds which work (access/roles.py); the inspector is an operator and a senior officer.
OPERATORS = frozenset({"operator", "inspector"})
INVESTIGATORS = frozenset({"investigator", "investigator2"})
SENIORS = frozenset({"senior", "inspector"})
SITE_VIEWERS = frozenset({"senior", "intel", "auditor", "admin", "inspector"})
SITE_MANAGERS = frozenset({"intel"})
COMPLIANCE = frozenset({"intel", "auditor"})
HOTLIST_MANAGERS = frozenset({"hotlists"})
AUDITORS = frozenset({"auditor"})
RETENTION = frozenset({"auditor", "admin"})
ADMINS = frozenset({"admin"})

GET, POST, PUT, PATCH = "GET", "POST", "PUT", "PATCH"


@dataclass(frozen=True)
class Pk:
    """An identifier of one of the module's objects, in a URL or a form."""

    key: str
    attribute: str = "pk"


@dataclass(frozen=True)
class Row:
    """Who may use one URL with one method. The allowed personas get `ok`; those in `hidden`
    get 404 (the object is outside their scope); every other signed-in persona gets `denied`.
    Anonymous visitors and cameras get the login page (pages) or 401 (API), unless the row
    says otherwise."""

    name: str
    method: str
    allowed: frozenset[str]
    ok: int = 200
    kwargs: dict = field(default_factory=dict)
    hidden: frozenset[str] = NOBODY
    denied: int = 403
    anonymous: int | None = None
    camera: int | None = None
    data: dict = field(default_factory=dict)
    multipart: bool = False
    query: str = ""
    to: str = ""  # where an allowed persona's redirect goes, where that is the point
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}" + (f" [{self.label}]" if self.label else "")

    def expected(self, persona: str, url: str) -> int:
        if persona == CAMERA and self.camera is not None:
            return self.camera
        if persona in (ANONYMOUS, CAMERA):
            if self.anonymous is not None:
                return self.anonymous
            return 401 if url.startswith("/api/") else 302
        if persona in self.allowed:
            return self.ok
        return 404 if persona in self.hidden else self.denied


def scoped(allowed, **fields) -> Row:
    """A row for an object only `allowed` may reach: to every other persona it does not exist."""
    return Row(allowed=frozenset(allowed), hidden=EVERYONE - frozenset(allowed), **fields)


ALERT_READERS = {"operator", "inspector", "hotlists"}  # entitled operators, and the list's owner
HOLD_VIEWERS = {"investigator", "senior", "inspector", "auditor", "admin"}  # requester, deciders
LISTED, RESTRICTED = {"pk": Pk("listed")}, {"pk": Pk("restricted")}
RESTRICTED_LIST = "a list the persona does not keep"
OTHER_MANAGER = "other-manager"  # keeps the restricted list; no persona does

MATRIX = [
    # Shared pages and the public ones.
    Row("home", GET, EVERYONE),
    Row("healthz", GET, EVERYONE, anonymous=200),
    Row("public_statistics", GET, EVERYONE, anonymous=200),
    # Signed in already: on to the home page. Django's form views take PUT as POST.
    Row("login", GET, EVERYONE, ok=302, anonymous=200, to="home"),
    Row("login", POST, EVERYONE, ok=302, anonymous=200, to="home"),
    Row("login", PUT, EVERYONE, ok=302, anonymous=200, to="home"),
    Row("logout", POST, EVERYONE, ok=302, to="login"),
    # Signing in and confirming who one is: any signed-in person, for themselves.
    Row("access:verify", GET, EVERYONE),
    Row("access:verify", POST, EVERYONE),
    Row("access:enrol", GET, EVERYONE),
    Row("access:enrol", POST, EVERYONE),
    Row("access:confirm", GET, EVERYONE),
    Row("access:confirm", POST, EVERYONE),
    Row("access:backup_codes", POST, EVERYONE),
    # Extended access, decisions and the audit.
    Row("access:accessrequest_list", GET, INVESTIGATORS),
    Row("access:accessrequest_list", POST, INVESTIGATORS),
    Row("access:accessrequest_queue", GET, SENIORS),
    Row("access:accessrequest_queue", POST, SENIORS, ok=302,
        data={"request": Pk("access_request"), "action": "refuse"}),  # no reason: refused
    Row("access:audit_list", GET, AUDITORS),
    Row("access:audit_list", POST, AUDITORS, ok=302, data={"action": "sample", "count": "1"}),
    # Cameras: administrators.
    Row("cameras:camera_list", GET, ADMINS),
    Row("cameras:unreadframe_list", GET, ADMINS),
    Row("cameras:unreadframe_image", GET, ADMINS, kwargs={"pk": Pk("frame")}),
    # Camera sites.
    Row("deployments:site_list", GET, SITE_VIEWERS),
    Row("deployments:site_create", GET, SITE_MANAGERS),
    Row("deployments:site_create", POST, SITE_MANAGERS),
    # Exact positions: the auditor sees the register, but the map's data does not exist for them.
    Row("deployments:site_map", GET, SITE_VIEWERS - AUDITORS, hidden=AUDITORS),
    Row("deployments:review_list", GET, SITE_VIEWERS),
    Row("deployments:site_detail", GET, SITE_VIEWERS, kwargs={"pk": Pk("site")}),
    Row("deployments:site_update", GET, SITE_MANAGERS, kwargs={"pk": Pk("site")}),
    Row("deployments:site_update", POST, SITE_MANAGERS, kwargs={"pk": Pk("site")}),
    Row("deployments:site_transition", POST, SITE_MANAGERS, ok=302, kwargs={"pk": Pk("site")},
        data={"to": "approved"}),  # a live site cannot go back: refused
    Row("deployments:assessment_create", GET, SITE_MANAGERS, kwargs={"pk": Pk("proposed")}),
    Row("deployments:assessment_create", POST, SITE_MANAGERS, kwargs={"pk": Pk("proposed")}),
    Row("deployments:privacyassessment_create", GET, SITE_MANAGERS,
        kwargs={"pk": Pk("proposed")}),
    Row("deployments:privacyassessment_create", POST, SITE_MANAGERS,
        kwargs={"pk": Pk("proposed")}),
    Row("deployments:consultation_create", POST, SITE_MANAGERS, ok=302,
        kwargs={"pk": Pk("proposed")}),
    Row("deployments:review_create", POST, SITE_MANAGERS, ok=302, kwargs={"pk": Pk("site")}),
    # Who may decide an assessment is the service's to say; the page is the site register's.
    Row("deployments:assessment_detail", GET, SITE_VIEWERS, kwargs={"pk": Pk("assessment")}),
    Row("deployments:assessment_detail", POST, SITE_VIEWERS, kwargs={"pk": Pk("assessment")}),
    Row("deployments:privacyassessment_detail", GET, SITE_VIEWERS, kwargs={"pk": Pk("dpia")}),
    Row("deployments:privacyassessment_detail", POST, SITE_VIEWERS, kwargs={"pk": Pk("dpia")}),
    Row("deployments:review_detail", GET, SITE_VIEWERS, kwargs={"pk": Pk("review")}),
    Row("deployments:review_detail", POST, SITE_MANAGERS, kwargs={"pk": Pk("review")}),
    Row("deployments:selfassessment_list", GET, COMPLIANCE),
    Row("deployments:selfassessment_create", GET, COMPLIANCE),
    Row("deployments:selfassessment_create", POST, COMPLIANCE),
    Row("deployments:selfassessment_detail", GET, COMPLIANCE,
        kwargs={"pk": Pk("selfassessment")}),
    Row("deployments:selfassessment_pdf", GET, COMPLIANCE, kwargs={"pk": Pk("selfassessment")}),
    # Alerts: operators for the lists they receive; the list's owner reads its alerts.
    Row("hotlist:alert_list", GET, OPERATORS),
    Row("hotlist:alert_feed", GET, OPERATORS),
    # The stream itself is served by the ASGI process: under WSGI it says so, after the gate.
    Row("hotlist:alert_events", GET, OPERATORS, ok=503),
    scoped(ALERT_READERS, name="hotlist:alert_detail", method=GET, kwargs={"pk": Pk("alert")}),
    scoped({"inspector"}, name="hotlist:alert_detail", method=GET,
           kwargs={"pk": Pk("restricted_alert")}, label="restricted list"),
    Row("hotlist:alert_step", POST, OPERATORS, ok=302,
        kwargs={"pk": Pk("alert"), "step": "claim"}),
    Row("hotlist:alert_step", POST, frozenset({"inspector"}), ok=302,
        hidden=frozenset({"operator"}), kwargs={"pk": Pk("restricted_alert"), "step": "claim"},
        label="restricted list"),
    scoped(ALERT_READERS, name="hotlist:alert_image", method=GET,
           kwargs={"pk": Pk("alert"), "kind": "plate"}),
    scoped({"inspector"}, name="hotlist:alert_image", method=GET,
           kwargs={"pk": Pk("restricted_alert"), "kind": "plate"}, label="restricted list"),
    # Hotlists: managers, for the lists they keep; others' lists do not exist for them.
    Row("hotlist:hotlist_list", GET, HOTLIST_MANAGERS),
    Row("hotlist:entry_outcomes", GET, EVERYONE),  # each person's own entries' hits
    Row("hotlist:hotlist_create", GET, HOTLIST_MANAGERS),
    Row("hotlist:hotlist_create", POST, HOTLIST_MANAGERS),
    Row("hotlist:hotlist_detail", GET, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_detail", POST, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_detail", GET, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlist_detail", POST, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlist_update", GET, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_update", POST, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_update", GET, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlist_update", POST, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlist_import", GET, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_import", POST, HOTLIST_MANAGERS, ok=302, kwargs=LISTED),  # no file
    Row("hotlist:hotlist_import", POST, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlist_export", GET, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist:hotlist_export", GET, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist:hotlistimport_detail", GET, HOTLIST_MANAGERS, kwargs={"pk": Pk("import")}),
    Row("hotlist:hotlistimport_detail", POST, HOTLIST_MANAGERS, ok=302,
        kwargs={"pk": Pk("import")}),
    Row("hotlist:hotlistimport_detail", GET, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"pk": Pk("restricted_import")}, label=RESTRICTED_LIST),
    Row("hotlist:hotlistentry_detail", GET, HOTLIST_MANAGERS, kwargs={"pk": Pk("entry")}),
    Row("hotlist:hotlistentry_detail", POST, HOTLIST_MANAGERS, kwargs={"pk": Pk("entry")}),
    Row("hotlist:hotlistentry_detail", GET, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"pk": Pk("restricted_entry")}, label=RESTRICTED_LIST),
    Row("hotlist:hotlistentry_detail", POST, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"pk": Pk("restricted_entry")}, label=RESTRICTED_LIST),
    Row("hotlist:delivery_list", GET, HOTLIST_MANAGERS),
    # Searches, analyses and legal holds: investigators; analyses and held reads are their own.
    Row("reads:search", GET, INVESTIGATORS),
    Row("reads:search", POST, INVESTIGATORS),
    Row("reads:stakeout", GET, INVESTIGATORS),
    Row("reads:stakeout", POST, INVESTIGATORS),
    # Reads are not anyone's own: any investigator may search the last 90 days for a case.
    Row("reads:read_image", GET, INVESTIGATORS,
        kwargs={"read_id": Pk("read", "id"), "kind": "plate"}, query="read_image"),
    Row("reads:analysis_detail", GET, frozenset({"investigator"}),
        hidden=frozenset({"investigator2"}), kwargs={"pk": Pk("analysis")}),
    Row("reads:legalhold_from_search", POST, INVESTIGATORS, ok=302),  # nothing ticked
    Row("reads:legalhold_list", GET, INVESTIGATORS),
    Row("reads:legalhold_list", POST, INVESTIGATORS),
    scoped(HOLD_VIEWERS, name="reads:legalhold_detail", method=GET, kwargs={"pk": Pk("hold")}),
    scoped(HOLD_VIEWERS, name="reads:legalhold_detail", method=POST, ok=302,
           kwargs={"pk": Pk("hold")}),  # no action chosen
    Row("reads:held_read_image", GET, frozenset({"investigator"}),
        hidden=frozenset({"investigator2"}),
        kwargs={"pk": Pk("hold"), "read_id": Pk("held_read", "read_id"), "kind": "plate"}),
    Row("reads:retention", GET, RETENTION),
    Row("reads:retention", POST, ADMINS),  # only an administrator changes it
    # The API.
    Row("schema", GET, EVERYONE),
    Row("docs", GET, EVERYONE),
    Row("access-api:me", GET, EVERYONE),
    # The camera API takes a camera's credential, never a person's session.
    Row("cameras-api:read_batch", POST, NOBODY, denied=401, camera=400),  # no reads in it
    Row("cameras-api:frame", POST, NOBODY, denied=401, camera=400, multipart=True),  # no frame
    Row("cameras-api:heartbeat", POST, NOBODY, denied=401, camera=200),
    Row("cameras-api:hotlist_sync", GET, NOBODY, denied=401, camera=200),
    Row("deployments-api:site-list", GET, SITE_VIEWERS),
    Row("deployments-api:site-detail", GET, SITE_VIEWERS, kwargs={"pk": Pk("site")}),
    Row("hotlist-api:hotlist-list", GET, HOTLIST_MANAGERS),
    Row("hotlist-api:hotlist-list", POST, HOTLIST_MANAGERS, ok=400),
    Row("hotlist-api:hotlist-detail", GET, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist-api:hotlist-detail", PUT, HOTLIST_MANAGERS, ok=400, kwargs=LISTED),
    Row("hotlist-api:hotlist-detail", PATCH, HOTLIST_MANAGERS, kwargs=LISTED),
    Row("hotlist-api:hotlist-detail", GET, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist-api:hotlist-detail", PATCH, NOBODY, hidden=HOTLIST_MANAGERS, kwargs=RESTRICTED,
        label=RESTRICTED_LIST),
    Row("hotlist-api:entry-list", GET, HOTLIST_MANAGERS, kwargs={"hotlist_pk": Pk("listed")}),
    Row("hotlist-api:entry-list", POST, HOTLIST_MANAGERS, ok=400,
        kwargs={"hotlist_pk": Pk("listed")}),
    Row("hotlist-api:entry-list", GET, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("restricted")}, label=RESTRICTED_LIST),
    Row("hotlist-api:entry-list", POST, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("restricted")}, label=RESTRICTED_LIST),
    Row("hotlist-api:entry-detail", GET, HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("listed"), "pk": Pk("entry")}),
    Row("hotlist-api:entry-detail", PUT, HOTLIST_MANAGERS, ok=400,
        kwargs={"hotlist_pk": Pk("listed"), "pk": Pk("entry")}),
    Row("hotlist-api:entry-detail", PATCH, HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("listed"), "pk": Pk("entry")}),
    Row("hotlist-api:entry-detail", GET, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("restricted"), "pk": Pk("restricted_entry")},
        label=RESTRICTED_LIST),
    Row("hotlist-api:entry-detail", PATCH, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("restricted"), "pk": Pk("restricted_entry")},
        label=RESTRICTED_LIST),
    # Another list's entry named under one's own list: not there either.
    Row("hotlist-api:entry-detail", GET, NOBODY, hidden=HOTLIST_MANAGERS,
        kwargs={"hotlist_pk": Pk("listed"), "pk": Pk("restricted_entry")},
        label="another list's entry under one's own"),
    Row("reads-api:search", POST, INVESTIGATORS, ok=400),
    Row("reads-api:stakeout", POST, INVESTIGATORS, ok=400),
    Row("reads-api:analysis_list", POST, INVESTIGATORS, ok=400),
    Row("reads-api:analysis_detail", GET, frozenset({"investigator"}),
        hidden=frozenset({"investigator2"}), kwargs={"pk": Pk("analysis")}),
    # The admin site: administrators; everyone else is sent to its sign-in.
    Row("admin:index", GET, ADMINS, denied=302),
]  # fmt: skip

# Access bugs the matrix found, left for the application to fix: (row id, persona) -> what is
# wrong. Strict, so the mark fails (and must go) once the application answers as the table says.
KNOWN_BUGS: dict[tuple[str, str], str] = {}  # (row, identity): why, while a bug is open

WHY = "The vehicle was seen leaving the scene of an armed robbery in Northtown."


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The personas, a camera's credential and one of each object the URLs name, made once for
    the module in a transaction rolled back at its end."""
    from reads import partitions

    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        people = {name: make_persona(name) for name in PERSONA_ROLES}
        objects = _sites(people)
        objects.update(_hotlists(people, objects["camera"], media))
        objects.update(_investigations(people, objects["camera"], media))
        objects["sessions"] = _signed_in(people, objects["purposes"])
        yield objects
        transaction.set_rollback(True)
    partitions.forget_known()  # the day partition made for the read went with the rollback
    cache.delete("public_statistics")  # worked out from the rolled-back objects


def _image(media: Path, path: str) -> str:
    (media / path).parent.mkdir(parents=True, exist_ok=True)
    (media / path).write_bytes(b"\xff\xd8\xff\xe0 plate \xff\xd9")
    return path


def _sites(people: dict) -> dict:
    """A live site with a camera; a proposed one with its assessment and DPIA; a site under
    review; a Code of Practice self-assessment."""
    from cameras.services import camera_credential_issue
    from deployments.models import AssessmentFactor, PrivacyAssessment
    from deployments.services import (
        assessment_submit,
        privacy_assessment_submit,
        review_start,
        self_assessment_create,
    )

    intel = people["intel"]
    site, proposed = SiteFactory(status="live", owner=intel), SiteFactory(status="proposed")
    camera = CameraFactory(site=site)
    factors = [{"factor": factor, "rating": "high", "strategic_assessment": "Force strategic "
                "assessment 2026", "crime_figures": "212 burglaries", "intelligence": "B2"}
               for factor in AssessmentFactor.Factor.values]  # fmt: skip
    risks = [{"description": "Every passing vehicle is recorded.", "likelihood": "probable",
              "severity": "significant", "mitigation": "Audited searches.",
              "residual": "low"}]  # fmt: skip
    answers = [{"principle": n, "answer": "yes", "evidence": "Shown by the system."}
               for n in range(1, 13)]  # fmt: skip
    return {
        "site": site, "proposed": proposed, "camera": camera,
        "camera_token": camera_credential_issue(camera=camera, acting_user=None)[1],
        "assessment": assessment_submit(
            by=intel, site=proposed, factors=factors, pressing_need="Burglary on the A14.",
            alternatives_less_intrusive="Patrols and signage: tried for a year.",
            alternatives_more_intrusive="Overt CCTV with video: not needed.",
            expected_effectiveness="Hits on wanted vehicles, measured at review.",
        ),
        "dpia": privacy_assessment_submit(
            by=intel, site=proposed, screening=dict.fromkeys(PrivacyAssessment.SCREENING, True),
            residual_risk="low", risks=risks,
        ),
        "review": review_start(by=intel, site=SiteFactory(status="live")),
        "selfassessment": self_assessment_create(by=intel, answers=answers),
    }  # fmt: skip


def _hotlists(people: dict, camera, media: Path) -> dict:
    """A list the hotlist manager keeps, whose alerts the operators receive; a restricted list
    another manager keeps, whose alerts only the inspector receives. Each has an entry, an
    alert with its plate image, and an import waiting for its manager's decision."""
    from hotlist.models import HotlistImport

    manager = UserFactory(username=OTHER_MANAGER)
    user_roles_set(user=manager, roles=[Role.HOTLIST_MANAGER], acting_user=None)
    people[OTHER_MANAGER] = manager
    objects = {}
    lists = (("listed", people["hotlists"], "AB12CDE", OPERATORS),
             ("restricted", manager, "FI12ARM", {"inspector"}))  # fmt: skip
    for key, owner, vrm, receivers in lists:
        hotlist = HotlistFactory(owner=owner, name=f"Matrix {key} list")
        for name in receivers:
            entitle(people[name], hotlist)
        entry = HotlistEntryFactory(hotlist=hotlist, vrm=vrm, created_by=owner)
        prefix = "" if key == "listed" else "restricted_"
        objects[key] = hotlist
        objects[f"{prefix}entry"] = entry
        objects[f"{prefix}alert"] = AlertFactory(
            entry=entry, camera=camera, plate_image=_image(media, f"alerts/{key}.jpg")
        )
        objects[f"{prefix}import"] = HotlistImport.objects.create(
            hotlist=hotlist, uploaded_by=owner, filename="entries.csv", sha256="0" * 64,
            path="imports/entries.csv", status=HotlistImport.Status.CHECKED, total_rows=1,
        )  # fmt: skip
    return objects


def _investigations(people: dict, camera, media: Path) -> dict:
    """Each investigator's case; the first investigator's analysis, legal holds (one in force,
    with a held read; one waiting) and request for extended access; a read in the store; a
    diagnostic frame."""
    from access.models import OffenceCategory
    from cameras.models import UnreadFrame
    from reads import partitions
    from reads.models import Analysis, HeldRead, LegalHold, Read
    from reads.search import search_purpose_create

    investigator = people["investigator"]
    now, today = timezone.now(), timezone.localdate()
    robbery, _ = OffenceCategory.objects.get_or_create(name="Robbery", defaults={"serious": True})
    purposes = {name: search_purpose_create(user=people[name], category=robbery,
                                            case_reference=f"NT/{n}/26", justification=WHY)
                for n, name in enumerate(sorted(INVESTIGATORS), start=100)}  # fmt: skip
    hold = LegalHold.objects.create(
        requester=investigator, purpose=purposes["investigator"], reason=WHY, vrm="AB12CDE",
        period_from=now - timedelta(days=2), period_to=now, review_on=today + timedelta(days=90),
        status=LegalHold.Status.ACTIVE, decided_by=people["senior"], decided_at=now,
    )  # fmt: skip
    pending_hold = LegalHold.objects.create(
        requester=investigator, purpose=purposes["investigator"], reason=WHY, vrm="XY34ZZZ",
        period_from=now - timedelta(days=2), period_to=now, review_on=today + timedelta(days=90),
    )  # fmt: skip
    captured = now - timedelta(hours=1)
    read = {"vrm": "AB12CDE", "vrm_raw": "AB12 CDE", "captured_at": captured, "received_at": now,
            "camera": camera, "site": camera.site}  # fmt: skip
    partitions.ensure_days({partitions.day_of(captured)})
    return {
        "purposes": purposes, "hold": hold, "pending_hold": pending_hold,
        "held_read": HeldRead.objects.create(hold=hold, read_id=uuid.uuid4(), capture_id="h",
                                             plate_image=_image(media, "held.jpg"), **read),
        "read": Read.objects.create(id=uuid.uuid4(), capture_id="r",
                                    plate_image=_image(media, "read.jpg"), **read),
        "analysis": Analysis.objects.create(
            user=investigator, purpose=purposes["investigator"], kind=Analysis.Kind.CLONES,
            captured_from=now - timedelta(days=3), captured_to=now, status=Analysis.Status.DONE,
        ),
        "access_request": access_request_create(
            requester=investigator, case_reference="NT/100/26", category=robbery,
            date_from=today - timedelta(days=200), date_to=today - timedelta(days=100),
            justification=WHY,
        ),
        "frame": UnreadFrame.objects.create(camera=camera, image=_image(media, "frame.jpg"),
                                            captured_at=now, reason="No plate found."),
    }  # fmt: skip


def _signed_in(people: dict, purposes: dict) -> dict[str, str]:
    """Each persona's session with both sign-in steps done (`client_for`'s sign-in, made once
    for the module rather than once a test); an investigator's holds the case being worked."""
    keys = {}
    for name, user in people.items():
        client = Client()
        sign_in_verified(client, user)
        if name in purposes:
            session = client.session
            session[SESSION_PURPOSE] = purposes[name].pk
            session.save()
        keys[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def _client(identity: str, world) -> Client:
    """A browser (or camera) for the identity. Whatever a request does to a session is rolled
    back with the test; the identity is confirmed afresh, however long the module has run."""
    if identity == CAMERA:
        return Client(raise_request_exception=False,
                      headers={"Authorization": f"Camera {world['camera_token']}"})  # fmt: skip
    client = Client(raise_request_exception=False)
    if identity != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][identity]
        session = client.session
        session[SIGNED_IN_AT] = session[CONFIRMED_AT] = time.time()
        session.save()
    return client


def _values(given: dict, world) -> dict:
    return {name: getattr(world[value.key], value.attribute) if isinstance(value, Pk) else value
            for name, value in given.items()}  # fmt: skip


def _url(row: Row, world) -> str:
    url = reverse(row.name, kwargs=_values(row.kwargs, world))
    if row.query == "read_image":  # as the search results link it
        read = world["read"]
        url += "?" + urlencode({"vrm": read.vrm, "at": read.captured_at.isoformat()})
    return url


def _send(client: Client, row: Row, url: str, world):
    data = _values(row.data, world)
    if row.method == GET:
        return client.get(url)
    if row.multipart:
        return client.post(url, data)
    if url.startswith("/api/"):
        return client.generic(row.method, url, "{}", content_type="application/json")
    return client.generic(row.method, url, urlencode(data),
                          content_type="application/x-www-form-urlencoded")  # fmt: skip


def _case(row: Row, identity: str):
    bug = KNOWN_BUGS.get((row.id, identity))
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(row, identity, id=f"{row.id} as {identity}", marks=marks)


@pytest.mark.parametrize(
    ("row", "identity"),
    [_case(row, identity) for row in MATRIX for identity in (*PERSONAS, ANONYMOUS, CAMERA)],
)
def test_access_matrix(world, row, identity):
    url = _url(row, world)
    response = _send(_client(identity, world), row, url, world)

    expected = row.expected(identity, url)
    failure = getattr(response, "exc_info", None)
    assert response.status_code == expected, (
        f"{row.method} {url} ({row.name}) as {identity}: expected {expected}, got "
        f"{response.status_code}" + (f" ({failure[1]!r})" if failure else "")
    )
    if response.status_code == 302:
        location = response["Location"]
        sign_in = location.startswith((reverse("login"), reverse("admin:login")))
        if identity not in row.allowed:  # refused: sent to sign in
            assert sign_in, f"{row.method} {url} as {identity}: refused, but sent to {location}"
        elif row.to:
            assert location.split("?")[0] == reverse(row.to), f"{url} went to {location}"
        else:  # done, or refused by the service: never asked to sign in or confirm again
            assert not sign_in, f"{row.method} {url} as {identity} was sent to {location}"
            assert not location.startswith(reverse("access:confirm")), location


# Deciding: the page takes a decision from anyone its area opens to; the decision is made only
# by the role that decides it, and never by the record's author or requester.
DECISIONS = [
    pytest.param("deployments:assessment_detail", "assessment", {"approve": "yes"}, SENIORS,
                 id="deployment assessment"),
    pytest.param("deployments:privacyassessment_detail", "dpia", {"approve": "yes"}, AUDITORS,
                 id="DPIA"),
    pytest.param("reads:legalhold_detail", "pending_hold", {"action": "approve"}, SENIORS,
                 id="legal hold"),
    pytest.param("access:accessrequest_queue", "access_request", {"action": "approve"}, SENIORS,
                 id="extended access"),
]  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "key", "data", "deciders"), DECISIONS)
def test_only_the_deciding_role_decides(world, name, key, data, deciders, persona):
    record = world[key]
    kwargs = {} if name == "access:accessrequest_queue" else {"pk": record.pk}
    response = _client(persona, world).post(reverse(name, kwargs=kwargs),
                                            {**data, "request": record.pk})  # fmt: skip
    assert response.status_code in (200, 302, 403, 404)
    record.refresh_from_db()
    state = record.decision if hasattr(record, "decision") else record.status
    assert (state in ("approved", "active")) == (persona in deciders), f"{persona}: {key} {state}"


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row.id) for row in MATRIX if row.label == RESTRICTED_LIST]
)
def test_what_is_out_of_scope_exists_for_its_owner(world, row):
    """The 404s above are about scope: the restricted list's own manager reaches the same URLs."""
    url = _url(row, world)
    response = _send(_client(OTHER_MANAGER, world), row, url, world)
    assert response.status_code in (200, 302, 400), f"{row.method} {url}"


def _methods(pattern) -> set[str]:
    """The methods a class-based view answers (a viewset: those its route maps). A function
    view's are in its decorators: its rows name the ones that matter."""
    callback = pattern.callback
    if getattr(callback, "actions", None):
        return {method.upper() for method in callback.actions if method != "head"}
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        return set()
    return {method.upper() for method in view_class.http_method_names
            if method not in ("options", "head") and hasattr(view_class, method)}  # fmt: skip


def test_every_url_pattern_and_method_is_in_the_matrix():
    """A new URL, or a new method on a view, cannot arrive without deciding who may use it."""
    patterns = [(name, pattern) for name, pattern in _all_url_patterns()
                if not name.startswith("admin:") or name == "admin:index"]  # fmt: skip
    decided = {(row.name, row.method) for row in MATRIX}
    names = {name for name, _ in decided}
    assert sorted({name for name, _ in patterns} - names) == [], "URL patterns not in the matrix"
    undecided = sorted(f"{method} {name}" for name, pattern in patterns
                       for method in _methods(pattern)
                       if (name, method) not in decided)  # fmt: skip
    assert undecided == [], "Methods of views not in the matrix"
    assert names <= {name for name, _ in patterns}, "Rows for URL patterns that no longer exist"
