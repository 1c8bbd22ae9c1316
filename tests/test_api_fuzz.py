"""Every API operation fuzzed from the OpenAPI document (quality.md, Reliability: bad input).

Schemathesis draws requests from the published document (valid and invalid ones) and sends them
in-process through the WSGI application to the real database: each as the persona whose role may
use the operation (cameras with their own credential), and each again as someone without the
right. No answer may be a server error, and every answer must be one the document describes:
its status code, its content type and its body.
"""

import itertools
import json
import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.exceptions import PermissionDenied
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.prepare import get_exclude_headers

from access.models import OffenceCategory
from anpr_site.wsgi import application
from cameras.api.authentication import SCHEME
from cameras.services import camera_credential_issue
from reads.analysis import analysis_start
from reads.search import search_purpose_create
from tests.factories import CameraFactory, HotlistEntryFactory, HotlistFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

CAMERA = "camera"  # the identity of camera operations: a camera's own credential

# Who may use each operation (the role that does this work), and someone who may not. A new
# operation fails the first test below until it is added here.
ENTITLED = {
    "me_retrieve": "investigator",
    "sites_list": "intel",
    "sites_retrieve": "intel",
    "hotlists_list": "hotlists",
    "hotlists_create": "hotlists",
    "hotlists_retrieve": "hotlists",
    "hotlists_update": "hotlists",
    "hotlists_partial_update": "hotlists",
    "hotlists_entries_list": "hotlists",
    "hotlists_entries_create": "hotlists",
    "hotlists_entries_retrieve": "hotlists",
    "hotlists_entries_update": "hotlists",
    "hotlists_entries_partial_update": "hotlists",
    "reads_search_create": "investigator",
    "reads_stakeout_create": "investigator",
    "reads_analyses_create": "investigator",
    "reads_analyses_retrieve": "investigator",
    "camera_reads_submit": CAMERA,
    "camera_frame_submit": CAMERA,
    "camera_heartbeat": CAMERA,
    "camera_hotlists_sync": CAMERA,
}
# None: nobody signed in (every signed-in person may ask who they are).
UNENTITLED = {
    "me_retrieve": None,
    "sites_list": "investigator",
    "sites_retrieve": "investigator",
    "reads_search_create": "hotlists",
    "reads_stakeout_create": "hotlists",
    "reads_analyses_create": "hotlists",
    "reads_analyses_retrieve": "hotlists",
    **{name: "investigator" for name in ENTITLED if name.startswith("hotlists_")},
    # A person's session does not open the camera API.
    **{name: "operator" for name in ENTITLED if name.startswith("camera_")},
}
DENIED = {401, 403, 404}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded for CI, and the same cases on every run.
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)  # fmt: skip


def openapi_document() -> dict:
    """The document /api/v1/schema/ serves, generated in-process."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


DOCUMENT = openapi_document()
# Valid and invalid requests: the coverage phase's boundary values and malformed bodies, then
# drawn ones.
schema = schemathesis.openapi.from_dict(DOCUMENT)
# Someone without the right is refused whatever the body says: drawn requests only.
schema_drawn = schemathesis.openapi.from_dict(
    DOCUMENT, config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
)


@pytest.fixture
def world(personas, offence_categories):
    """A few realistic objects, so that operations on an id also reach a real one."""
    camera = CameraFactory()
    _, token = camera_credential_issue(camera=camera, label="fuzz", acting_user=None)
    hotlist = HotlistFactory(owner=personas["hotlists"])
    entry = HotlistEntryFactory(hotlist=hotlist)
    HotlistEntryFactory(hotlist=hotlist, vrm="XY51ABC")
    now = timezone.now()
    ingest(camera, [plain_read("AB12CDE", captured_at=now - timedelta(hours=hours),
                               capture_id=str(hours)) for hours in (2, 30, 50)])  # fmt: skip
    category = OffenceCategory.objects.filter(is_active=True).first()
    purpose = search_purpose_create(
        user=personas["investigator"], category=category, case_reference="NT/12345/26",
        justification="Vehicle seen leaving the robbery scene.",
    )  # fmt: skip
    analysis = analysis_start(user=personas["investigator"], purpose=purpose, kind="clones",
                              captured_from=now - timedelta(days=3), captured_to=None,
                              address=None)  # fmt: skip
    return {
        "token": token,
        "turn": itertools.count(),
        # Path parameters of real objects the entitled persona may reach.
        "paths": {
            "/api/v1/sites/{id}/": {"id": camera.site_id},
            "/api/v1/hotlists/{id}/": {"id": hotlist.pk},
            "/api/v1/hotlists/{hotlist_pk}/entries/": {"hotlist_pk": hotlist.pk},
            "/api/v1/hotlists/{hotlist_pk}/entries/{id}/": {
                "hotlist_pk": hotlist.pk,
                "id": entry.pk,
            },
            "/api/v1/reads/analyses/{id}/": {"id": analysis.pk},
        },
        # Body fields with values that pass validation, so saves and searches get past it.
        "body": {
            "vrm": "AB12CDE",
            "category": category.name,
            "case_reference": "NT/12345/26",
            "site": camera.site_id,
            "camera": camera.pk,
            "captured_from": (now - timedelta(days=3)).isoformat(),
            "start": (now - timedelta(days=3)).isoformat(),  # of a stakeout's place
            "end": now.isoformat(),
            "capture_id": "fuzz-1",  # of a camera's read
            "captured_at": (now - timedelta(minutes=1)).isoformat(),
        },
    }


@pytest.fixture
def sign_in(client_for):
    """The cookies a signed-in persona's browser sends to the API (session and CSRF token)."""

    signed_in = {}

    def cookies_of(name):
        if name not in signed_in:
            # Take the session away from the test client, so that the next sign-in starts a
            # session of its own rather than replacing this one.
            session = client_for(name).cookies.pop(django_settings.SESSION_COOKIE_NAME).value
            csrf = secrets.token_hex(16)  # double submit: the cookie and the header agree
            cookies = {
                django_settings.SESSION_COOKIE_NAME: session,
                django_settings.CSRF_COOKIE_NAME: csrf,
            }
            signed_in[name] = cookies, {"X-CSRFToken": csrf}
        return signed_in[name]

    return cookies_of


def credentials(identity, world, sign_in):
    if identity is None:
        return {}, {}
    if identity == CAMERA:
        return {}, {"Authorization": f"{SCHEME} {world['token']}"}
    return sign_in(identity)


def with_known_values(case, world):
    """The same request aimed at real objects, with valid references in its body."""
    known = case.derive()
    if case.operation.path in world["paths"]:
        known.path_parameters = {**case.path_parameters, **world["paths"][case.operation.path]}
    if isinstance(case.body, dict | list):
        known.body = valid_fields(case.body, world["body"])
    return known


def valid_fields(value, valid):
    """`value` with the fields named in `valid` set to those values, at any depth."""
    if isinstance(value, dict):
        return {k: valid[k] if k in valid else valid_fields(v, valid) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_fields(item, valid) for item in value]
    return value


def send(case, identity, world, sign_in):
    cookies, headers = credentials(identity, world, sign_in)
    return case.call_and_validate(app=application, cookies=cookies, headers=headers,
                                  checks=CHECKS)  # fmt: skip


def let_in(response) -> bool:
    """Past the gate: signed in, CSRF token accepted, permitted. (A 403 of the operation's own,
    such as a search outside the window, says why in its own words.)"""
    if response.status_code != 403:
        return response.status_code != 401
    detail = response.json()["detail"]
    return detail != PermissionDenied.default_detail and not detail.startswith("CSRF Failed")


def refused(response) -> bool:
    """Refused before any work: not signed in, not permitted, not found. Or a body that cannot be
    read at all (415, or 400 with only a `detail`): DRF reads the body while it checks the CSRF
    token, before the permission gate. A 400 naming fields would mean the gate let it through."""
    if response.status_code in DENIED or response.status_code == 415:
        return True
    return response.status_code == 400 and set(response.json()) == {"detail"}


def operation_id(case) -> str:
    return case.operation.definition.raw["operationId"]


def test_every_operation_is_fuzzed_as_someone_entitled_and_someone_not():
    operations = {
        result.ok().definition.raw["operationId"] for result in schema.get_all_operations()
    }
    assert operations == set(ENTITLED) == set(UNENTITLED)


@schema.parametrize()
@settings(FUZZ, max_examples=25)
def test_operation_as_entitled_persona(case, world, sign_in):
    # Every other request aims at real objects, so that reads, updates and searches get past
    # the lookup and the references, to the code behind them.
    if next(world["turn"]) % 2:
        case = with_known_values(case, world)
    response = send(case, ENTITLED[operation_id(case)], world, sign_in)
    # Some requests leave the credential out on purpose; the others must get past the gate.
    if "Authorization" not in get_exclude_headers(case):
        assert let_in(response), response.text


@schema_drawn.parametrize()
@settings(FUZZ, max_examples=10)
def test_operation_as_unentitled_persona(case, world, sign_in):
    # At real objects: what exists must be refused too.
    response = send(with_known_values(case, world), UNENTITLED[operation_id(case)], world, sign_in)
    assert refused(response), response.text
