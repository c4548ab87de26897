"""The operational retention job on a million Events: rows/s and the longest lock, against one big DELETE.

Usage (PostgreSQL; its own database, created if missing)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_retention \
        .venv/bin/python bench/retention.py [--rows 1000000]

Each round loads ``--rows`` Events (90 % past the 90-day retention, ten event names) with
one INSERT … SELECT generate_series, then deletes the old ones:

* **batched**: jengu.retention_ops.prune_events, 5,000 rows per DELETE, each batch its own
  transaction, the daily counts kept in EventDailyCount;
* **baseline**: one ``DELETE … WHERE created_at < cutoff`` in one transaction.

Meanwhile a second connection plays a writer that touches old rows (an UPDATE of a random
row due for deletion, as an admin action or a late webhook would): its longest wait is the
longest lock a user feels. Printed per round: rows deleted, rows/s, the longest transaction
(batch) and the writer's longest wait. Target: no wait over a second on the batched round.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench_retention")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from infra.models import Event, EventDailyCount  # noqa: E402
from jengu.retention_ops import RetentionReport, prune_events  # noqa: E402

TARGET_WAIT_S = 1.0
OLD_SHARE = 0.9


def ensure_database():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/retention.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    return params | {"dbname": db["NAME"]}


def load(rows: int) -> tuple[int, int]:
    """``rows`` Events: the old ones 100–130 days back, the rest within a day. Returns the old id range."""
    table = Event._meta.db_table
    old = int(rows * OLD_SHARE)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}, {EventDailyCount._meta.db_table} RESTART IDENTITY")
        cursor.execute(
            f"INSERT INTO {table} (name, level, message, data, actor, created_at) "  # noqa: S608
            "SELECT 'bench.event_' || (i %% 10), 'info', 'a line of the event log', '{\"n\": 1}'::jsonb, '', "
            "CASE WHEN i <= %s THEN now() - interval '100 days' - (i %% 30) * interval '1 day' "
            "ELSE now() - (i %% 1440) * interval '1 minute' END FROM generate_series(1, %s) AS i",
            [old, rows],
        )
        cursor.execute(f"ANALYZE {table}")
    return 1, old


class Writer(threading.Thread):
    """Updates random old rows, one short transaction each, and records how long each waited."""

    def __init__(self, params: dict, id_range: tuple[int, int]):
        super().__init__(daemon=True)
        self.params, self.id_range = params, id_range
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self):
        rng = random.Random(7)
        with psycopg.connect(autocommit=True, **self.params) as conn:
            while not self.stop.is_set():
                row = rng.randint(*self.id_range)
                started = time.perf_counter()
                conn.execute(f"UPDATE {Event._meta.db_table} SET level = level WHERE id = %s", [row])  # noqa: S608
                self.waits.append(time.perf_counter() - started)
                time.sleep(0.01)


def round_batched(params, id_range) -> dict:
    writer = Writer(params, id_range)
    writer.start()
    report = RetentionReport()
    started = time.perf_counter()
    prune_events(timezone.now(), report)
    elapsed = time.perf_counter() - started
    writer.stop.set()
    writer.join()
    return {
        "deleted": report.removed.get("events", 0),
        "seconds": elapsed,
        "longest_transaction": report.longest_batch_seconds,
        "writer_max_wait": max(writer.waits or [0.0]),
        "writer_p50_wait": statistics.median(writer.waits or [0.0]),
        "batches": report.batches,
        "aggregates": EventDailyCount.objects.count(),
    }


def round_baseline(params, id_range) -> dict:
    writer = Writer(params, id_range)
    writer.start()
    time.sleep(0.2)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Event._meta.db_table} WHERE created_at < now() - interval '90 days' "  # noqa: S608
            "AND name <> 'email.provider_attempt'"
        )
        deleted = cursor.rowcount
    elapsed = time.perf_counter() - started
    time.sleep(0.2)
    writer.stop.set()
    writer.join()
    return {
        "deleted": deleted,
        "seconds": elapsed,
        "longest_transaction": elapsed,
        "writer_max_wait": max(writer.waits or [0.0]),
        "writer_p50_wait": statistics.median(writer.waits or [0.0]),
        "batches": 1,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    options = parser.parse_args()
    params = ensure_database()
    call_command("migrate", verbosity=0, interactive=False)
    results = {}
    for name, run in (("batched (5,000 a batch)", round_batched), ("baseline: one DELETE", round_baseline)):
        started = time.perf_counter()
        id_range = load(options.rows)
        print(f"loaded {options.rows:,} events in {time.perf_counter() - started:.1f} s")
        results[name] = result = run(params, id_range)
        print(
            f"{name:26} {result['deleted']:>9,} rows in {result['seconds']:6.1f} s = "
            f"{result['deleted'] / result['seconds']:>9,.0f} rows/s; longest transaction "
            f"{result['longest_transaction'] * 1000:8.0f} ms ({result['batches']} batches); writer waited at most "
            f"{result['writer_max_wait'] * 1000:8.0f} ms (median {result['writer_p50_wait'] * 1000:.1f} ms)"
        )
    batched = results["batched (5,000 a batch)"]
    print(f"daily aggregates kept by the batched round: {batched['aggregates']} (day, name, level) rows")
    verdict = "PASS" if batched["writer_max_wait"] <= TARGET_WAIT_S else "FAIL"
    print(f"{verdict}: the batched job's longest wait for a writer ≤ {TARGET_WAIT_S:.0f} s")


if __name__ == "__main__":
    main()
