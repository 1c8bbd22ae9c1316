"""Ingest benchmark: sustained reads/s through the real path, with a 1M-entry hotlist.

    python bench/ingest.py [--seconds 30] [--clients 6] [--hotlist 1000000] [--no-images]
                           [--json PATH]

Client processes post batches of 50 reads to the camera API over HTTP (uvicorn + Django); the
API queues them; Celery ingest workers match them against the hotlist and COPY them into the
partitioned read store, raising alerts. The clock runs from the first post until the last
accepted read is stored. Then it counts what was stored (lost and duplicated must be 0) and the
alerts (every hotlisted read must have one), and, as the physical reference, measures raw COPY
into the same partitioned table. Uses DATABASE_URL / REDIS_URL, or the embedded servers, with
its own database (anpr_bench_<pid>), dropped at the end.
"""

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.embedded import Embedded  # noqa: E402

BENCH_DB = f"anpr_bench_{os.getpid()}"  # its own database: two runs never collide
BATCH = 50


def bench_database_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def psql_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def recreate_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(psql_url(url))._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def drop_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(psql_url(url))._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def unique_plates(count: int, rng: random.Random) -> list[str]:
    letters = "ABCDEFGHJKLMNPRSTUVWXY"
    plates: set[str] = set()
    while len(plates) < count:
        plates.add(
            "".join(rng.choice(letters) for _ in range(2))
            + f"{rng.randint(0, 99):02d}"
            + "".join(rng.choice(letters) for _ in range(3))
        )
    return list(plates)


def seed(hotlist_size: int, clients: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """A live site, one camera (and token) per client, and a hotlist of `hotlist_size`."""
    from django.contrib.auth.models import User
    from django.db import connection

    from cameras.models import Camera
    from cameras.services import camera_credential_issue
    from deployments.models import Site
    from hotlist.matching import bump_version
    from hotlist.models import Hotlist

    site = Site.objects.create(reference="B-1", name="Bench", area="Bench", status="live")
    tokens = []
    for n in range(clients):
        camera = Camera.objects.create(reference=f"B-{n}", name=f"Bench {n}", site=site, lanes=2)
        tokens.append(camera_credential_issue(camera=camera, acting_user=None)[1])
    owner = User.objects.create(username="bench-owner")
    hotlist = Hotlist.objects.create(name="Bench list", owner=owner, fuzzy_tolerance=0)
    plates = unique_plates(hotlist_size, rng)
    valid_from = datetime.now(UTC) - timedelta(days=1)
    with connection.cursor() as cursor, cursor.connection.cursor() as raw:
        columns = ("hotlist_id, vrm, make, model, colour, reason, action, instruction, "
                   "warning_markers, information, intelligence_grading, source_reference, "
                   "owner_contact, valid_from, created_at, updated_at")  # fmt: skip
        with raw.copy(f"COPY hotlist_hotlistentry ({columns}) FROM STDIN") as copy:
            for plate in plates:
                copy.write_row((hotlist.pk, plate, "", "", "", "stolen", "report", "", "{}", "",
                                "", "", "", valid_from, valid_from, valid_from))  # fmt: skip
    bump_version()
    return tokens, plates


def plate_patch_b64() -> str:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (156, 34), (247, 206, 0)).save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode()


def client(args) -> dict:
    """One camera posting batches for `seconds`; every 25th batch is sent twice."""
    index, token, port, seconds, hotlisted, hit_share, with_images, seed_value = args
    rng = random.Random(seed_value)
    patch = plate_patch_b64() if with_images else None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Camera {token}"}
    accepted, hits, latencies, sent = set(), set(), [], 0
    deadline = time.monotonic() + seconds
    while not latencies or time.monotonic() < deadline:  # at least one batch
        reads = []
        for _ in range(BATCH):
            sent += 1
            hit = rng.random() < hit_share
            vrm = rng.choice(hotlisted) if hit else f"Z{seed_value % 10}{sent:07d}"
            read = {"capture_id": f"{index}-{sent}", "vrm": vrm,
                    "captured_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "confidence": 0.9, "direction": "towards", "lane": 1}  # fmt: skip
            if patch:
                read["plate_image"] = patch
            reads.append(read)
            if hit:
                hits.add(f"{index}-{sent}")
        body = json.dumps({"reads": reads})
        for _ in range(2 if sent % (25 * BATCH) == 0 else 1):
            started = time.perf_counter()
            connection.request("POST", "/api/v1/cameras/reads/", body, headers)
            response = connection.getresponse()
            payload = json.loads(response.read())
            latencies.append(time.perf_counter() - started)
            if response.status != 202:
                raise RuntimeError(f"{response.status}: {str(payload)[:500]}")
            accepted.update(read["capture_id"] for read in payload["accepted"])
    return {"accepted": sorted(accepted), "hits": sorted(hits & accepted), "latencies": latencies}


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def count(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_until_stored(expected: int, timeout: float) -> float:
    """Wait until `expected` reads are stored; return when the count last changed."""
    last, changed = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = count("SELECT count(*) FROM reads_read")
        if stored != last:
            last, changed = stored, time.monotonic()
        if stored >= expected:
            return changed
        if time.monotonic() - changed > 30:
            break  # nothing moved for 30 s: something was lost
        time.sleep(0.05)
    return changed


def copy_reference(rows: int) -> float:
    """Raw binary COPY into the same partitioned table, as the physical reference (rows/s)."""
    from django.db import connection

    from reads import partitions

    now = datetime.now(UTC)
    partitions.ensure_days({partitions.day_of(now)})
    types = ["uuid", "varchar", "varchar", "timestamptz", "timestamptz", "int8", "int8",
             "varchar", "float8"]  # fmt: skip
    columns = (
        "id, vrm, vrm_raw, captured_at, received_at, camera_id, site_id, capture_id, confidence"
    )
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    with raw.cursor() as cursor:
        for chunk in range(0, rows, 10_000):
            with cursor.copy(f"COPY reads_read ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for n in range(chunk, min(rows, chunk + 10_000)):
                    copy.write_row((uuid.uuid4(), f"R{n:07d}", f"R{n:07d}", now, now, 1, 1,
                                    f"ref-{n}", 0.9))  # fmt: skip
            raw.commit()
    return rows / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long the clients post")
    parser.add_argument("--clients", type=int, default=6, help="client processes (cameras)")
    parser.add_argument("--hotlist", type=int, default=1_000_000, help="hotlist entries")
    parser.add_argument("--hit-share", type=float, default=0.01, help="share of hotlisted reads")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--ingest-workers", type=int, default=2, help="Celery ingest processes")
    parser.add_argument("--no-images", action="store_true", help="send reads without images")
    parser.add_argument("--copy-rows", type=int, default=200_000, help="rows for the reference")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    with bench_run() as processes:
        return run(args, processes)


@contextmanager
def bench_run(local_dir: Path | None = None):
    """A benchmark's surroundings: the configured or embedded servers, a database of its own
    (migrated, with Django set up on it) and a media folder. Yields the list to which the
    benchmark adds the processes it starts; afterwards they are stopped, the database dropped
    and any embedded server it started stopped. Every benchmark in bench/ runs inside one.
    `local_dir` is the embedded servers' folder (LOCAL_DIR or .local by default); the media
    folder is kept in it too."""
    local_dir = local_dir or Path(os.environ.get("LOCAL_DIR", ROOT / ".local"))
    embedded = Embedded(local_dir)
    media = local_dir / "bench-media"
    already = embedded.running()
    started_servers = embedded.start(dict(os.environ))
    os.environ.update(started_servers)
    server_url = os.environ["DATABASE_URL"]
    processes: list[subprocess.Popen] = []
    try:
        database_url = bench_database_url(server_url)
        recreate_database(database_url)
        os.environ.update({"DATABASE_URL": database_url, "MEDIA_ROOT": str(media),
                           "STATIC_ROOT": str(media / "static")})  # fmt: skip
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")
        os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "k" * 40)
        import django

        django.setup()
        from django.core.management import call_command

        print(f"Preparing: database {BENCH_DB} ...", flush=True)
        call_command("migrate", verbosity=0)
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drop_database(server_url)
        shutil.rmtree(media, ignore_errors=True)
        if set(started_servers) - already:
            embedded.stop(set(started_servers) - already)


def run(args, processes: list) -> int:
    print(f"Seeding a hotlist of {args.hotlist:,} entries ...", flush=True)
    rng = random.Random(42)
    tokens, plates = seed(args.hotlist, args.clients, rng)
    from anpr_site.celery import app

    app.control.purge()

    env = {**os.environ}
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "anpr_site.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.web_workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    ))  # fmt: skip
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "anpr_site", "worker", "-Q", "ingest",
         "--concurrency", str(args.ingest_workers), "--loglevel", "WARNING", "-n", "bench@%h"],
        cwd=ROOT, env=env,
    ))  # fmt: skip
    wait_for(f"http://127.0.0.1:{args.port}/healthz")
    # Warm up: every ingest process loads the 1M-entry index before the clock starts.
    warm = args.ingest_workers * 2
    print(f"Warming up {args.ingest_workers} ingest workers (index load) ...", flush=True)
    for n in range(warm):
        client((f"warm{n}", tokens[0], args.port, 0.001, plates, 0.0, False, n))
    wait_until_stored(warm * BATCH, timeout=600)
    baseline = count("SELECT count(*) FROM reads_read")
    baseline_distinct = count("SELECT count(DISTINCT id) FROM reads_read")
    baseline_alerts = count("SELECT count(*) FROM hotlist_alert")

    print(f"Posting for {args.seconds:.0f} s from {args.clients} clients ...", flush=True)
    hotlisted = plates[:10_000]
    jobs = [(n, tokens[n], args.port, args.seconds, hotlisted, args.hit_share,
             not args.no_images, n) for n in range(args.clients)]  # fmt: skip
    from django.db import connections

    connections.close_all()  # the client processes are forked: they must not share it
    started = time.monotonic()
    with multiprocessing.Pool(args.clients) as pool:
        results = pool.map(client, jobs)
    posting_done = time.monotonic()
    accepted = sum(len(r["accepted"]) for r in results)
    hits = sum(len(r["hits"]) for r in results)
    last_stored = wait_until_stored(baseline + accepted, timeout=600)
    elapsed = max(last_stored, posting_done) - started

    stored = count("SELECT count(*) FROM reads_read") - baseline
    distinct = count("SELECT count(DISTINCT id) FROM reads_read") - baseline_distinct
    alerts = count("SELECT count(*) FROM hotlist_alert") - baseline_alerts
    latencies = sorted(x for r in results for x in r["latencies"])
    reads_per_s = accepted / elapsed
    print(f"Reference: raw binary COPY of {args.copy_rows:,} rows ...", flush=True)
    copy_per_s = copy_reference(args.copy_rows)

    figures = {
        "reads_per_s": round(reads_per_s), "copy_reads_per_s": round(copy_per_s),
        "ratio": round(reads_per_s / copy_per_s, 3), "lost": accepted - distinct,
        "duplicated": stored - distinct, "alerts_expected": hits, "alerts_created": alerts,
        "hotlist_entries": args.hotlist, "seconds": round(elapsed, 1), "reads_accepted": accepted,
        "clients": args.clients, "web_workers": args.web_workers,
        "ingest_workers": args.ingest_workers, "images": not args.no_images,
        "request_ms_median": round(statistics.median(latencies) * 1000, 1),
        "request_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "cores": os.cpu_count(),
    }  # fmt: skip
    width = max(len(key) for key in figures)
    print(f"\nIngest benchmark ({os.cpu_count()} cores, batches of {BATCH})")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = figures["lost"] == 0 and figures["duplicated"] == 0 and alerts == hits
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
