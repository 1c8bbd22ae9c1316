"""The camera API refuses what it cannot accept, with a reason, and stores nothing of it."""

import base64
import io
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from anpr_site.celery import app
from cameras.models import Camera
from cameras.services import camera_credential_issue, camera_credential_revoke
from tests.factories import CameraFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/cameras/reads/"


def jpeg(width=120, height=30, colour=(250, 200, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def a_read(capture_id="c1", vrm="AB12 CDE", seconds_ago=1, **fields) -> dict:
    captured = timezone.now() - timedelta(seconds=seconds_ago)
    return {"capture_id": capture_id, "vrm": vrm, "captured_at": captured.isoformat(), **fields}


@pytest.fixture
def token(camera):
    return camera_credential_issue(camera=camera, acting_user=None)[1]


@pytest.fixture
def api(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    return client


def post(api, reads, **envelope):
    return api.post(URL, {"reads": reads, **envelope}, format="json")


def test_good_batch_is_accepted_with_read_ids_and_queued(api, camera, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plate = jpeg()
    response = post(api, [a_read("c1", plate_image=b64(plate)), a_read("c2", vrm="x1")])
    assert response.status_code == 202, response.json()
    body = response.json()
    assert [read["capture_id"] for read in body["accepted"]] == ["c1", "c2"]
    assert body["rejected"] == []
    # The plate patch is on disk under the capture day, named by the read id.
    day = timezone.now().astimezone(UTC) - timedelta(seconds=1)
    read_id = body["accepted"][0]["read_id"]
    path = tmp_path / f"reads/{day:%Y/%m/%d}/{camera.reference}/{read_id}-plate.jpg"
    assert path.read_bytes() == plate


def test_a_resubmitted_read_keeps_its_read_id(api):
    read = a_read("same")
    first = post(api, [read]).json()["accepted"][0]["read_id"]
    assert post(api, [read]).json()["accepted"][0]["read_id"] == first
    # A camera that restarted its capture counter: same capture id, another read.
    assert post(api, [a_read("same", seconds_ago=9)]).json()["accepted"][0]["read_id"] != first


def test_unknown_or_revoked_credential_is_refused_with_401(camera, token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Camera nosuchkey.secret")
    response = post(client, [a_read()])
    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown or revoked camera credential."

    camera_credential_revoke(credential=camera.credentials.get(), acting_user=None)
    client.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    assert post(client, [a_read()]).status_code == 401
    assert APIClient().post(URL, {"reads": [a_read()]}, format="json").status_code == 401


def test_the_scheme_is_read_whatever_its_case(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"camera {token}")
    assert post(client, [a_read()]).status_code == 202


def test_credential_of_another_camera_is_refused(camera):
    other = CameraFactory()
    _, other_token = camera_credential_issue(camera=other, acting_user=None)
    key_id = camera_credential_issue(camera=camera, acting_user=None)[1].split(".")[0]
    client = APIClient()
    # A real key id with another camera's secret.
    client.credentials(HTTP_AUTHORIZATION=f"Camera {key_id}.{other_token.split('.')[1]}")
    assert post(client, [a_read()]).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": Camera.Status.DISABLED}, "is disabled"),
        ({"site_status": "decommissioned"}, "is decommissioned: it does not collect reads"),
        ({"site_status": "proposed"}, "is proposed: it does not collect reads"),
    ],
)
def test_disabled_camera_or_site_not_collecting_is_refused_with_403_and_counted(
    api, camera, change, message
):
    if "status" in change:
        camera.status = change["status"]
        camera.save()
    else:
        camera.site.status = change["site_status"]
        camera.site.save()
    response = post(api, [a_read("c1"), a_read("c2")])
    assert response.status_code == 403
    assert message in response.json()["detail"]
    camera.refresh_from_db()
    assert camera.reads_refused == 2
    assert camera.reads_stored == 0


def test_batch_over_fifty_is_refused_whole(api, camera):
    response = post(api, [a_read(f"c{n}") for n in range(51)])
    assert response.status_code == 400
    assert "at most 50 reads; this one has 51" in response.json()["detail"]
    camera.refresh_from_db()
    assert camera.reads_stored == 0


@pytest.mark.parametrize(
    ("read", "field", "message"),
    [
        (a_read(seconds_ago=-600), "captured_at", "more than 60 s in the future"),
        (a_read(seconds_ago=400 * 86400), "captured_at", "older than the retention period"),
        (a_read(vrm="AB-12\u00e9"), "vrm", "characters other than letters and digits"),
        (a_read(vrm="AB\x0012"), "vrm", "Null characters are not allowed."),
        (a_read(vrm="   "), "vrm", "The VRM is empty."),
        (a_read(plate_image=b64(b"not an image at all")), "plate_image", "not a decodable"),
        (a_read(plate_image=b64(jpeg()[:-200])), "plate_image", "truncated"),
        (a_read(plate_image="%%%"), "plate_image", "not valid base64"),
        (a_read(lane=3), "lane", "Lane 3 does not exist"),
        (a_read(direction="sideways"), "direction", "not a valid choice"),
        (a_read(confidence=7), "confidence", "Must be between 0 and 1"),
        (a_read(captured_at="yesterday"), "captured_at", "not an ISO 8601 date and time"),
        (a_read(alternatives=[{"vrm": "A?", "score": 0.2}]), "alternatives", "letters and digits"),
        (a_read(colour="red"), "non_field_errors", "Unknown field(s): colour"),
        (a_read(vehicle_make="F" * 51), "vehicle_make", "no more than 50 characters"),
        (a_read(vehicle_colour=3), "vehicle_colour", "Must be text."),
        ("not an object", "non_field_errors", "A read must be a JSON object"),
    ],
)
def test_bad_read_is_refused_naming_the_problem(api, read, field, message):
    response = post(api, [read])
    assert response.status_code == 400
    rejected = response.json()["rejected"]
    assert rejected[0]["index"] == 0
    assert any(message in text for text in rejected[0]["errors"][field]), rejected


def test_only_bad_reads_are_refused_in_a_mixed_batch(api):
    response = post(api, [a_read("good"), a_read("bad", vrm="AB!12")])
    assert response.status_code == 202
    body = response.json()
    assert [read["capture_id"] for read in body["accepted"]] == ["good"]
    assert body["rejected"][0]["capture_id"] == "bad"


def test_decompression_bomb_is_refused(api):
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # tiny file, 400 megapixels
    response = post(api, [a_read(overview_image=b64(bomb.getvalue()))])
    assert response.status_code == 400
    assert "pixels" in response.json()["rejected"][0]["errors"]["overview_image"][0]


def test_mobile_camera_reads_need_a_position(camera, api):
    camera.kind = Camera.Kind.MOBILE
    camera.save()
    assert post(api, [a_read()]).status_code == 400
    assert post(api, [a_read(latitude=52.1, longitude=-0.2)]).status_code == 202


def test_heartbeat_records_that_the_camera_is_alive_and_its_clock_offset(api, camera):
    sent_at = timezone.now() + timedelta(seconds=12)
    response = api.post(
        "/api/v1/cameras/heartbeat/", {"sent_at": sent_at.isoformat()}, format="json"
    )
    assert response.status_code == 200
    camera.refresh_from_db()
    assert camera.last_seen_at is not None
    assert 11_000 <= camera.clock_offset_ms <= 13_000


def test_a_heartbeat_is_small(api):
    response = api.post("/api/v1/cameras/heartbeat/", {"sent_at": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "larger than the limit of 4096 bytes" in response.json()["detail"]


def test_a_mobile_unit_reports_its_track_with_its_heartbeats(api, camera):
    heartbeat = "/api/v1/cameras/heartbeat/"
    refused = api.post(heartbeat, {"latitude": 52.2, "longitude": 0.12}, format="json")
    assert refused.status_code == 400 and "only mobile units" in refused.json()["detail"]
    camera.kind = Camera.Kind.MOBILE
    camera.save()
    assert api.post(heartbeat, {"latitude": 52.2}, format="json").status_code == 400
    assert (
        api.post(heartbeat, {"latitude": 52.2, "longitude": 0.12}, format="json").status_code == 200
    )
    assert list(camera.positions.values_list("latitude", "longitude")) == [(52.2, 0.12)]
    camera.status = Camera.Status.DISABLED  # taken off the road: where it is is not recorded
    camera.save()
    refused = api.post(heartbeat, {"latitude": 52.3, "longitude": 0.13}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"].endswith("is disabled.")
    assert camera.positions.count() == 1


def ingest_queue_length() -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare("ingest").message_count


def test_refused_batches_queue_nothing(api, camera):
    before = ingest_queue_length()
    post(api, [a_read(f"c{n}") for n in range(51)])
    post(api, [a_read(vrm="!!")])
    assert ingest_queue_length() == before
    post(api, [a_read("good")])
    assert ingest_queue_length() == before + 1


def test_people_cannot_use_the_camera_api(client_for):
    response = client_for("admin").post(URL, {"reads": [a_read()]}, content_type="application/json")
    assert response.status_code == 401


def test_the_documented_read_fields_are_the_accepted_ones():
    from cameras.api.serializers import ReadSubmissionSerializer
    from cameras.submission import FIELDS

    assert set(ReadSubmissionSerializer().fields) == set(FIELDS)


def test_images_may_come_as_separate_uploads(api, camera, settings, tmp_path):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    plate = jpeg()
    batch = json.dumps({"reads": [a_read("u1"), a_read("u2")]})
    upload = SimpleUploadedFile("plate.jpg", plate, content_type="image/jpeg")
    bad = SimpleUploadedFile("x.jpg", b"junk", content_type="image/jpeg")
    response = api.post(URL, {"batch": batch, "reads.0.plate_image": upload,
                              "reads.1.overview_image": bad}, format="multipart")  # fmt: skip
    assert response.status_code == 202, response.json()
    body = response.json()
    assert [read["capture_id"] for read in body["accepted"]] == ["u1"]
    assert "not a decodable" in body["rejected"][0]["errors"]["overview_image"][0]
    stored = list(tmp_path.rglob("*-plate.jpg"))
    assert [path.read_bytes() for path in stored] == [plate]


def test_upload_for_a_read_not_in_the_batch_is_refused(api):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("plate.jpg", jpeg(), content_type="image/jpeg")
    response = api.post(URL, {"batch": json.dumps({"reads": [a_read()]}),
                              "reads.5.plate_image": upload}, format="multipart")  # fmt: skip
    assert response.status_code == 400
    assert "Unexpected file 'reads.5.plate_image'" in response.json()["detail"]
    no_batch = api.post(URL, {"reads.0.plate_image": upload}, format="multipart")
    assert 'JSON in a "batch" field' in no_batch.json()["detail"]


def test_an_image_left_incomplete_by_a_crash_is_rewritten_on_resubmission(api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plate = jpeg()
    read = a_read("crash", plate_image=b64(plate))
    read_id = post(api, [read]).json()["accepted"][0]["read_id"]
    (stored,) = tmp_path.rglob(f"{read_id}-plate.jpg")
    stored.write_bytes(plate[:100])  # as if the write had been cut short
    assert post(api, [read]).status_code == 202
    assert stored.read_bytes() == plate


def test_administrator_issues_a_credential_shown_once_and_revokes_it(client_for, camera):
    client = client_for("admin")
    response = client.post(
        "/admin/cameras/camera/", {"action": "issue_credential", "_selected_action": [camera.pk]},
        follow=True,
    )  # fmt: skip
    (message,) = [str(m) for m in response.context["messages"]]
    token = message.split(": ", 1)[1].split()[0]
    assert "messages" not in response.cookies  # held in the session, never in the browser's jar
    credential = camera.credentials.get()
    assert token.startswith(f"{credential.key_id}.") and credential.matches(token.split(".")[1])
    page = client.get(f"/admin/cameras/camera/{camera.pk}/change/").content.decode()
    assert token.split(".")[1] not in page  # never shown again

    client.post("/admin/cameras/cameracredential/",
                {"action": "revoke", "_selected_action": [credential.pk]})  # fmt: skip
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    refused = APIClient()
    refused.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    assert post(refused, [a_read()]).status_code == 401
