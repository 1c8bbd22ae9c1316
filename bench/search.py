"""Search benchmark: a read store of N million reads, then each search type through the real
search service (window policy, SQL, one audit row per search).

    python bench/search.py [--millions 50] [--days 100] [--runs 40] [--json PATH]

The store is built inside PostgreSQL (generate_series) with a realistic shape: ~130 cameras at
65 sites, reads spread over the last `--days` days, and heavy-tailed plate frequencies (a few
plates seen every day, most seen once or twice), with the indexes built after loading, as a
bulk import would. Then it times (median, p95 over `--runs` searches each):

- exact plate over 90 days;
- partial plate (3+ known consecutive characters) over 30 days;
- place and time: one site, one hour.

Prints rows, days and size on disk. Uses DATABASE_URL, or the embedded PostgreSQL, with its own
database, dropped at the end.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (  # the ingest benchmark's set-up, shared
    BENCH_DB,
    bench_run,
    unique_plates,
)

CAMERAS, SITES = 130, 65
PLATES = 3_000_000  # distinct vehicles


def build(millions: float, days: int) -> None:
    """Load the store day by day, server-side, without its indexes; then index it."""
    from django.db import connection

    from reads import partitions

    now = datetime.now(UTC)
    per_day = int(millions * 1_000_000 / days)
    partitions.ensure_days({partitions.day_of(now - timedelta(days=d)) for d in range(days + 1)})
    with connection.cursor() as cursor:
        print(f"Plates: {PLATES:,} distinct ...", flush=True)
        cursor.execute("CREATE UNLOGGED TABLE bench_plate (n int PRIMARY KEY, vrm varchar(16))")
        with cursor.connection.cursor() as raw, raw.copy("COPY bench_plate FROM STDIN") as copy:
            for n, vrm in enumerate(unique_plates(PLATES, random.Random(7))):
                copy.write_row((n, vrm))
        cursor.execute("ALTER TABLE reads_read DROP CONSTRAINT reads_read_pkey")
        cursor.execute(
            "DROP INDEX reads_read_camera_time, reads_read_site_time, reads_read_vrm_trgm"
        )
        for day in range(days):
            started = time.monotonic()
            day_start = now - timedelta(days=day + 1)
            # Plate n = PLATES * u^2 (u uniform): a heavy head (the most frequent vehicle is read
            # a few hundred times a day, like a taxi or a bus) and a long tail of rare ones.
            cursor.execute(
                """
                INSERT INTO reads_read (id, vrm, vrm_raw, captured_at, received_at, camera_id,
                                        site_id, capture_id, confidence, direction, lane)
                SELECT gen_random_uuid(), p.vrm, p.vrm, r.at, r.at, r.camera, (r.camera + 1) / 2,
                       'b' || r.g, 0.80 + random() * 0.19,
                       CASE WHEN r.camera %% 2 = 0 THEN 'towards' ELSE 'away' END, 1
                FROM (SELECT g, %s + random() * interval '1 day' AS at,
                             1 + floor(random() * %s)::int AS camera,
                             floor(%s * power(random(), 2))::int AS plate
                      FROM generate_series(1, %s) AS g) AS r
                JOIN bench_plate AS p ON p.n = r.plate
                """,
                [day_start, CAMERAS, PLATES, per_day],
            )
            print(f"  day {day + 1}/{days}: {per_day:,} reads in "
                  f"{time.monotonic() - started:.1f} s", flush=True)  # fmt: skip
        for label, statement in [
            ("primary key", "ALTER TABLE reads_read ADD PRIMARY KEY (vrm, captured_at, id)"),
            ("camera/time index",
             "CREATE INDEX reads_read_camera_time ON reads_read (camera_id, captured_at)"),
            ("site/time index",
             "CREATE INDEX reads_read_site_time ON reads_read (site_id, captured_at)"),
            ("trigram index",
             "CREATE INDEX reads_read_vrm_trgm ON reads_read USING gin (vrm gin_trgm_ops)"),
        ]:  # fmt: skip
            started = time.monotonic()
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(statement)
            print(f"Built the {label} in {time.monotonic() - started:.0f} s", flush=True)
        cursor.execute("ANALYZE reads_read")


def seed_places() -> None:
    from cameras.models import Camera
    from deployments.models import Site

    for s in range(1, SITES + 1):
        Site.objects.create(pk=s, reference=f"BS-{s:03d}", name=f"Bench site {s}",
                            area=f"Area {s % 8}", status="live")  # fmt: skip
    for c in range(1, CAMERAS + 1):
        Camera.objects.create(pk=c, reference=f"BC-{c:03d}", name=f"Bench camera {c}",
                              site_id=(c + 1) // 2)  # fmt: skip


def investigator():
    from django.contrib.auth.models import Group, User

    from access.models import OffenceCategory, SearchPurpose
    from access.roles import Role

    user = User.objects.create(username="bench-investigator")
    user.groups.add(Group.objects.get(name=Role.INVESTIGATOR.value))
    purpose = SearchPurpose.objects.create(
        user=user, category=OffenceCategory.objects.get(name="Robbery"),
        case_reference="BENCH/1/26", justification="Measuring how fast searches answer.",
    )  # fmt: skip
    return user, purpose


def timed(runs: list) -> dict:
    """Run each search; median and p95 in ms, and the median count of results."""
    from reads.search import read_search

    times, counts = [], []
    for user, purpose, criteria in runs:
        started = time.perf_counter()
        result = read_search(user=user, purpose=purpose, criteria=criteria)
        times.append(time.perf_counter() - started)
        counts.append(result.total)
    times.sort()
    return {"median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[int(len(times) * 0.95)] * 1000, 1),
            "results_median": statistics.median(counts), "runs": len(times)}  # fmt: skip


def measure(runs: int, rows: int, rng: random.Random) -> dict:
    from django.db import connection

    from access.policy import standard_start
    from reads.search import Criteria

    user, purpose = investigator()
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        # Plates that were read: a mix of frequent and rare vehicles, as investigators ask.
        share = min(100.0, 100.0 * runs * 20 / max(rows, 1))
        cursor.execute("SELECT vrm FROM reads_read TABLESAMPLE SYSTEM (%s)", [share])
        seen = [row[0] for row in cursor.fetchall()]
    plates = [rng.choice(seen) for _ in range(runs)]
    figures = {}
    figures["exact_plate_90_days"] = timed(
        [(user, purpose, Criteria(plate=vrm, captured_from=standard_start(now)))
         for vrm in plates]
    )  # fmt: skip
    partials = []
    for vrm in plates:
        start = rng.randrange(0, len(vrm) - 3)
        partials.append(("*" if start else "") + vrm[start : start + 4] + "*")
    figures["partial_plate_30_days"] = timed(
        [(user, purpose, Criteria(plate=pattern, captured_from=now - timedelta(days=30)))
         for pattern in partials]
    )  # fmt: skip
    places = []
    for _ in range(runs):
        hour = now - timedelta(hours=rng.randrange(2, 24 * 80))
        places.append((user, purpose, Criteria(plate="", site_id=rng.randrange(1, SITES + 1),
                                               captured_from=hour,
                                               captured_to=hour + timedelta(hours=1))))  # fmt: skip
    figures["place_and_time_1_site_1_hour"] = timed(places)
    return figures


def store_figures() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT captured_at::date) FROM reads_read")
        rows, days = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits"
            " WHERE inhparent = 'reads_read'::regclass"
        )
        size = int(cursor.fetchone()[0])
    return {"rows": rows, "days": days, "size_gb": round(size / 1e9, 2),
            "bytes_per_read": round(size / max(rows, 1))}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--millions", type=float, default=50, help="reads in the store")
    parser.add_argument("--days", type=int, default=100, help="days of data, up to today")
    parser.add_argument("--runs", type=int, default=40, help="searches of each type")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    with bench_run():
        return run(args)


def run(args) -> int:
    started = time.monotonic()
    print(f"Building a store of {args.millions:g} million reads over {args.days} days "
          f"in {BENCH_DB} ...", flush=True)  # fmt: skip
    seed_places()
    build(args.millions, args.days)
    built = time.monotonic() - started
    figures = {**store_figures(), "build_seconds": round(built)}
    figures.update(measure(args.runs, figures["rows"], random.Random(11)))
    figures["cores"] = os.cpu_count()
    print(f"\nSearch benchmark ({os.cpu_count()} cores)")
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
