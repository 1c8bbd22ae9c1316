"""The read path end to end: camera API -> queue -> real Celery worker -> store -> alert."""

import os
import signal
import time

import pytest
from django.db import connection
from django.db.models import Count

from hotlist.models import Alert
from reads.models import Read
from tests.conftest import test_database_url
from tests.factories import HotlistEntryFactory
from tests.test_camera_api import a_read

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("read_store")]


def submit(api, reads):
    response = api.post("/api/v1/cameras/reads/", {"reads": reads}, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_batch_posted_twice_is_stored_once_and_alerts_once(celery_worker, api, camera):
    reads = Read.objects.filter(camera=camera)  # this test's camera only
    HotlistEntryFactory(vrm="AB12CDE")
    batch = [a_read("c1", "AB12 CDE"), a_read("c2", "KX70 ZZZ")]
    submit(api, batch)
    submit(api, batch)
    wait_until(lambda: reads.count() == 2)
    time.sleep(1)  # give a second copy the chance to appear if it were going to
    assert reads.count() == 2
    alert = Alert.objects.get(camera=camera)
    assert (alert.read_vrm, alert.match_type) == ("AB12CDE", Alert.MatchType.EXACT)


def in_transaction(application_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            " AND xact_start IS NOT NULL AND state <> 'idle'",
            [application_name],
        )
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(workers, api, camera):
    reads = Read.objects.filter(camera=camera)  # this test's camera only
    HotlistEntryFactory(vrm="HIT0001")
    batch_count = 200
    for b in range(batch_count):
        submit(api, [a_read(f"b{b}-r{r}", "HIT0001" if r == 0 else f"KX{b:03d}R{r:02d}")
                     for r in range(50)])  # fmt: skip
    expected = batch_count * 50
    # Unacknowledged tasks of a dead worker go back to the queue after the visibility timeout.
    name = "ingest-worker-to-kill"
    first = workers.start(
        CELERY_VISIBILITY_TIMEOUT="3", DATABASE_URL=f"{test_database_url()}?application_name={name}"
    )
    deadline = time.monotonic() + 60
    while not in_transaction(name):  # kill it inside a batch's transaction
        assert time.monotonic() < deadline and reads.count() < expected, "never mid-batch"
        time.sleep(0.001)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    stored_at_kill = reads.count()
    assert 0 <= stored_at_kill < expected

    workers.start(CELERY_VISIBILITY_TIMEOUT="3", CELERY_RESTORE_THROTTLE="1")
    wait_until(lambda: reads.count() == expected, timeout=120)
    time.sleep(2)
    assert reads.count() == expected
    assert reads.values("id").distinct().count() == expected
    per_read = Alert.objects.filter(camera=camera).values("read_id").annotate(n=Count("id"))
    assert len(per_read) == batch_count  # every batch's hit alerted
    assert all(row["n"] == 1 for row in per_read)
