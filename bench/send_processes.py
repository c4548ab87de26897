"""Emails a second with 1, 2 and 4 sender processes: real q2 workers on Redis draining 5,000 emails.

Usage (PostgreSQL and Redis; the database is created if missing and its outreach tables emptied)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_procs .venv/bin/python bench/send_processes.py \\
        [--emails 5000] [--processes 1 --processes 2 --processes 4]

The real-time twin of ``bench/send_volume.py``, with pacing off (no random skips, no gap
between an inbox's sends, business hours ignored): 250 warmed inboxes at 20 a day
(capacity exactly 5,000), 5,000 queued first emails, and an aiosmtpd sink (a thread of
this process) as every inbox's SMTP server. For each process count N, one ``sending``
cluster (``manage.py qcluster``, ``JENGU_Q_WORKERS=N``) takes the tasks from Redis while
this process plays the cron: whenever the queue runs low it calls ``sender_run(fan_out=True)``,
which queues one turn per due inbox — exactly what the every-minute job does, only more
often. Each turn sends at most one email.

Printed per process count: emails sent, seconds from the first task queued to the last
email in the sink, emails/s (and the ratio to one process), cap violations (an inbox's
sends above its cap), emails sent twice (a Message-ID twice in the sink, or the sink's
count above the emails marked sent), emails the sink got that we did not mark sent.

Redis: a database number of its own, claimed as the test suite claims one
(tests.support.brokers: a free number 1–15, emptied before and after).
"""

import argparse
import contextlib
import datetime
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # run as a script, sys.path[0] is bench/; tests.support lives one level up
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench_procs")

from tests.support.brokers import redis_database_claim, redis_reachable  # noqa: E402

if not redis_reachable():
    raise SystemExit("bench/send_processes.py needs Redis (127.0.0.1:6379, or JENGU_TEST_REDIS=host:port)")
REDIS = redis_database_claim()
if REDIS is None:
    raise SystemExit("no free Redis database (1–15); set JENGU_TEST_REDIS_DB")
WORKER_ENV = {
    "REDIS_URL": REDIS.url,
    "DEBUG": "false",
    "RESEND_API_KEY": "",
    "SENDGRID_API_KEY": "",
    "SENDING_BUSINESS_HOURS": "ignored",
}
os.environ.update(WORKER_ENV)

import django  # noqa: E402

django.setup()
logging.getLogger("django-q").setLevel(logging.WARNING)  # one line per task queued otherwise

from constance import config  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_q.brokers import get_broker  # noqa: E402

from outreach.models import TIER_SEND_RANK, Campaign, Email, EmailStatus, Inbox, InboxDay, Sequence  # noqa: E402
from outreach.services.sending import sender_run  # noqa: E402
from prospects.models import Prospect, ProspectStage, Tier  # noqa: E402
from tests.support.smtp_sink import RecordingSink  # noqa: E402
from tests.support.workers import database_url, start_cluster, stop  # noqa: E402

CAP = 20


def ensure_database():
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        raise SystemExit("bench/send_processes.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def setup(emails: int, sink_port: int) -> None:
    """``emails`` queued first emails and enough warmed inboxes (cap 20) to send exactly that many today."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE outreach_senddecision, outreach_email, outreach_sequence, outreach_inboxday, outreach_inbox, "
            "outreach_unsubscribelink, prospects_prospect, infra_statetransition, infra_event, infra_circuitstate, "
            "django_q_task RESTART IDENTITY CASCADE"
        )
    config.SENDING_ENABLED = True
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0
    config.RANDOM_SKIP_PROBABILITY = 0.0
    config.INBOX_MIN_GAP_SECONDS = 0
    config.INBOX_SPREAD_HOURS = 0.0
    campaign, _ = Campaign.objects.get_or_create(
        name="Processes bench",
        defaults={"product_pitch": "x", "sender_name": "Edd Chen", "postal_address": "Jengu, 1 Quay St, Galway"},
    )
    warmed = timezone.now().date() - datetime.timedelta(days=365)
    Inbox.objects.bulk_create(
        Inbox(email=f"sender{i}@mail{i % 50}.jengu.test", display_name="Edd Chen", smtp_host="127.0.0.1",
              smtp_port=sink_port, warmup_started_on=warmed, daily_ceiling=CAP)
        for i in range(-(-emails // CAP))
    )  # fmt: skip
    tiers = [Tier.HOT, Tier.WARM, Tier.WARM, Tier.COLD]
    with transaction.atomic():
        prospects = Prospect.objects.bulk_create(
            Prospect(name="Anna Weber", company_name=f"Hotel {i}", email=f"gm@hotel{i}.example",
                     company_website=f"https://hotel{i}.example", city="Dublin", country="IE",
                     timezone="Europe/Dublin", stage=ProspectStage.QUEUED, tier=tiers[i % 4], trace_id=uuid.uuid4(),
                     company_key=f"hotel {i}", city_key="dublin", contact_key=f"gm@hotel{i}.example",
                     website_domain=f"hotel{i}.example")
            for i in range(emails)
        )  # fmt: skip
        Sequence.objects.bulk_create(Sequence(prospect=p, campaign=campaign) for p in prospects)
        Email.objects.bulk_create(
            Email(prospect=p, campaign=campaign, subject="Faster check-ins?", body="Hi Anna,\n\nA note.\n\nEdd",
                  to_email=p.email, status=EmailStatus.QUEUED, trace_id=p.trace_id, send_rank=TIER_SEND_RANK[p.tier])
            for p in prospects
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def drain(processes: int, emails: int, sink: RecordingSink, log: Path) -> dict:
    """Play the cron until every email went out (or nothing moved for a minute); the figures."""

    class Redis:  # what tests.support.workers.start_cluster reads of a broker
        env = WORKER_ENV

    broker = get_broker("sending")
    cluster = start_cluster("sending", log, Redis, workers=processes, timeout=60, retry=90, env=WORKER_ENV)
    try:
        started = time.perf_counter()
        last_progress, last_count, sent = started, -1, 0
        while sent < emails and time.perf_counter() - last_progress < 60:
            if (broker.queue_size() or 0) < 2 * processes:
                sender_run(fan_out=True)
            time.sleep(0.05)
            sent = len(sink.raw)
            if sent != last_count:
                last_progress, last_count = time.perf_counter(), sent
        seconds = last_progress - started
    finally:
        # the broker still holds turns queued while the backlog drained: the work is done, so a
        # short graceful stop, then the group killed (tests.support.workers.stop kills what is left)
        with contextlib.suppress(subprocess.TimeoutExpired):
            stop(cluster, timeout=10)
    ids = sink.message_ids()
    marked_sent = Email.objects.filter(status=EmailStatus.SENT).count()
    per_inbox = Email.objects.filter(status=EmailStatus.SENT).values("inbox_id").annotate(n=Count("id"))
    caps = dict(InboxDay.objects.values_list("inbox_id", "cap"))
    return {
        "processes": processes,
        "sent": len(sink.raw),
        "seconds": seconds,
        "over_cap": sum(max(0, row["n"] - caps.get(row["inbox_id"], CAP)) for row in per_inbox),
        "twice": sum(n - 1 for n in ids.values() if n > 1) + max(0, len(sink.raw) - marked_sent),
        "unrecorded": len(set(ids) - set(Email.objects.filter(status=EmailStatus.SENT).values_list(
            "message_id", flat=True))),
    }  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--processes", type=int, action="append", help="sender processes (repeatable)")
    args = parser.parse_args()
    counts = args.processes or [1, 2, 4]
    ensure_database()
    call_command("migrate", verbosity=0)
    reverse("admin:index")  # load the URLconf first (unsubscribe links reverse a URL), as a worker has
    os.environ["DATABASE_URL"] = database_url()
    log = Path(f"/tmp/jengu-bench-processes-{os.getpid()}.log")
    print(f"{args.emails:,} queued first emails, {-(-args.emails // CAP)} inboxes × {CAP}/day; the sending "
          f"cluster on Redis ({REDIS.url}); worker log {log}")  # fmt: skip
    print(f"{'processes':>9}{'sent':>7}{'seconds':>9}{'emails/s':>10}{'× one':>7}{'over cap':>9}{'twice':>7}"
          f"{'unrecorded':>11}")  # fmt: skip
    one = None
    try:
        for processes in counts:
            REDIS.flush()
            with RecordingSink() as sink:
                setup(args.emails, sink.port)
                row = drain(processes, args.emails, sink, log)
            rate = row["sent"] / row["seconds"] if row["seconds"] else 0.0
            one = one or rate
            print(f"{processes:>9}{row['sent']:>7,}{row['seconds']:>9.1f}{rate:>10.1f}{rate / one:>7.2f}"
                  f"{row['over_cap']:>9}{row['twice']:>7}{row['unrecorded']:>11}", flush=True)  # fmt: skip
    finally:
        REDIS.flush()
        REDIS.release()
    print(f"\n{connection.vendor}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
