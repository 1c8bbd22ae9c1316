"""Fault drills under load (bench/faults.py, smaller): an ingest worker killed mid-batch, Redis
restarted, PostgreSQL restarted mid-batch and between batches, while cameras post. The drills
start PostgreSQL and Redis of their own (embedded, in a temporary folder), so they can stop them;
the suite's servers are untouched."""

import json
import os
import signal
import subprocess

import pytest

from tests.conftest import ROOT, python

pytestmark = pytest.mark.slow

# Each drill, and when its fault strikes.
DRILLS = {"worker_kill": "mid-batch", "redis_restart": "mid-batch",
          "postgres_restart": "mid-batch", "postgres_restart_idle": "between batches"}  # fmt: skip


def run_drills(tmp_path) -> tuple[dict, str]:
    report = tmp_path / "faults.json"
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}  # fmt: skip
    command = [python(), "bench/faults.py", "--rate", "100", "--lead", "3", "--after", "5",
               "--outage", "2", "--hotlist", "2000", "--visibility-timeout", "10",
               "--recovery-timeout", "60", "--drain-timeout", "60",
               "--logs", str(tmp_path / "logs"), "--json", str(report)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        output, _ = process.communicate(timeout=540)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # it stops the servers and processes it started
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"the drills did not finish:\n{output[-6000:]}")
    assert process.returncode == 0, output[-6000:]
    return json.loads(report.read_text()), output


def test_faults_under_load_lose_no_read_duplicate_none_miss_no_alert_and_recover_unaided(tmp_path):
    drills, output = run_drills(tmp_path)
    for name, when in DRILLS.items():
        drill = drills[name]
        assert drill["fault"].startswith(when), output
        assert drill["accepted"] > 0 and drill["alerts_expected"] > 0, output
        assert drill["stored"] == drill["accepted"], output
        assert (drill["missing"], drill["duplicated"]) == (0, 0), output
        assert drill["alerts_present"] == drill["alerts_expected"], output
        assert (drill["alerts_duplicated"], drill["alerts_unexpected"]) == (0, 0), output
        # Back to normal with no manual step: a fresh read stored with its alert, every process
        # (the killed worker's replacement included) running and answering, healthz green.
        assert drill["recovery_s"] is not None and drill["problems"] == [], output
    # The faults were felt: the killed worker's batch was handed out again; cameras were turned
    # away and sent again; batches cut mid-way, or meeting a connection the restart left stale,
    # were retried.
    assert drills["worker_kill"]["tasks_redelivered"] > 0, output
    assert drills["redis_restart"]["responses"].get("503"), output
    for name in ("postgres_restart", "postgres_restart_idle"):
        assert drills[name]["refused_responses"] > 0, output
        assert drills[name]["tasks_retried"] > 0, output
