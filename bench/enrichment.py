"""Prospects per second through enrichment + research (sandbox mode, PostgreSQL, real workers).

Usage (PostgreSQL only; the database is created if missing and kept between runs)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_enrich .venv/bin/python bench/enrichment.py \
        [--prospects 200] [--workers 2]

Everything runs against the offline sandbox twins (SEARCH_PROVIDER=sandbox, no AI,
verifier or search keys): hotel sites, search results and the email verifier are
answered in-process, so the figures are the code's own cost plus PostgreSQL's.

1. Worker run. It migrates, clears the pipeline tables, creates ``--prospects`` prospects
   in ``new`` (one per sandbox hotel of the bundled job postings; past the number of
   hotels, further contacts at the same hotels), starts one real ``qcluster`` for the
   ``enrichment`` queue and one for ``research`` (``JENGU_Q_WORKERS=--workers`` each,
   output to ``--log``), enqueues enrichment for every prospect in one transaction and
   waits until all are ``ready``. End to end prospects/second is counted from the
   enqueue until every prospect is ``ready`` or has failed an attempt (a retry would
   come minutes later). A task's run time is its claim transition to its q2 Task's
   ``stopped``, its queue wait the enqueue (q2's ``Task.started``) to the claim; the
   rest of the worker slots' time is waiting (poll interval, empty queue).
2. In-process run (the floor without a queue). The tables are cleared again (page and
   verification caches too, so both runs do the same work) and the same prospects run
   through ``infra.stages.stage_execute`` for enrichment, then research, one at a time in
   this process. Timers split that time exclusively (nested time goes to the innermost
   category) into HTML parsing (lexbor tree building), HTML analysis (selectolax queries
   and the rules on top: analyze_website, team_page_url, names_from_team_page), the
   sandbox twins (which stand in for network round-trips in production), database
   (every query, via connection.execute_wrapper) and the rest of the Python.

Every qcluster runs in its own process group, killed at the end, on error or on Ctrl-C.
"""

import argparse
import collections
import contextlib
import datetime
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# run as a script, sys.path[0] is bench/; the project's packages live one level up
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench_enrich")
# sandbox mode: the offline twins answer for every outside service, in here and in the workers
SANDBOX_ENV = {
    "DEBUG": "false",  # DEBUG keeps every query in memory
    "SEARCH_PROVIDER": "sandbox",
    "GROK_API_KEY": "",
    "ANTHROPIC_API_KEY": "",
    "MILLIONVERIFIER_API_KEY": "",
    "HUNTER_API_KEY": "",
    "GOOGLE_CSE_KEY": "",
    "GOOGLE_CSE_ID": "",
    "SERPAPI_API_KEY": "",
    "REDIS_URL": "",  # the ORM broker: what a PostgreSQL-only install runs
}
# fetched pages go to Django storage under JENGU_VAR_DIR: a scratch directory, removed at exit
SCRATCH = Path(tempfile.mkdtemp(prefix="jengu-bench-enrichment-"))
SANDBOX_ENV["JENGU_VAR_DIR"] = str(SCRATCH)
os.environ.update(SANDBOX_ENV)

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_q.models import OrmQ, Schedule, Task  # noqa: E402

from infra.models import CircuitState, DeadLetter, Event, StateTransition  # noqa: E402
from infra.stages import stage_enqueue, stage_execute  # noqa: E402
from prospects.extraction import company_name_clean, hiring_tier, parse_location  # noqa: E402
from prospects.models import EmailVerification, Prospect, ProspectStage, WebsitePage  # noqa: E402
from prospects.pipeline import ENRICHMENT, RESEARCH  # noqa: E402

POSTINGS = REPO / "prospects" / "providers" / "data" / "sandbox_postings.json"
QUEUE_NAMES = ["enrichment", "research"]

# --- database set-up -------------------------------------------------------------------


def ensure_database():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/enrichment.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
            print(f"created database {db['NAME']}")


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def clear_pipeline():
    """Prospects and everything the two stages write or cache: each run starts cold."""
    Prospect.objects.all().delete()  # job postings, reports, possible duplicates cascade
    storage = WebsitePage._meta.get_field("html").storage
    for name in WebsitePage.objects.exclude(html="").values_list("html", flat=True):
        storage.delete(name)  # the stored page files, not only their rows
    for model in (WebsitePage, EmailVerification, StateTransition, Event, DeadLetter, CircuitState):
        model.objects.all().delete()
    OrmQ.objects.filter(key__in=QUEUE_NAMES).delete()
    Task.objects.filter(cluster__in=QUEUE_NAMES).delete()
    Schedule.objects.filter(cluster__in=QUEUE_NAMES).delete()  # retry back-offs of an earlier run


# --- prospects -------------------------------------------------------------------------


def sandbox_hotels() -> list[dict]:
    """The first posting of each hotel in the sandbox postings (ground truth kind == hotel)."""
    postings = json.loads(POSTINGS.read_text(encoding="utf-8"))["postings"]
    hotels = {}
    for posting in postings:
        if posting["kind"] == "hotel":
            hotels.setdefault(posting["hotel_id"], posting)
    return list(hotels.values())


def create_prospects(count: int) -> list[int]:
    """``count`` prospects in ``new``; past the number of hotels, a further contact per hotel."""
    hotels = sandbox_hotels()
    today = timezone.localdate()
    ids = []
    with transaction.atomic():
        for i in range(count):
            posting = hotels[i % len(hotels)]
            copy = i // len(hotels)
            location = parse_location(posting["location"], country_hint=posting.get("country", ""))
            posted_at = today - datetime.timedelta(days=posting.get("days_ago") or 0)
            prospect = Prospect.objects.create(
                company_name=company_name_clean(posting["company"]),
                city=location.city,
                region=location.region,
                country=location.country_code,
                timezone=location.timezone,
                tier=hiring_tier(posting["title"], posted_at, today=today),
                source=posting["source"],
                # a second contact at a known hotel carries its own key (prospects.dedup)
                contact_key=f"bench-contact-{copy}@{posting['hotel_id']}" if copy else "",
            )
            ids.append(prospect.pk)
    return ids


def stage_counts(ids: list[int]) -> dict[str, int]:
    rows = Prospect.objects.filter(pk__in=ids).values("stage").annotate(n=Count("id"))
    return {row["stage"]: row["n"] for row in rows}


def failures(ids: list[int]) -> dict[int, str]:
    """Prospects with a failed stage attempt (not ready): id → "company: the last error recorded"."""
    ready = set(Prospect.objects.filter(pk__in=ids, stage=ProspectStage.READY).values_list("pk", flat=True))
    failed = {}
    for data, message in Event.objects.filter(name="stage.failed").order_by("pk").values_list("data", "message"):
        subject = data.get("subject_id")
        if subject in ids and subject not in ready:
            failed[subject] = message
    names = dict(Prospect.objects.filter(pk__in=failed).values_list("pk", "company_name"))
    return {pk: f"{names.get(pk, '?')}: {message}" for pk, message in failed.items()}


# --- the worker run --------------------------------------------------------------------


def start_cluster(queue: str, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **SANDBOX_ENV,
        "DATABASE_URL": database_url(),
        "Q_CLUSTER_NAME": queue,
        "JENGU_Q_WORKERS": str(workers),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killpg reaches every forked worker
    )


def stop_clusters(processes: list[subprocess.Popen], grace: float = 20) -> float:
    """SIGTERM every cluster's process group, SIGKILL what is left after ``grace`` seconds.

    Returns how long the clusters took to stop; nothing outlives the bench.
    """
    started = time.monotonic()
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=max(0.1, grace - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stopped = time.monotonic() - started
    for process in processes:
        with contextlib.suppress(ProcessLookupError):  # forked workers may outlive the parent briefly
            os.killpg(process.pid, signal.SIGKILL)
    return stopped


def wait_until_running(log: Path, clusters: list[subprocess.Popen], offset: int, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in clusters:
            if process.poll() is not None:
                raise RuntimeError(f"a qcluster exited with code {process.returncode}; see {log}")
        text = log.read_bytes()[offset:].decode("utf-8", "replace")
        if all(f"[{queue}] running." in text for queue in QUEUE_NAMES):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the clusters did not report 'running' within {timeout:.0f}s; see {log}")


def worker_run(ids: list[int], workers: int, log: Path, timeout: float) -> dict:
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.exists() else 0
    clusters = []
    try:
        for queue in QUEUE_NAMES:
            clusters.append(start_cluster(queue, workers, log))
        wait_until_running(log, clusters, offset)
        prospects = list(Prospect.objects.filter(pk__in=ids).values_list("pk", "trace_id"))
        started = time.perf_counter()
        started_at = timezone.now()
        with transaction.atomic():
            for pk, trace_id in prospects:
                stage_enqueue("enrichment", subject_id=pk, trace_id=trace_id)
        enqueued = time.perf_counter() - started  # on_commit: one OrmQ insert per prospect
        deadline = started + timeout
        last_report = started
        while True:
            counts = stage_counts(ids)
            now = time.perf_counter()
            # settled: every prospect is ready, or failed an attempt (its retry is minutes away)
            if counts.get(ProspectStage.READY, 0) + len(failures(ids)) >= len(ids):
                break
            for process in clusters:
                if process.poll() is not None:
                    raise RuntimeError(f"a qcluster exited with code {process.returncode}; see {log}")
            if now > deadline:
                print(f"  timed out after {timeout:.0f} s: {counts}")
                break
            if now - last_report >= 5:
                print(f"  {now - started:5.0f} s  {dict(sorted(counts.items()))}", flush=True)
                last_report = now
            time.sleep(0.05)
        wall = time.perf_counter() - started
    finally:
        stop_seconds = stop_clusters(clusters)

    # q2's Task.started is the enqueue time; the claim transition says when a worker began
    claims = {
        (row[0], row[1].removeprefix("start_")): row[2]
        for row in StateTransition.objects.filter(
            object_id__in=ids, transition__in=["start_enrichment", "start_research"]
        ).values_list("object_id", "transition", "created_at")
    }
    per_queue = {}
    for queue in QUEUE_NAMES:
        rows = Task.objects.filter(
            cluster=queue, func="infra.stages.stage_execute", started__gte=started_at
        ).values_list("name", "started", "stopped", "success")
        runs, waits, failed = [], [], 0
        for name, enqueued_at, stopped, success in rows:
            failed += not success
            subject = int(name.split(":")[1])
            claimed = claims.get((subject, queue))
            if claimed and name.endswith("attempt-1"):
                waits.append((claimed - enqueued_at).total_seconds())
                runs.append((stopped - claimed).total_seconds())
        per_queue[queue] = {
            "tasks": len(rows),
            "failed": failed,
            "busy": sum(runs),
            "runs": len(runs),
            "wait": sum(waits) / len(waits) if waits else 0.0,
        }
    return {
        "wall": wall,
        "enqueue": enqueued,
        "ready": stage_counts(ids).get(ProspectStage.READY, 0),
        "started_at": started_at,
        "queues": per_queue,
        "dead_letters": DeadLetter.objects.count(),
        "stop": stop_seconds,
        "failed": failures(ids),
    }


# --- the in-process run, timed by category ---------------------------------------------

CATEGORIES = {
    "html_parse": "HTML parsing (lexbor tree)",
    "html_analysis": "HTML analysis (selectolax queries + rules)",
    "sandbox": "sandbox twins (network in production)",
    "page_files": "page files (store/read HTML in Django storage)",
    "q2_enqueue": "q2 enqueue of the next stage (async_task, w/o SQL)",
    "db": "database (queries + connects, incl. round-trips)",
    "python": "other Python (pipeline logic, ORM, events)",
}


class CategoryClock:
    """Exclusive time per category: time inside a nested category goes to the innermost."""

    def __init__(self):
        self.totals = collections.defaultdict(float)
        self.stack = ["python"]
        self.mark = time.perf_counter()
        self.connects = 0

    def enter(self, category: str):
        now = time.perf_counter()
        self.totals[self.stack[-1]] += now - self.mark
        self.mark = now
        self.stack.append(category)

    def leave(self):
        now = time.perf_counter()
        self.totals[self.stack.pop()] += now - self.mark
        self.mark = now

    def snapshot(self) -> dict[str, float]:
        now = time.perf_counter()
        self.totals[self.stack[-1]] += now - self.mark
        self.mark = now
        return dict(self.totals)

    def wrap(self, category: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            self.enter(category)
            try:
                return func(*args, **kwargs)
            finally:
                self.leave()

        return timed

    def execute_wrapper(self, execute, sql, params, many, context):
        self.enter("db")
        try:
            return execute(sql, params, many, context)
        finally:
            self.leave()


@contextlib.contextmanager
def instrumented(clock: CategoryClock):
    """Wrap the parsing, analysis and sandbox entry points (module attributes, restored after)."""
    import django_q.tasks
    import selectolax.lexbor
    from django.db import connections

    from prospects import analysis, emails, pipeline, team_pages, website
    from prospects.providers.sandbox.research import SandboxResearchSearch
    from prospects.providers.sandbox.search import SandboxSearchClient, SandboxWebTransport
    from prospects.providers.sandbox.verifier import SandboxVerifier

    parser_class = selectolax.lexbor.LexborHTMLParser
    patches = [
        # every `LexborHTMLParser(html)` call builds a tree; the class itself stays for annotations
        (selectolax.lexbor, "LexborHTMLParser", clock.wrap("html_parse", parser_class)),
        (analysis, "LexborHTMLParser", clock.wrap("html_parse", parser_class)),
        (team_pages, "LexborHTMLParser", clock.wrap("html_parse", parser_class)),
        (analysis, "analyze_website", clock.wrap("html_analysis", analysis.analyze_website)),
        (emails, "names_from_team_page", clock.wrap("html_analysis", emails.names_from_team_page)),
        (pipeline, "team_page_url", clock.wrap("html_analysis", pipeline.team_page_url)),
        (django_q.tasks, "async_task", clock.wrap("q2_enqueue", django_q.tasks.async_task)),
        (website, "_store", clock.wrap("page_files", website._store)),
        (website, "page_html", clock.wrap("page_files", website.page_html)),
        (SandboxWebTransport, "handle_request", clock.wrap("sandbox", SandboxWebTransport.handle_request)),
        (SandboxSearchClient, "search", clock.wrap("sandbox", SandboxSearchClient.search)),
        (SandboxResearchSearch, "__call__", clock.wrap("sandbox", SandboxResearchSearch.__call__)),
        (SandboxVerifier, "verify", clock.wrap("sandbox", SandboxVerifier.verify)),
        (SandboxVerifier, "is_catch_all", clock.wrap("sandbox", SandboxVerifier.is_catch_all)),
    ]
    originals = [(target, name, target.__dict__[name]) for target, name, _ in patches]
    # q2's ORM broker closes the connection around each enqueue: count the reconnects as database
    wrapper = connections["default"]
    real_connect = wrapper.connect

    def connect():
        clock.connects += 1
        clock.enter("db")
        try:
            return real_connect()
        finally:
            clock.leave()

    try:
        for target, name, replacement in patches:
            setattr(target, name, replacement)
        wrapper.connect = connect
        with connection.execute_wrapper(clock.execute_wrapper):
            yield
    finally:
        del wrapper.connect
        for target, name, original in originals:
            setattr(target, name, original)


def warm_up():
    """Imports and the sandbox's cached data files, which a long-running worker has loaded too."""
    from prospects import analysis, emails, research, website  # noqa: F401
    from prospects.providers.sandbox import search as sandbox_search

    sandbox_search.sandbox_hotels()
    sandbox_search._hosts()
    sandbox_search._labels()


def in_process_run(ids: list[int]) -> dict:
    warm_up()
    clock = CategoryClock()
    prospects = list(Prospect.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "trace_id"))
    stages = {}
    started = time.perf_counter()
    with instrumented(clock):
        for stage in (ENRICHMENT, RESEARCH):
            before = clock.snapshot()
            stage_started = time.perf_counter()
            for pk, trace_id in prospects:
                stage_execute(stage.name, stage.func, pk, str(trace_id))
            seconds = time.perf_counter() - stage_started
            after = clock.snapshot()
            stages[stage.name] = {
                "seconds": seconds,
                "split": {c: after.get(c, 0.0) - before.get(c, 0.0) for c in CATEGORIES},
            }
    wall = time.perf_counter() - started
    # enrichment handed research on through q2 (OrmQ rows); this run called it directly
    OrmQ.objects.filter(key__in=QUEUE_NAMES).delete()
    return {
        "wall": wall,
        "connects": clock.connects,
        "stages": stages,
        "ready": stage_counts(ids).get(ProspectStage.READY, 0),
        "failed": failures(ids),
    }


# --- report ----------------------------------------------------------------------------


def print_report(args, workers_result: dict, inproc: dict):
    n = args.prospects
    w_rate = workers_result["ready"] / workers_result["wall"] if workers_result["wall"] else 0.0
    i_rate = inproc["ready"] / inproc["wall"] if inproc["wall"] else 0.0
    slots = args.workers

    print("\nThroughput, enrichment + research, sandbox mode")
    header = f"{'run':<44}{'ready':>7}{'seconds':>9}{'prospects/s':>13}"
    print(header)
    print("-" * len(header))
    print(
        f"{f'workers: 2 qclusters x {slots} workers, end to end':<44}"
        f"{workers_result['ready']:>4}/{n:<3}{workers_result['wall']:>8.1f}{w_rate:>13.2f}"
    )
    print(
        f"{'in-process, one at a time, no queue (floor)':<44}"
        f"{inproc['ready']:>4}/{n:<3}{inproc['wall']:>8.1f}{i_rate:>13.2f}"
    )
    if i_rate:
        print(f"ratio worker run / in-process: {w_rate / i_rate:.2f}x")

    print("\nIn-process time by category (exclusive; % of the stage's time)")
    header = f"{'category':<50}" + "".join(f"{s:>13}" for s in [*inproc["stages"], "both"])
    print(header)
    print("-" * len(header))
    total_seconds = sum(s["seconds"] for s in inproc["stages"].values())
    for category, label in CATEGORIES.items():
        cells = ""
        for stage in inproc["stages"].values():
            cells += f"{100 * stage['split'][category] / stage['seconds']:>12.1f}%"
        both = sum(s["split"][category] for s in inproc["stages"].values())
        cells += f"{100 * both / total_seconds:>12.1f}%"
        print(f"{label:<50}{cells}")
    cells = "".join(f"{1000 * s['seconds'] / n:>11.1f}ms" for s in inproc["stages"].values())
    print(f"{'per prospect':<50}{cells}{1000 * total_seconds / n:>11.1f}ms")
    print(f"{'database connections opened':<50}{inproc['connects']:>38}")
    html = sum(s["split"]["html_parse"] + s["split"]["html_analysis"] for s in inproc["stages"].values())
    db = sum(s["split"]["db"] for s in inproc["stages"].values())
    rest = total_seconds - html - db
    print(
        f"summary: HTML parsing+analysis {100 * html / total_seconds:.1f}%, database {100 * db / total_seconds:.1f}%,"
        f" other (Python, sandbox twins, page files, q2 enqueue) {100 * rest / total_seconds:.1f}%"
    )

    print(f"\nWorker run: where the wall time went ({workers_result['wall']:.1f} s end to end)")
    header = (
        f"{'queue':<12}{'tasks':>7}{'failed':>8}{'busy s':>9}{'ms/task':>9}{'queue wait ms':>15}"
        f"{'utilisation':>13}{'waiting':>9}"
    )
    print(header)
    print("-" * len(header))
    total_busy = 0.0
    for queue, q in workers_result["queues"].items():
        total_busy += q["busy"]
        capacity = workers_result["wall"] * slots
        utilisation = q["busy"] / capacity if capacity else 0.0
        per_task = 1000 * q["busy"] / q["runs"] if q["runs"] else 0.0
        print(
            f"{queue:<12}{q['tasks']:>7}{q['failed']:>8}{q['busy']:>9.1f}{per_task:>9.1f}{1000 * q['wait']:>15.0f}"
            f"{100 * utilisation:>12.1f}%{100 * (1 - utilisation):>8.1f}%"
        )
    capacity = workers_result["wall"] * slots * len(QUEUE_NAMES)
    print(
        f"all slots: {len(QUEUE_NAMES) * slots} worker processes x {workers_result['wall']:.1f} s ="
        f" {capacity:.1f} slot-s; tasks busy {total_busy:.1f} s ({100 * total_busy / capacity:.1f}%),"
        f" waiting (queue, poll, idle) {capacity - total_busy:.1f} s ({100 * (1 - total_busy / capacity):.1f}%)"
    )
    in_task = sum(s["seconds"] for s in inproc["stages"].values())
    if total_busy:
        print(
            f"task time in workers {1000 * total_busy / n:.1f} ms/prospect vs in-process {1000 * in_task / n:.1f}"
            f" ms/prospect ({total_busy / in_task:.2f}x: concurrency on one machine and one database)"
        )
    print(
        f"enqueue of {n} enrichment tasks took {workers_result['enqueue']:.2f} s;"
        f" dead letters: {workers_result['dead_letters']}; the clusters took {workers_result['stop']:.1f} s to stop"
    )
    load = os.getloadavg()
    print(
        f"load average after the run: {load[0]:.2f} on {os.cpu_count()} CPUs;"
        f" q2 poll interval {settings.Q_CLUSTER['poll']} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prospects", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="JENGU_Q_WORKERS of each qcluster")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for every prospect to be ready")
    parser.add_argument("--log", type=Path, default=REPO / "var" / "bench-enrichment-qcluster.log")
    args = parser.parse_args()

    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so the finally blocks kill the clusters
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        return run(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def run(args) -> int:
    ensure_database()
    call_command("migrate", verbosity=0)
    hotels = len(sandbox_hotels())
    version = connection.pg_version
    print(
        f"PostgreSQL {version // 10000}.{version % 10000}; {args.prospects} prospects from {hotels} sandbox hotels"
        + (f" (past {hotels}: further contacts at the same hotels)" if args.prospects > hotels else "")
    )

    print(f"\nworker run: 2 qclusters x {args.workers} workers; their output goes to {args.log}", flush=True)
    clear_pipeline()
    ids = create_prospects(args.prospects)
    workers_result = worker_run(ids, args.workers, args.log, args.timeout)

    print("in-process run (same prospects, cold caches) …", flush=True)
    clear_pipeline()
    ids = create_prospects(args.prospects)
    inproc = in_process_run(ids)

    print_report(args, workers_result, inproc)
    ok = workers_result["ready"] == args.prospects and inproc["ready"] == args.prospects
    if not ok:
        print(
            f"\nFAIL: not every prospect reached ready (worker run {workers_result['ready']}/{args.prospects},"
            f" in-process {inproc['ready']}/{args.prospects}); failed attempts:"
        )
        for run, result in (("worker run", workers_result), ("in-process", inproc)):
            for pk, message in sorted(result["failed"].items()):
                print(f"  {run} #{pk} {message[:200]}")
        print("  (a settled run stops at a prospect's first failure; its retries would come 30 s and 300 s later)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
