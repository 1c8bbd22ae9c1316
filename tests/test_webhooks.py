"""Outbound webhooks (R-ALERT-5): alerts on a list with a webhook are sent as signed JSON by a
real Celery worker, retried with back-off, and failures are shown."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotlist.models import WebhookDelivery
from hotlist.services import WebhookFailed, webhook_signature
from tests.factories import CameraFactory, HotlistEntryFactory, HotlistFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("read_store")]  # fmt: skip


class Receiver(ThreadingHTTPServer):
    """A dispatch system's endpoint: answers `failures` requests with 503, then 200."""

    def __init__(self, failures: int = 0):
        self.failures, self.requests = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((time.monotonic(), dict(self.headers), body))
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(503 if failing else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/anpr-alerts"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


@pytest.fixture
def worker(workers):
    # Retries back off from 1 s (1, 2, ...) instead of 10 s, so the test sees them all.
    return workers.start(
        WEBHOOK_RETRY_BASE_SECONDS="1", WEBHOOK_MAX_ATTEMPTS="3", WEBHOOK_ALLOWED_HOSTS="127.0.0.1"
    )  # the receivers here: approved


def raise_alert(receiver_url: str, vrm: str = "WH01OOK"):
    hotlist = HotlistFactory(webhook_url=receiver_url)
    HotlistEntryFactory(hotlist=hotlist, vrm=vrm, warning_markers=["firearms"], make="Ford")
    camera = CameraFactory()
    batch = [plain_read(vrm)]
    ingest(camera, batch)
    return hotlist, camera, batch


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_alert_is_sent_once_as_json_the_receiver_can_verify(worker):
    receiver = Receiver()
    try:
        hotlist, camera, batch = raise_alert(receiver.url)
        ingest(camera, batch)  # delivered twice to ingest: still one alert, one delivery
        wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists())
        time.sleep(1)
        assert len(receiver.requests) == 1
        _, headers, body = receiver.requests[0]
    finally:
        receiver.close()
    expected = hmac.new(hotlist.webhook_secret.encode(),
                        headers["X-Anpr-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["X-Anpr-Signature"] == f"sha256={expected}"
    assert abs(int(headers["X-Anpr-Timestamp"]) - time.time()) < 60
    payload = json.loads(body)
    assert payload["vrm"] == "WH01OOK" and payload["camera"] == camera.reference
    assert payload["warning_markers"] == ["Firearms"] and payload["vehicle"]["make"] == "Ford"
    assert "plate_image" not in payload
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.response_status) == (1, 200)
    assert headers["X-Anpr-Delivery"] == str(delivery.pk)


def test_a_failing_receiver_is_retried_with_back_off_until_it_takes_the_alert(worker):
    receiver = Receiver(failures=2)
    try:
        raise_alert(receiver.url)
        wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists())
        times = [at for at, _, _ in receiver.requests]
    finally:
        receiver.close()
    assert len(times) == 3
    assert times[1] - times[0] >= 0.9 and times[2] - times[1] >= 1.9  # 1 s, then 2 s
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (3, "")


def test_a_receiver_that_keeps_failing_is_marked_failed_where_people_look(
    worker, client_for, personas
):
    receiver = Receiver(failures=99)
    try:
        hotlist, _, _ = raise_alert(receiver.url, vrm="FA11LED")
        wait_for(lambda: WebhookDelivery.objects.filter(status="failed").exists())
    finally:
        receiver.close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3
    assert delivery.last_error == "The receiver answered HTTP 503 Service Unavailable"
    hotlist.owner = personas["hotlists"]  # the list's owner looks
    hotlist.save()
    manager = client_for("hotlists")
    listing = manager.get("/hotlists/deliveries/?status=failed").content.decode()
    assert "FA11LED" in listing and "HTTP 503" in listing
    hotlists = manager.get("/hotlists/").content.decode()
    assert hotlist.name in hotlists and "Webhook deliveries" in hotlists


def test_alerts_go_only_to_destinations_the_force_has_approved(settings, client_for, personas):
    settings.WEBHOOK_ALLOWED_HOSTS = [".dispatch.example.police.uk"]
    hotlist = HotlistFactory(owner=personas["hotlists"],
                             webhook_url="https://a.dispatch.example.police.uk/alerts")  # fmt: skip
    manager = client_for("hotlists")
    form = {"name": hotlist.name, "source": "local", "default_priority": 3,
            "protective_marking": "official", "fuzzy_tolerance": 0, "is_active": "on"}  # fmt: skip
    for url in ("https://169.254.169.254/latest/meta-data/", "https://localhost:6379/",
                "https://dispatch.example.police.uk.evil.example/"):  # fmt: skip
        page = manager.post(f"/hotlists/{hotlist.pk}/edit/", {**form, "webhook_url": url})
        assert "not a destination the force has approved" in page.content.decode(), url
    # The owner alone sees the signing key, to give to the receiver; a new address, a new key.
    key = hotlist.webhook_secret
    assert key in manager.get(f"/hotlists/{hotlist.pk}/edit/").content.decode()
    moved = "https://b.dispatch.example.police.uk/alerts"
    manager.post(f"/hotlists/{hotlist.pk}/edit/", {**form, "webhook_url": moved})
    hotlist.refresh_from_db()
    assert hotlist.webhook_url == moved and len(hotlist.webhook_secret) == 64
    assert hotlist.webhook_secret != key


def _no_longer_approved(hotlist, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []


def _webhook_removed(hotlist, settings):
    from hotlist.services import hotlist_update

    # Its owner removes it: neither the old receiver nor a signature with no key may follow.
    hotlist_update(hotlist=hotlist, by=hotlist.owner, webhook_url="")


@pytest.mark.parametrize(
    ("change", "why"),
    [(_no_longer_approved, "Not sent: the destination is no longer approved for alerts."),
     (_webhook_removed, "Not sent: the list's webhook address has changed since it was queued.")],
    ids=["destination-no-longer-approved", "webhook-removed"],
)  # fmt: skip
def test_a_queued_delivery_whose_destination_no_longer_stands_is_sent_nothing(
    settings, change, why
):
    from hotlist.services import webhook_deliver

    receiver = Receiver()
    try:
        hotlist, _, _ = raise_alert(receiver.url)  # set while approved; no worker sends it here
        change(hotlist, settings)
        delivery = WebhookDelivery.objects.get()
        webhook_deliver(delivery_id=delivery.pk)  # failed at once: no tries left to retry
    finally:
        receiver.close()
    delivery.refresh_from_db()
    assert receiver.requests == [] and delivery.status == "failed"
    assert delivery.last_error == why


def test_a_delivery_queued_again_goes_on_from_its_tries_rather_than_starting_afresh(settings):
    """A worker died holding a delivery after two of its three tries: queued again by the
    resend sweep, it gets the one try left, then is marked failed (not three more)."""
    from hotlist.services import webhook_deliver

    settings.WEBHOOK_MAX_ATTEMPTS, settings.WEBHOOK_ALLOWED_HOSTS = 3, ["127.0.0.1"]
    receiver = Receiver(failures=99)
    try:
        raise_alert(receiver.url)  # no worker here: the test makes each try itself
        delivery = WebhookDelivery.objects.get()
        with pytest.raises(WebhookFailed) as failed:
            webhook_deliver(delivery_id=delivery.pk)
        assert failed.value.attempts == 1
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=2)
        webhook_deliver(delivery_id=delivery.pk)  # the last try: failed, nothing to retry
        webhook_deliver(delivery_id=delivery.pk)  # queued once more: not sent again
    finally:
        receiver.close()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_lists_without_a_webhook_send_nothing(worker):
    hotlist = HotlistFactory()
    HotlistEntryFactory(hotlist=hotlist, vrm="NO01HOK")
    ingest(CameraFactory(), [plain_read("NO01HOK")])
    assert hotlist.alerts.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_signature_covers_the_timestamp_and_the_body():
    signature = webhook_signature("secret", "1700000000", b'{"a":1}')
    assert signature == "sha256=" + hmac.new(b"secret", b'1700000000.{"a":1}',
                                             hashlib.sha256).hexdigest()  # fmt: skip
    assert webhook_signature("secret", "1700000001", b'{"a":1}') != signature


def test_a_redirect_is_not_a_delivery(worker):
    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        raise_alert(f"http://127.0.0.1:{server.server_address[1]}/hook")
        wait_for(lambda: WebhookDelivery.objects.filter(status="failed").exists())
    finally:
        server.shutdown()
        server.server_close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status == 302 and "HTTP 302" in delivery.last_error


def test_deliveries_are_listed_only_for_lists_the_user_owns_or_receives(client_for, personas):
    from tests.factories import AlertFactory

    mine = HotlistFactory(owner=personas["hotlists"])
    theirs = HotlistFactory()
    for hotlist, vrm in ((mine, "MINE1"), (theirs, "THEIRS1")):
        alert = AlertFactory(entry=HotlistEntryFactory(hotlist=hotlist, vrm=vrm))
        WebhookDelivery.objects.create(alert=alert, url="https://dispatch.example/hook?token=s3")
    page = client_for("hotlists").get("/hotlists/deliveries/").content.decode()
    assert "MINE1" in page and "THEIRS1" not in page
    assert "dispatch.example" in page and "token=s3" not in page  # the host, not the secret path
