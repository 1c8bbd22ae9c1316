"""Load test: the pages and the API under a stated number of concurrent users, each signed in
through the real two-step sign-in; requests, error rate and latency per endpoint.

    python bench/load.py [--seconds 60] [--users 20] [--reads 300000] [--json PATH]

Production shape: gunicorn serves the pages and the API (as docker-compose runs it) and a Celery
ingest worker stores and matches what the cameras send. The read store is built as
bench/search.py builds it (`--reads` reads over the last `--days` days at 130 cameras on 65
sites), with a hotlist of 5,000 entries, 300 alerts on it, and one account per virtual person
with an authenticator (TOTP) device of its own. Each person signs in with the password and then a
code computed from its own device's key, tries each of its actions once (not counted), and then,
for `--seconds`, sends its next request as soon as the last is answered (or `--think` seconds
later), picked from its role's mix:

- operators: the alert console, its feed (as the console's htmx refresh), /api/v1/me/;
- investigators: the search page, partial-plate searches over 30 days and full-plate searches
  with the vehicle's history over 90 days (search page POSTs naming a purpose), API searches;
- hotlist managers: their lists, a list's page, the hotlists and entries API;
- auditors: the audit page, the sites API;
- cameras (their own credentials): batches of 50 reads to the camera API, paced so that together
  they send `--camera-rate` reads/s (a camera sends what passes it, not as fast as answered).

Of every 10 virtual users, 3 are operators, 3 investigators, 2 cameras, 1 a hotlist manager and 1
an auditor. Without think time the people keep that many requests in flight, so past the
server's capacity their latency is mostly waiting for a free worker. A request fails when its
status is not what the page or operation answers on success (200; 202 for the camera API): a
redirect to the sign-in page counts as a failure; and every search answered must have been
audited. Uses DATABASE_URL / REDIS_URL, or the embedded servers, with its own database, dropped
at the end.
"""

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search  # the search benchmark's store, shared
from alert_latency import percentiles
from faults import free_port
from ingest import BATCH, ROOT, bench_run, unique_plates, wait_for

ROTATION = ("Operator", "Investigator", "Camera", "Hotlist manager", "Auditor",
            "Operator", "Investigator", "Camera", "Operator", "Investigator")  # fmt: skip
HOTLIST_ENTRIES, ALERTS, HIT_SHARE = 5_000, 300, 0.01
CASE, WHY = "LOAD/1/26", "Measuring how the back office answers under load."
FORM_TIME = "%Y-%m-%dT%H:%M"  # the search form's datetime-local fields
SEARCHES = ("/search/", "/api/v1/reads/search/")  # each answered search is audited once


# --- Data and accounts -------------------------------------------------------------------------


def seed(args, rng: random.Random) -> dict:
    """The store, sites and cameras (as bench/search.py builds them), a hotlist with alerts,
    and what the virtual users need to know about it."""
    from django.db import connection
    from django.utils import timezone

    from access.models import OffenceCategory
    from access.policy import standard_start

    search.PLATES = max(10_000, args.reads // 3)  # fewer distinct vehicles in a smaller store
    search.seed_places()
    search.build(args.reads / 1e6, args.days)
    with connection.cursor() as cursor:
        # Plates that were read, as often as they were read: investigators ask about those.
        cursor.execute("SELECT vrm FROM reads_read TABLESAMPLE SYSTEM (10) LIMIT 20000")
        seen = [row[0] for row in cursor.fetchall()]
    hotlist, now = hotlist_seed(rng), timezone.localtime()
    return {
        "seen": seen, "hotlist": hotlist,
        "hotlisted": list(hotlist.entries.values_list("vrm", flat=True)),
        "category": OffenceCategory.objects.get(name="Robbery"),
        "ninety_days": standard_start(now).strftime(FORM_TIME),
        "thirty_days": (now - timedelta(days=30)).strftime(FORM_TIME),
    }  # fmt: skip


def hotlist_seed(rng: random.Random):
    """A list every operator receives and every hotlist manager keeps, with alerts on it."""
    from django.contrib.auth.models import Group, User
    from guardian.shortcuts import assign_perm

    from access.roles import Role
    from cameras.models import Camera
    from hotlist.matching import bump_version
    from hotlist.models import Hotlist, HotlistEntry
    from tests.factories import AlertFactory, entitle

    owner = User.objects.create(username="load-owner")
    hotlist = Hotlist.objects.create(name="Load list", owner=owner, fuzzy_tolerance=0)
    valid_from = datetime.now(UTC) - timedelta(days=30)
    entries = HotlistEntry.objects.bulk_create(
        HotlistEntry(hotlist=hotlist, vrm=vrm, reason="stolen", valid_from=valid_from)
        for vrm in unique_plates(HOTLIST_ENTRIES, rng)
    )
    bump_version()
    entitle(Group.objects.get(name=Role.OPERATOR.value), hotlist)
    assign_perm("hotlist.manage_hotlist", Group.objects.get(name=Role.HOTLIST_MANAGER.value),
                hotlist)  # fmt: skip
    cameras = list(Camera.objects.all())
    for n in range(ALERTS):
        AlertFactory(entry=rng.choice(entries), camera=rng.choice(cameras),
                     captured_at=datetime.now(UTC) - timedelta(minutes=n))  # fmt: skip
    return hotlist


def accounts(roles: list[str]) -> list[str | bytes]:
    """One account per person (with its own TOTP device: a code is good once per device) and
    one credential per camera; returns each person's device key or each camera's token."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from access.roles import Role
    from access.services import user_roles_set
    from cameras.models import Camera
    from cameras.services import camera_credential_issue
    from tests.factories import UserFactory

    cameras = iter(Camera.objects.order_by("pk"))
    secrets: list[str | bytes] = []
    for n, role in enumerate(roles):
        if role == "Camera":
            secrets.append(camera_credential_issue(camera=next(cameras), acting_user=None)[1])
            continue
        user = UserFactory(username=f"load-{n}")
        user_roles_set(user=user, roles=[Role(role)], acting_user=None)
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        secrets.append(device.bin_key)
    return secrets


# --- Virtual users -----------------------------------------------------------------------------


class Person:
    """One virtual user's HTTP session (cookies, CSRF token) on the server."""

    def __init__(self, base: str, headers: dict | None = None):
        self.base, self.http = base, requests.Session()
        self.http.headers.update(headers or {})

    def request(self, method: str, path: str, follow=False, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if method == "POST" and "csrftoken" in self.http.cookies:
            headers["X-CSRFToken"] = self.http.cookies["csrftoken"]
        return self.http.request(method, self.base + path, headers=headers, timeout=120,
                                 allow_redirects=follow, **kwargs)  # fmt: skip

    def sign_in(self, username: str, device_key: bytes) -> None:
        """The two steps: the password, then the code the person's app shows now."""
        from django_otp.oath import totp

        from tests.factories import PASSWORD

        self.request("GET", "/login/")
        self.request("POST", "/login/", follow=True,
                     data={"username": username, "password": PASSWORD})  # fmt: skip
        self.request("POST", "/access/verify/", data={"token": f"{totp(device_key):06d}"})
        if self.request("GET", "/api/v1/me/").status_code != 200:
            raise RuntimeError(f"{username} could not sign in")


def actions(role: str, world: dict, rng: random.Random) -> list[tuple[str, int, dict]]:
    """The role's mix: (endpoint, weight, request) with the request's method, path and body."""
    hotlist = world["hotlist"].pk
    vrm = rng.choice(world["seen"])
    start = rng.randrange(0, len(vrm) - 3)
    partial = ("*" if start else "") + vrm[start : start + 4] + "*"
    purpose = {"category": world["category"].pk, "case_reference": CASE, "justification": WHY}
    mixes = {
        "Operator": [
            ("alert console", 1, {"path": "/alerts/"}),
            ("alert feed", 4, {"path": "/alerts/feed/", "headers": {"HX-Request": "true"}}),
            ("API me", 1, {"path": "/api/v1/me/"}),
        ],
        "Investigator": [
            ("search page", 1, {"path": "/search/"}),
            ("plate search (partial, 30 days)", 2, {"method": "POST", "path": "/search/",
             "data": {**purpose, "plate": partial, "captured_from": world["thirty_days"]}}),
            ("vehicle history (90 days)", 2, {"method": "POST", "path": "/search/",
             "data": {**purpose, "plate": vrm, "captured_from": world["ninety_days"]}}),
            ("API search", 1, {"method": "POST", "path": "/api/v1/reads/search/", "json": {
                **purpose, "category": world["category"].name, "plate": vrm,
                "captured_from": (datetime.now(UTC) - timedelta(days=30)).isoformat()}}),
        ],
        "Hotlist manager": [
            ("hotlists", 1, {"path": "/hotlists/"}),
            ("hotlist", 1, {"path": f"/hotlists/{hotlist}/"}),
            ("API hotlists", 1, {"path": "/api/v1/hotlists/"}),
            ("API hotlist entries", 1, {"path": f"/api/v1/hotlists/{hotlist}/entries/"}),
        ],
        "Auditor": [
            ("audit", 2, {"path": "/access/audit/"}),
            ("API sites", 1, {"path": "/api/v1/sites/"}),
        ],
    }  # fmt: skip
    return mixes[role]


def read_batch(camera: int, sent: int, world: dict, rng: random.Random) -> dict:
    """A camera's next batch: vehicles already seen, a share of them hotlisted."""
    reads = []
    for n in range(sent, sent + BATCH):
        hit = rng.random() < HIT_SHARE
        vrm = rng.choice(world["hotlisted"] if hit else world["seen"])
        reads.append({"capture_id": f"load-{camera}-{n}", "vrm": vrm, "confidence": 0.9,
                      "captured_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                      "direction": "towards", "lane": 1})  # fmt: skip
    return {"path": "/api/v1/cameras/reads/", "method": "POST", "json": {"reads": reads}}


class VirtualUser(threading.Thread):
    """Signs in, tries each action once, waits for the others, then works for --seconds;
    `results` collects (endpoint, seconds, succeeded) and the first failures."""

    def __init__(self, n: int, role: str, secret, world: dict, args, ready: threading.Barrier):
        super().__init__(daemon=True)
        self.n, self.role, self.secret, self.world, self.args = n, role, secret, world, args
        self.ready, self.rng = ready, random.Random(n)
        self.results: list[tuple[str, float, bool]] = []
        self.failures: list[str] = []
        self.searches = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # reported by the main thread
            self.error = error
            self.ready.abort()

    def work(self) -> None:
        base = f"http://127.0.0.1:{self.args.port}"
        if self.role == "Camera":
            person = Person(base, {"Authorization": f"Camera {self.secret}"})
            upcoming = self.camera_requests()
            self.call(person, *next(upcoming), record=False)
        else:
            person = Person(base)
            person.sign_in(f"load-{self.n}", self.secret)
            for name, _, request in actions(self.role, self.world, self.rng):
                self.call(person, name, request, 200, record=False)  # warm up, uncounted
            upcoming = self.person_requests()
        self.ready.wait()
        deadline = time.monotonic() + self.args.seconds
        while time.monotonic() < deadline:
            self.call(person, *next(upcoming))
            if self.role != "Camera":
                time.sleep(self.args.think)

    def person_requests(self):
        while True:
            mix = actions(self.role, self.world, self.rng)
            name, _, request = self.rng.choices(mix, weights=[m[1] for m in mix])[0]
            yield name, request, 200

    def camera_requests(self):
        """Batches at this camera's share of --camera-rate, sent when due."""
        cameras = self.args.users_by_role["Camera"]
        interval, due, sent = cameras * BATCH / self.args.camera_rate, time.monotonic(), 0
        while True:
            time.sleep(max(0.0, due - time.monotonic()))
            due = max(due + interval, time.monotonic() - interval)  # no bursts after a stall
            yield "camera reads (50 a batch)", read_batch(self.n, sent, self.world, self.rng), 202
            sent += BATCH

    def call(self, person: Person, name: str, request: dict, expected: int, record=True) -> None:
        request = dict(request)
        method, path = request.pop("method", "GET"), request.pop("path")
        started = time.perf_counter()
        try:
            status = person.request(method, path, **request).status_code
        except requests.RequestException as error:
            status = type(error).__name__
        elapsed = time.perf_counter() - started
        if method == "POST" and path in SEARCHES and status == expected:
            self.searches += 1
        if status != expected and len(self.failures) < 5:
            self.failures.append(f"{self.role} {method} {path}: {status}")
        if record:
            self.results.append((name, elapsed, status == expected))


# --- Running and reporting ---------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the users work")
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users")
    parser.add_argument("--reads", type=int, default=300_000, help="reads in the store")
    parser.add_argument("--days", type=int, default=7, help="days of reads, up to today")
    parser.add_argument("--think", type=float, default=0, help="a person's pause, seconds")
    parser.add_argument("--camera-rate", type=float, default=500, help="reads/s, all cameras")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=0, help="web port (default: a free one)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    args.port = args.port or free_port()

    with bench_run() as processes:
        return run(args, processes)


def run(args, processes: list) -> int:
    roles = [ROTATION[n % len(ROTATION)] for n in range(args.users)]
    args.users_by_role = Counter(roles)
    print(f"Seeding {args.reads:,} reads over {args.days} days, a hotlist, "
          f"{args.users} accounts ...", flush=True)  # fmt: skip
    rng = random.Random(42)
    world = seed(args, rng)
    secrets = accounts(roles)

    # Plain HTTP on the loopback: in production TLS ends at the proxy, which these cookies need.
    env = {**os.environ, "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"}
    Path(env["STATIC_ROOT"]).mkdir(parents=True, exist_ok=True)  # pages only link to it
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "anpr_site.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.web_workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    ))  # fmt: skip
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "anpr_site", "worker", "-Q", "ingest",
         "--concurrency", "1", "--loglevel", "WARNING", "-n", f"load-{os.getpid()}@%h"],
        cwd=ROOT, env=env,
    ))  # fmt: skip
    wait_for(f"http://127.0.0.1:{args.port}/healthz")
    from django.db import connections

    connections.close_all()  # the threads below use HTTP only

    print(f"Signing in {args.users} users, then {args.seconds:.0f} s of load ...", flush=True)
    ready = threading.Barrier(args.users + 1, timeout=600)
    users = [VirtualUser(n, role, secrets[n], world, args, ready) for n, role in enumerate(roles)]
    for user in users:
        user.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()  # broken when a user failed to sign in or warm up: reported below
    started = time.monotonic()
    for user in users:
        user.join()
    elapsed = time.monotonic() - started
    for user in users:
        if user.error and not isinstance(user.error, threading.BrokenBarrierError):
            raise RuntimeError(f"virtual user {user.n} ({user.role}) failed") from user.error

    figures = report(args, users, elapsed)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["overall"]["errors"] == 0 and figures["searches_unaudited"] == 0 else 1


def summary(results: list[tuple[str, float, bool]]) -> dict:
    errors = sum(not ok for _, _, ok in results)
    times = percentiles([seconds for _, seconds, _ in results])
    return {"requests": len(results), "errors": errors,
            "error_rate": round(errors / max(len(results), 1), 4), **times}  # fmt: skip


def report(args, users: list[VirtualUser], elapsed: float) -> dict:
    from access.models import AuditRecord

    by_endpoint, role_of = defaultdict(list), {}
    for user in users:
        for result in user.results:
            by_endpoint[result[0]].append(result)
            role_of[result[0]] = user.role
    everything = [result for user in users for result in user.results]
    overall = {**summary(everything), "requests_per_s": round(len(everything) / elapsed, 1)}
    endpoints = {name: summary(results) for name, results in by_endpoint.items()}
    batches = endpoints.get("camera reads (50 a batch)", {}).get("requests", 0)
    # A search page answers 200 to a form it refuses too: a search that ran left an audit row.
    searches = sum(user.searches for user in users)
    audited = AuditRecord.objects.filter(action=AuditRecord.Action.SEARCH,
                                         outcome=AuditRecord.Outcome.OK).count()  # fmt: skip
    mix = ", ".join(f"{count} {role.lower()}" for role, count in args.users_by_role.items())

    print(f"\nLoad test ({os.cpu_count()} cores): {args.users} concurrent users ({mix}), "
          f"think {args.think:g} s, {elapsed:.0f} s, {args.reads:,} reads over {args.days} days, "
          f"{args.web_workers} gunicorn workers")  # fmt: skip
    print(f"{'endpoint':<34}{'role':<17}{'requests':>9}{'errors':>8}{'median ms':>11}"
          f"{'p95 ms':>9}{'p99 ms':>9}")  # fmt: skip
    rows = sorted(endpoints.items(), key=lambda item: (ROTATION.index(role_of[item[0]]), item[0]))
    for name, row in [*rows, ("overall", overall)]:
        print(f"{name:<34}{role_of.get(name, ''):<17}{row['requests']:>9}{row['errors']:>8}"
              f"{row['p50_ms']:>11}{row['p95_ms']:>9}{row['p99_ms']:>9}")  # fmt: skip
    print(f"throughput {overall['requests_per_s']} requests/s; camera reads "
          f"{batches * BATCH / elapsed:.0f}/s (paced at {args.camera_rate:.0f}/s); "
          f"searches answered {searches}, audited {audited}")  # fmt: skip
    for failure in [failure for user in users for failure in user.failures][:10]:
        print(f"  failed: {failure}")
    return {
        "concurrency": args.users, "users": dict(args.users_by_role),
        "seconds": round(elapsed, 1), "reads": args.reads, "days": args.days,
        "think_s": args.think, "web_workers": args.web_workers, "cores": os.cpu_count(),
        "camera_reads_per_s": round(batches * BATCH / elapsed),
        "camera_rate": args.camera_rate, "searches_unaudited": max(0, searches - audited),
        "endpoints": endpoints, "overall": overall,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
