"""Alert latency benchmark: from the camera API accepting a hotlisted read to the alert reaching
an operator, while the ingest path carries a steady background load.

    python bench/alert_latency.py [--rate 1000] [--alerts 200] [--no-browser] [--json PATH]

Production shape: gunicorn serves the camera API, uvicorn the live stream and the console,
Celery ingest workers store and match the reads. Background clients post non-hotlisted reads in
batches of 50 at `--rate` reads/s; a probe camera posts one hotlisted read at a time. For each
probe read the clock starts when the API answers 202 (accepted) and stops when

- the alert's event arrives on an operator's Server-Sent Events stream (`sse_*`), and
- the alert's row appears on the operator's console in headless Chromium (`browser_*`).

Prints and writes p50/p95/p99 in milliseconds. Uses DATABASE_URL / REDIS_URL, or the embedded
servers, with its own database, dropped at the end.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (  # the ingest benchmark's set-up, shared
    BATCH,
    ROOT,
    bench_run,
    plate_patch_b64,
    seed,
    wait_for,
    wait_until_stored,
)

OPERATOR = "bench-operator"


def background(args) -> int:
    """One camera posting batches of ordinary reads at a steady pace until `seconds` pass."""
    index, token, port, seconds, batches_per_s = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Camera {token}"}
    patch = plate_patch_b64()
    sent, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * batches_per_s) + 1
        while sent < due:
            reads = [{"capture_id": f"bg{index}-{sent}-{n}", "vrm": f"Q{index}{sent:06d}{n:02d}",
                      "captured_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                      "confidence": 0.9, "plate_image": patch} for n in range(BATCH)]  # fmt: skip
            connection.request("POST", "/api/v1/cameras/reads/", json.dumps({"reads": reads}),
                               headers)  # fmt: skip
            response = connection.getresponse()
            response.read()
            if response.status != 202:
                raise RuntimeError(f"background batch refused: {response.status}")
            sent += 1
        time.sleep(max(0.0, (sent / batches_per_s) - (time.monotonic() - started)))
    return sent * BATCH


def operator_session(hotlist) -> str:
    """A signed-in operator entitled to the list; returns the session key (the cookie)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from guardian.shortcuts import assign_perm

    from access.roles import Role

    user = User.objects.create(username=OPERATOR, first_name="Bench", last_name="Operator")
    user.groups.add(Group.objects.get(name=Role.OPERATOR.value))
    assign_perm("hotlist.receive_alerts", user, hotlist)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(3600)
    session.create()
    return session.session_key


class EventClient(threading.Thread):
    """An operator's event stream, read line by line; records when each alert's event arrives."""

    def __init__(self, port: int, session_key: str):
        super().__init__(daemon=True)
        self.port, self.session_key = port, session_key
        self.arrived: dict[int, float] = {}
        self.open = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=None)
        connection.request("GET", "/alerts/events/", headers={
            "Cookie": f"sessionid={self.session_key}", "Accept": "text/event-stream"})  # fmt: skip
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"the event stream answered {response.status}")
        event = ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
                if event == "stream-open":
                    self.open.set()
            elif line.startswith("data: ") and event == "alert":
                now = time.time()
                for alert in json.loads(line[6:])["alerts"]:
                    self.arrived.setdefault(alert["id"], now)


def probe(port: int, token: str, plates: list[str], count: int, interval: float) -> dict:
    """Post `count` hotlisted reads, one at a time; return read id -> time the API accepted it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Camera {token}"}
    accepted = {}
    for n in range(count):
        read = {"capture_id": f"probe-{n}-{uuid.uuid4().hex[:6]}", "vrm": plates[n % len(plates)],
                "captured_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "confidence": 0.95, "plate_image": plate_patch_b64()}  # fmt: skip
        connection.request("POST", "/api/v1/cameras/reads/", json.dumps({"reads": [read]}),
                           headers)  # fmt: skip
        response = connection.getresponse()
        payload = json.loads(response.read())
        accepted_at = time.time()
        if response.status != 202:
            raise RuntimeError(f"probe refused: {response.status} {payload}")
        accepted[payload["accepted"][0]["read_id"]] = accepted_at
        time.sleep(interval)
    return accepted


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="background reads/s")
    parser.add_argument("--alerts", type=int, default=200, help="hotlisted probe reads")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between probes")
    parser.add_argument("--clients", type=int, default=2, help="background client processes")
    parser.add_argument("--hotlist", type=int, default=100_000, help="hotlist entries")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--ingest-workers", type=int, default=2, help="Celery ingest processes")
    parser.add_argument("--no-browser", action="store_true", help="measure the stream only")
    parser.add_argument("--port", type=int, default=8765, help="API port; the stream's is +1")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    with bench_run() as processes:
        return run(args, processes)


def run(args, processes: list) -> int:
    from django.core.management import call_command

    from hotlist.models import Hotlist

    print(f"Seeding a hotlist of {args.hotlist:,} entries ...", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    tokens, plates = seed(args.hotlist, args.clients + 1, random.Random(42))
    session_key = operator_session(Hotlist.objects.get())
    from anpr_site.celery import app

    app.control.purge()
    api, events = args.port, args.port + 1
    for command in (
        ["gunicorn", "anpr_site.wsgi", "--bind", f"127.0.0.1:{api}", "--workers",
         str(args.web_workers), "--log-level", "warning"],
        ["uvicorn", "anpr_site.asgi:application", "--port", str(events), "--log-level", "warning",
         "--timeout-graceful-shutdown", "2"],
        ["celery", "-A", "anpr_site", "worker", "-Q", "ingest,default", "--concurrency",
         str(args.ingest_workers), "--loglevel", "WARNING", "-n", "bench@%h"],
    ):  # fmt: skip
        processes.append(subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT))
    wait_for(f"http://127.0.0.1:{api}/healthz")
    wait_for(f"http://127.0.0.1:{events}/healthz")
    print(f"Warming up {args.ingest_workers} ingest workers (index load) ...", flush=True)
    warm = probe(api, tokens[-1], ["WARM000"], args.ingest_workers * 2, 0)
    wait_until_stored(len(warm), timeout=600)

    stream = EventClient(events, session_key)
    stream.start()
    if not stream.open.wait(30):
        raise RuntimeError("the event stream did not open")
    # Playwright's sync API runs an event loop in this thread; this process's ORM calls are sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    browser = None if args.no_browser else Console(events, session_key)

    from django.db import connections

    connections.close_all()  # the background clients are forked: they must not share it
    seconds = args.alerts * args.interval + 10
    batches_per_s = args.rate / BATCH / args.clients
    print(f"Background load {args.rate} reads/s from {args.clients} clients; "
          f"{args.alerts} probe alerts every {args.interval} s ...", flush=True)  # fmt: skip
    with multiprocessing.Pool(args.clients) as pool:
        load = pool.map_async(background, [(n, tokens[n], api, seconds, batches_per_s)
                                           for n in range(args.clients)])  # fmt: skip
        time.sleep(3)  # let the load settle
        started = time.monotonic()
        accepted = probe(api, tokens[-1], plates[:10_000], args.alerts, args.interval)
        probing = time.monotonic() - started
        background_reads = sum(load.get())
    time.sleep(3)  # the last alerts' events

    from hotlist.models import Alert

    alert_reads = dict(Alert.objects.values_list("pk", "read_id"))
    sse = [stream.arrived[pk] - accepted[str(read)] for pk, read in alert_reads.items()
           if str(read) in accepted and pk in stream.arrived]  # fmt: skip
    # The headline figures: read accepted -> event on the operator's stream.
    figures = {"alerts": len(accepted), "sse_received": len(sse), **percentiles(sse)}
    if browser:
        shown = browser.shown()
        rendered = [shown[pk] - accepted[str(read)] for pk, read in alert_reads.items()
                    if str(read) in accepted and pk in shown]  # fmt: skip
        figures["browser_rendered"] = len(rendered)
        figures.update({f"browser_{k}": v for k, v in percentiles(rendered).items()})
        browser.close()
    figures["background_reads_per_s"] = round(background_reads / seconds)
    figures["probe_seconds"] = round(probing, 1)
    figures["cores"] = os.cpu_count()

    width = max(len(key) for key in figures)
    print(f"\nAlert latency ({os.cpu_count()} cores): read accepted -> operator")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    complete = figures["sse_received"] == figures["alerts"]
    return 0 if complete and (figures["p99_ms"] or 0) < 1000 else 1


class Console:
    """The operator's console in headless Chromium; notes when each alert's row appears."""

    WATCH = """() => {
        window.shown = {};
        const rows = () => document.querySelectorAll("#alert-feed tr[data-alert-id]");
        const note = () => rows().forEach((row) => {
            window.shown[row.dataset.alertId] ??= performance.timeOrigin + performance.now();
        });
        new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
    }"""

    def __init__(self, port: int, session_key: str):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        self.browser = self.playwright.chromium.launch(executable_path=executable,
                                                       args=["--no-sandbox"])  # fmt: skip
        context = self.browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session_key,
                              "url": f"http://127.0.0.1:{port}"}])  # fmt: skip
        self.page = context.new_page()
        self.page.goto(f"http://127.0.0.1:{port}/alerts/")
        self.page.wait_for_selector("#live-status[data-state=live]")
        self.page.evaluate(self.WATCH)

    def shown(self) -> dict[int, float]:
        # Appearance times in seconds since the epoch, as time.time() counts.
        return {int(pk): at / 1000 for pk, at in self.page.evaluate("window.shown").items()}

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


if __name__ == "__main__":
    sys.exit(main())
