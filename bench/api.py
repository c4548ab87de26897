"""How fast GET /api/prospects is on a million prospects, under gunicorn, against raw SQL.

Usage (PostgreSQL only; the database is created if missing and kept between runs)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_api_bench .venv/bin/python bench/api.py [--rows 1000000]

It migrates, tops the prospect table up to ``--rows`` rows with COPY (bench/admin.py's
loader), starts gunicorn with 2 sync workers on a loopback port, and drives it with a
load generator of ``--threads`` threads (httpx, one connection each) for ``--seconds``
per scenario:

* page 1: ``GET /api/prospects`` (50 rows, newest first);
* deep page: ``GET /api/prospects?cursor=…`` with a cursor 90 % of the way down the table.

Each is printed as requests/second and p50/p95 latency, next to the same page query
sent as raw SQL over psycopg by the same number of threads in the same run (the floor:
what PostgreSQL alone costs). Before the load, one request per scenario runs in-process
under CaptureQueriesContext to show the query count and that no COUNT(*) is issued.

The load generator shares the machine's cores with gunicorn and PostgreSQL, so the
figures are a lower bound of what a separate client would see.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_api_bench")
os.environ["DEBUG"] = "false"

# bench/admin.py's COPY loader and database set-up (it calls django.setup() on import)
_spec = importlib.util.spec_from_file_location("bench_admin", REPO / "bench" / "admin.py")
bench_admin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_admin)

import httpx  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from infra.api_auth import api_key_issue  # noqa: E402
from infra.api_common import encode_cursor  # noqa: E402
from infra.models import ApiKey  # noqa: E402
from prospects.api import ProspectOut  # noqa: E402
from prospects.models import Prospect  # noqa: E402

TARGET_P95_MS = 20.0
TARGET_RPS = 500.0
PAGE = 50


def bench_key() -> str:
    ApiKey.objects.filter(name="bench").delete()
    return api_key_issue(key=ApiKey(name="bench", scopes=["read"], rate_limit_per_minute=10_000_000))


def start_gunicorn(port: int) -> subprocess.Popen:
    # persistent database connections, as in production (django-environ reads conn_max_age
    # from the URL): without them every request pays for a new PostgreSQL backend
    url = os.environ["DATABASE_URL"]
    if "conn_max_age" not in url:
        url += ("&" if "?" in url else "?") + "conn_max_age=600"
    env = {**os.environ, "DEBUG": "false", "LOG_LEVEL": "WARNING", "DATABASE_URL": url}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "jengu.wsgi",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=REPO, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code in (200, 503):
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer within 30 s")


def drive(call, *, threads: int, seconds: float, warmup: float = 1.0) -> dict:
    """Run ``call(worker_state)`` in ``threads`` threads for ``seconds``; latencies after a warmup."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def worker(n):
        state = {}
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                break
            ok = call(state)
            ended = time.perf_counter()
            if began >= measure_from:
                latencies[n].append(ended - began)
                errors[n] += not ok
        if "close" in state:
            state["close"]()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    flat = sorted(x for per in latencies for x in per)
    quantiles = statistics.quantiles(flat, n=100) if len(flat) > 1 else [flat[0]] * 99
    return {
        "rps": len(flat) / seconds,
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "requests": len(flat),
        "errors": sum(errors),
    }


def http_call(url: str, key: str):
    def call(state):
        if "client" not in state:
            state["client"] = httpx.Client(headers={"X-API-Key": key}, timeout=10)
            state["close"] = state["client"].close
        response = state["client"].get(url)
        return response.status_code == 200 and len(response.content) > 100

    return call


def sql_call(sql: str, params: list, dsn: dict):
    def call(state):
        if "conn" not in state:
            state["conn"] = psycopg.connect(autocommit=True, **dsn)
            state["close"] = state["conn"].close
        rows = state["conn"].execute(sql, params).fetchall()
        return bool(rows)

    return call


def page_sql(before: int | None) -> tuple[str, list]:
    """The page query the API sends, as plain SQL (same columns, same keyset)."""
    columns = ", ".join(f.column for f in Prospect._meta.concrete_fields)
    table = Prospect._meta.db_table
    if before is None:
        return f"SELECT {columns} FROM {table} ORDER BY id DESC LIMIT %s", [PAGE + 1]
    return f"SELECT {columns} FROM {table} WHERE id < %s ORDER BY id DESC LIMIT %s", [before, PAGE + 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients (each one connection)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    bench_admin.ensure_database()
    call_command("migrate", verbosity=0)
    bench_admin.load_prospects(args.rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Prospect._meta.db_table}")
    key = bench_key()
    total = Prospect.objects.count()
    top = Prospect.objects.order_by("-id").values_list("id", flat=True).first()
    deep_id = Prospect.objects.order_by("-id").values_list("id", flat=True)[int(total * 0.9)]
    deep_cursor = encode_cursor(deep_id)
    scenarios = {
        "page 1": ("/api/prospects", None),
        "deep page": (f"/api/prospects?cursor={deep_cursor}", deep_id),
    }
    print(f"\n{total:,} prospects (ids up to {top:,}); deep page starts below id {deep_id:,} (90 % down)")
    version = connection.pg_version
    print(
        f"PostgreSQL {version // 10000}.{version % 10000}; gunicorn, 2 sync workers, persistent connections; "
        f"{args.threads} client threads"
    )

    client = Client(HTTP_HOST="localhost")
    for label, (url, _) in scenarios.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers={"X-API-Key": key})
        assert response.status_code == 200, response.content[:300]
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        print(f"  {label}: {len(queries)} queries per request, COUNT queries: {len(counts)}")
        assert len(response.json()["items"]) == PAGE and not counts

    db = settings.DATABASES["default"]
    dsn = {"dbname": db["NAME"], "host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None}
    if db["PASSWORD"]:
        dsn["password"] = db["PASSWORD"]
    dsn = {k: v for k, v in dsn.items() if v}

    connection.close()  # the workers and the SQL baseline open their own
    load = os.getloadavg()
    server = start_gunicorn(args.port)
    results = {}
    try:
        for label, (url, before) in scenarios.items():
            api = drive(
                http_call(f"http://127.0.0.1:{args.port}{url}", key), threads=args.threads, seconds=args.seconds
            )
            sql, params = page_sql(before)
            raw = drive(sql_call(sql, params, dsn), threads=args.threads, seconds=args.seconds / 2)
            results[label] = (api, raw)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    header = (
        f"{'request':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
        f"{'SQL q/s':>10}{'SQL p50':>9}{'SQL p95':>9}  result"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for label, (api, raw) in results.items():
        ok = api["p95"] <= TARGET_P95_MS and api["rps"] >= TARGET_RPS and not api["errors"]
        failed |= not ok
        print(
            f"{label:<12}{api['rps']:>9.0f}{api['p50']:>9.1f}{api['p95']:>9.1f}{api['errors']:>8}"
            f"{raw['rps']:>10.0f}{raw['p50']:>9.2f}{raw['p95']:>9.2f}  {'ok' if ok else 'MISSED'}"
        )
    print(f"\ntargets: p95 ≤ {TARGET_P95_MS:.0f} ms and ≥ {TARGET_RPS:.0f} req/s; load average before: {load[0]:.1f}")
    print(f"rows serialised per page: {PAGE}, fields per row: {len(ProspectOut.model_fields)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
