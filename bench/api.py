"""How fast GET /api/prospects is on a million prospects, under gunicorn, against raw SQL.

Usage (PostgreSQL only; the database is created if missing and kept between runs)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_api_bench .venv/bin/python bench/api.py [--rows 1000000]

It migrates, tops the prospect table up to ``--rows`` rows with COPY (bench/admin.py's
loader), starts gunicorn with 2 sync workers on a loopback port, and drives it with
wrk (``--clients`` connections, one thread) for ``--seconds`` per scenario:

* page 1: ``GET /api/prospects`` (50 rows, newest first);
* deep page: ``GET /api/prospects?cursor=…`` with a cursor 90 % of the way down the table.

Each is printed as requests/second and p50/p95 latency, next to the SQL the API sends
for that page, run by pgbench (prepared, as the API's is) with the same number of
connections in the same run (the floor: what PostgreSQL alone costs). The scenarios alternate with their SQL
baseline for ``--rounds`` rounds and the medians are reported, because a shared
machine's speed drifts over a minute. Before the load, one request per scenario runs
in-process under CaptureQueriesContext to show the query count and that no COUNT(*)
is issued. wrk and pgbench come from Debian (bench/system-packages.txt; installed if
missing).

The load generator shares the machine's cores with gunicorn and PostgreSQL, so the
figures are a lower bound of what a separate client would see.
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_api_bench")
os.environ["DEBUG"] = "false"

# bench/admin.py's COPY loader and database set-up (it calls django.setup() on import)
_spec = importlib.util.spec_from_file_location("bench_admin", REPO / "bench" / "admin.py")
bench_admin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_admin)

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from infra.api_auth import api_key_issue  # noqa: E402
from infra.api_common import JsonKeysetPagination, KeysetPagination, _plain_fields, encode_cursor  # noqa: E402
from infra.models import ApiKey  # noqa: E402
from prospects.api import ProspectOut  # noqa: E402
from prospects.models import Prospect  # noqa: E402

TARGET_P95_MS = 20.0
TARGET_RPS = 500.0
PAGE = 50

# wrk sends the key from its environment (kept off command lines and error messages) and
# prints one machine-readable line when it is done (latencies are in microseconds)
WRK_REPORT = """
wrk.headers["X-API-Key"] = os.getenv("BENCH_API_KEY")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.duration / 1e6))
end
"""


def ensure_tools() -> None:
    if not (shutil.which("wrk") and shutil.which("pgbench")):
        installer = REPO / "infra" / "scripts" / "install-system-packages.sh"
        subprocess.run([str(installer), str(REPO / "bench" / "system-packages.txt")], check=True)


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


def wrk(url: str, key: str, *, clients: int, seconds: float, script: Path) -> dict:
    """wrk against ``url`` after a 1 s warmup; requests/s, p50/p95 ms, non-2xx or socket errors."""
    env = {**os.environ, "BENCH_API_KEY": key}
    base = ["wrk", "-t1", f"-c{clients}", "-s", str(script), url]
    subprocess.run([*base, "-d1s"], check=True, capture_output=True, env=env)
    command = [*base, f"-d{max(1, round(seconds))}s"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    line = next(line for line in output.stdout.splitlines() if line.startswith("RESULT "))
    requests, errors, p50, p95, duration = line.split()[1:]
    return {"rps": int(requests) / float(duration), "p50": float(p50), "p95": float(p95), "errors": int(errors)}


def pgbench(sql: str, *, clients: int, seconds: float, workdir: Path) -> dict:
    """pgbench running ``sql`` on ``clients`` connections; transactions/s and p50/p95 ms from its log."""
    db = settings.DATABASES["default"]
    for old in workdir.glob("pg.*"):
        old.unlink()
    script = workdir / "page.sql"
    script.write_text(sql.rstrip(";") + ";\n")
    # prepared, as the API's page query is (infra.api_common._prepared_cursor)
    command = ["pgbench", "-n", "-M", "prepared", f"-c{clients}", "-j1", f"-T{max(1, round(seconds))}"]
    command += ["-f", str(script)]
    command += ["-l", f"--log-prefix={workdir / 'pg'}", db["NAME"]]
    for flag, value in (("-h", db["HOST"]), ("-p", db["PORT"]), ("-U", db["USER"])):
        if value:
            command[1:1] = [flag, str(value)]
    env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {})}
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=workdir)
    latencies = sorted(int(line.split()[2]) / 1000 for log in workdir.glob("pg.*") for line in log.open())
    quantiles = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / max(1, round(seconds)), "p50": quantiles[49], "p95": quantiles[94]}


def median_of(runs: list[dict], field: str) -> float:
    return statistics.median(run[field] for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections of wrk and of pgbench")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of API and SQL, alternating; medians reported")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    ensure_tools()
    bench_admin.ensure_database()
    call_command("migrate", verbosity=0)
    bench_admin.load_prospects(args.rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Prospect._meta.db_table}")
    key = bench_key()
    total = Prospect.objects.count()
    top = Prospect.objects.order_by("-id").values_list("id", flat=True).first()
    deep_id = Prospect.objects.order_by("-id").values_list("id", flat=True)[int(total * 0.9)]
    scenarios = {"page 1": "/api/prospects", "deep page": f"/api/prospects?cursor={encode_cursor(deep_id)}"}
    print(f"\n{total:,} prospects (ids up to {top:,}); deep page starts below id {deep_id:,} (90 % down)")
    version = connection.pg_version
    print(
        f"PostgreSQL {version // 10000}.{version % 10000}; gunicorn, 2 sync workers, persistent connections; "
        f"wrk and pgbench with {args.clients} connections each; {args.rounds} rounds of {args.seconds:.0f} s"
    )

    # one request per scenario in-process: its queries; and the SQL the baseline runs
    client, page_sql = Client(HTTP_HOST="localhost"), {}
    fields = _plain_fields(Prospect, tuple(ProspectOut.model_fields))
    client.get(scenarios["page 1"], headers={"X-API-Key": key})  # verifies (and caches) the key
    for label, url in scenarios.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers={"X-API-Key": key})
        assert response.status_code == 200, response.content[:300]
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        print(f"  {label}: {len(queries)} queries per request, COUNT queries: {len(counts)}")
        assert len(response.json()["items"]) == PAGE and not counts
        cursor = dict(parse_qsl(urlsplit(url).query)).get("cursor")
        sql, params = JsonKeysetPagination.page_sql(
            Prospect.objects.all(), fields, KeysetPagination.Input(limit=PAGE, cursor=cursor)
        )
        page_sql[label] = connection.ops.compose_sql(sql, params)

    connection.close()  # the workers and the SQL baseline open their own
    load = os.getloadavg()
    server = start_gunicorn(args.port)
    runs = {label: {"api": [], "sql": []} for label in scenarios}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            workdir = Path(scratch)
            script = workdir / "report.lua"
            script.write_text(WRK_REPORT)
            for round_number in range(1, args.rounds + 1):
                for label, url in scenarios.items():
                    api = wrk(
                        f"http://127.0.0.1:{args.port}{url}",
                        key,
                        clients=args.clients,
                        seconds=args.seconds,
                        script=script,
                    )
                    sql = pgbench(page_sql[label], clients=args.clients, seconds=args.seconds / 2, workdir=workdir)
                    runs[label]["api"].append(api)
                    runs[label]["sql"].append(sql)
                    print(
                        f"  round {round_number} {label:<10} API {api['rps']:>5.0f} req/s p95 {api['p95']:>5.1f} ms"
                        f" | SQL {sql['rps']:>5.0f} q/s p95 {sql['p95']:>5.2f} ms"
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    header = (
        f"{'request':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
        f"{'SQL q/s':>10}{'SQL p50':>9}{'SQL p95':>9}{'API/SQL':>9}  result"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for label, measured in runs.items():
        api, sql = measured["api"], measured["sql"]
        rps, p50, p95 = median_of(api, "rps"), median_of(api, "p50"), median_of(api, "p95")
        errors = sum(run["errors"] for run in api)
        ok = p95 <= TARGET_P95_MS and rps >= TARGET_RPS and not errors
        failed |= not ok
        sql_rps = median_of(sql, "rps")
        print(
            f"{label:<12}{rps:>9.0f}{p50:>9.1f}{p95:>9.1f}{errors:>8}"
            f"{sql_rps:>10.0f}{median_of(sql, 'p50'):>9.2f}{median_of(sql, 'p95'):>9.2f}"
            f"{rps / sql_rps:>9.2f}  {'ok' if ok else 'MISSED'}"
        )
    print(f"\nmedians of {args.rounds} rounds; targets: p95 ≤ {TARGET_P95_MS:.0f} ms and ≥ {TARGET_RPS:.0f} req/s")
    print(f"load average before: {load[0]:.1f}; rows per page: {PAGE}, fields per row: {len(ProspectOut.model_fields)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
