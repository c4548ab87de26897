"""Emails per second through the full send path, next to a bare smtplib loop (the floor).

Usage (any database; by default a scratch SQLite file, removed at exit)::

    .venv/bin/python bench/sending.py [--emails 300] [--runs 3]
    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_send .venv/bin/python bench/sending.py

The run migrates, clears the outreach tables it uses, and queues ``--emails`` first
emails (one prospect, sequence and email each, and the address's unsubscribe link, as
composition leaves them) for one inbox whose cap is far above the count. Both loops
send to the same aiosmtpd sink (tests.support.smtp_sink.RecordingSink, in a thread of
this process) in the same run:

1. the floor: a bare smtplib loop sending the same number of similar messages (same
   size, headers and footer), one connection per message, and — for reference — the
   same over a single reused connection;
2. the send path: ``sender_run`` with pacing off (no random skip, no wait, business
   hours not enforced), ``limit=--emails``, no ESP keys, so every email takes the
   inbox's SMTP server: the send-time re-checks, the claim, the slot, the Message-ID,
   the provider attempt event, the send, the audit row, the prospect's and sequence's
   transitions.

With ``--runs N`` both loops run N times (a fresh queue each time) and the best of each
is shown: on a shared machine the best run is the least disturbed one.

It prints emails/s and the send path's ratio to the floor (issue 18's target: at least
0.3), the queries per email by statement and table (target: at most 15; counted as
``connection.execute_wrapper`` sees them: SQLite's BEGIN counts, a COMMIT does not), and
where the send path's time goes: the SMTP provider (Django's SMTP backend over smtplib,
the STARTTLS probe apart), the database (executing the queries; the commits apart), the
ORM compiling them, and the rest of the Python.
"""

import argparse
import collections
import contextlib
import email.message
import os
import random
import shutil
import smtplib
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # run as a script, sys.path[0] is bench/; tests.support lives one level up
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
SCRATCH = Path(tempfile.mkdtemp(prefix="jengu-bench-sending-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ.update({"DEBUG": "false", "RESEND_API_KEY": "", "SENDGRID_API_KEY": "", "JENGU_VAR_DIR": str(SCRATCH)})

import django  # noqa: E402

django.setup()

from constance import config  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.sql import compiler  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from infra.models import CircuitState  # noqa: E402
from outreach.models import Campaign, Email, EmailStatus, Inbox, InboxDay, Sequence  # noqa: E402
from outreach.providers.smtp import SmtpProvider  # noqa: E402
from outreach.services.sending import Pacing, sender_run  # noqa: E402
from outreach.unsubscribe import unsubscribe_token  # noqa: E402
from prospects.models import Prospect, ProspectStage  # noqa: E402
from tests.support.smtp_sink import RecordingSink  # noqa: E402

BODY = (
    "Hi Anna,\n\nI saw that Harbour View Hotel is hiring a Front Desk Manager. While that seat is empty, "
    "the rest of the team carries the load, and small tasks pile up fast.\n\nWe help hotels take routine "
    "work off the front desk, so the team has more time for guests.\n\nWorth a 15-minute conversation "
    "next week?\n\nBest,\nEdd Chen"
)
ADDRESS = "Jengu Ltd, 1 Harbour Street, Bristol BS1 4AA, UK"


def setup_queue(count: int, sink_port: int) -> Inbox:
    """One inbox with a cap far above ``count`` and ``count`` queued first emails."""
    Email.objects.all().delete()
    Sequence.objects.all().delete()
    Prospect.objects.all().delete()
    InboxDay.objects.all().delete()
    Inbox.objects.all().delete()
    CircuitState.objects.all().delete()
    config.SENDING_ENABLED = True
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench campaign", defaults={"product_pitch": "x", "sender_name": "Edd Chen", "postal_address": ADDRESS}
    )
    inbox = Inbox.objects.create(
        email="edd@mail.jengu.test", display_name="Edd Chen", smtp_host="127.0.0.1", smtp_port=sink_port,
        warmup_started_on=timezone.localdate() - timezone.timedelta(days=365), daily_ceiling=count * 10,
    )  # fmt: skip
    with transaction.atomic():
        for i in range(count):
            prospect = Prospect.objects.create(
                name="Anna Weber", company_name=f"Harbour View Hotel {i}", email=f"gm{i}@hotel{i}.example",
                city="Denver", country="US", timezone="America/Denver", stage=ProspectStage.QUEUED,
            )  # fmt: skip
            Sequence.objects.create(prospect=prospect, campaign=campaign)
            Email.objects.create(
                prospect=prospect, campaign=campaign, subject="Faster check-ins at Harbour View Hotel?",
                body=BODY, to_email=prospect.email, status=EmailStatus.QUEUED,
            )  # fmt: skip
            unsubscribe_token(prospect.email)  # composition makes the address's link when it queues the email
    return inbox


def similar_message(i: int) -> email.message.EmailMessage:
    """What the send path puts on the wire, built by hand: headers, body and footer of the same size."""
    message = email.message.EmailMessage()
    message["Subject"] = "Faster check-ins at Harbour View Hotel?"
    message["From"] = "Edd Chen <edd@mail.jengu.test>"
    message["To"] = f"gm{i}@hotel{i}.example"
    message["Message-ID"] = f"<{os.urandom(16).hex()}@mail.jengu.test>"
    url = f"http://127.0.0.1:8000/u/{os.urandom(40).hex()}/"
    message["List-Unsubscribe"] = f"<{url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = f"--\n{ADDRESS}\nNot the right time? One click and we won't write again:\n{url}\n"
    message.set_content(f"{BODY}\n\n{footer}")
    return message


def floor_loop(count: int, port: int, *, reuse: bool) -> float:
    started = time.perf_counter()
    if reuse:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(count):
                smtp.send_message(similar_message(i))
    else:
        for i in range(count):
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.send_message(similar_message(i))
    return time.perf_counter() - started


class Timers:
    """Exclusive times: SMTP (with its probe apart), query execution, commits, the ORM around
    them, the rest; and the queries by statement and table.

    The ORM timer covers the compilers' ``execute_sql`` (building the SQL and the cursor
    round-trip, which the database timer takes out again); turning fetched rows into
    model instances happens after it and stays in "the rest".
    """

    COMPILERS = [compiler.SQLCompiler, compiler.SQLInsertCompiler, compiler.SQLUpdateCompiler]

    def __init__(self):
        self.smtp = self.probe = self.db = self.commit = self.orm = 0.0
        self.statements = collections.Counter()
        self._in_smtp = False
        self._orm_depth = 0

    @property
    def queries(self) -> int:
        return sum(self.statements.values())

    def database(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements[statement_kind(sql)] += 1
            if not self._in_smtp:
                self.db += time.perf_counter() - started

    @contextlib.contextmanager
    def patched(self):
        real_send, real_probe = SmtpProvider.send, SmtpProvider._use_starttls
        real_commit = connection._commit
        timers = self

        def send(provider, message):
            started = time.perf_counter()
            timers._in_smtp = True
            try:
                return real_send(provider, message)
            finally:
                timers._in_smtp = False
                timers.smtp += time.perf_counter() - started

        def probe(provider):
            started = time.perf_counter()
            try:
                return real_probe(provider)
            finally:
                timers.probe += time.perf_counter() - started

        def commit():
            started = time.perf_counter()
            try:
                return real_commit()
            finally:
                timers.commit += time.perf_counter() - started

        def timed_execute_sql(real):
            def execute_sql(*args, **kwargs):
                if timers._orm_depth or timers._in_smtp:  # an UPDATE's inner SELECT: already timed
                    return real(*args, **kwargs)
                timers._orm_depth += 1
                started = time.perf_counter()
                try:
                    return real(*args, **kwargs)
                finally:
                    timers._orm_depth -= 1
                    timers.orm += time.perf_counter() - started

            return execute_sql

        real_compilers = {cls: cls.__dict__["execute_sql"] for cls in self.COMPILERS}
        SmtpProvider.send, SmtpProvider._use_starttls = send, probe
        connection._commit = commit
        for cls, real in real_compilers.items():
            cls.execute_sql = timed_execute_sql(real)
        try:
            with connection.execute_wrapper(self.database):
                yield self
        finally:
            SmtpProvider.send, SmtpProvider._use_starttls = real_send, real_probe
            del connection._commit
            for cls, real in real_compilers.items():
                cls.execute_sql = real


def statement_kind(sql: str) -> str:
    """'UPDATE outreach_email', 'INSERT infra_event', 'BEGIN', …"""
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    if verb in ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    follows = zip(words, words[1:], strict=False)
    return f"{verb} {next((w for prev, w in follows if prev.upper() in ('FROM', 'INTO', 'UPDATE')), '')}".strip()


def ensure_database():
    """On PostgreSQL, create the bench database when it is missing (SQLite creates its file)."""
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        return
    import psycopg

    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def send_path(n: int, sink: RecordingSink) -> tuple[float, Timers]:
    setup_queue(n, sink.port)
    sink.messages.clear()
    pacing = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0, business_hours=False)
    with Timers().patched() as timers:
        started = time.perf_counter()
        report = sender_run(rng=random.Random(1), limit=n, pacing=pacing)
        full = time.perf_counter() - started
    sent_ids = sink.message_ids()
    assert report.sent == n, f"only {report.sent} of {n} sent: {report}"
    assert len(sent_ids) == n and max(sent_ids.values()) == 1, "a message arrived twice or not at all"
    assert Email.objects.filter(status=EmailStatus.SENT).count() == n
    return full, timers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=300)
    parser.add_argument("--runs", type=int, default=1, help="run both loops this many times; show the best")
    parser.add_argument(
        "--sqlite-wal",
        action="store_true",
        help="SQLite in WAL mode with synchronous=NORMAL (a commit without an fsync), to see what the commits cost",
    )
    args = parser.parse_args()
    n = args.emails
    ensure_database()
    call_command("migrate", verbosity=0)
    if args.sqlite_wal and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
    reverse("admin:index")  # load the URLconf first (unsubscribe links reverse a URL), as a worker has

    floors, reused, paths = [], [], []
    with RecordingSink() as sink:
        for _ in range(args.runs):
            sink.messages.clear()
            floors.append(floor_loop(n, sink.port, reuse=False))
            reused.append(floor_loop(n, sink.port, reuse=True))
            assert len(sink.message_ids()) == 2 * n, "the sink lost floor messages"
            paths.append(send_path(n, sink))
    floor = min(floors)
    full, timers = min(paths, key=lambda run: run[0])
    journal = ", WAL, synchronous=NORMAL" if args.sqlite_wal and connection.vendor == "sqlite" else ""
    print(f"\n{n} queued emails, {connection.vendor}{journal}, best of {args.runs} run(s)")

    rows = [
        ("smtplib, one connection per message (floor)", floor),
        ("smtplib, one reused connection", min(reused)),
        ("full send path (sender_run)", full),
    ]
    print(f"\n{'loop':<46}{'seconds':>9}{'emails/s':>10}{'of floor':>10}")
    for label, seconds in rows:
        print(f"{label:<46}{seconds:>9.2f}{n / seconds:>10.1f}{floor / seconds:>10.2f}")

    per_email = sum(count for count in timers.statements.values() if count >= n / 2)  # the rest: once per run
    print(
        f"\nqueries per email: {timers.queries / n:.2f} (target at most 15): {per_email / n:.2f} for each email, "
        f"{timers.queries - per_email} for the run (its settings, the due inboxes, the day's first cap)"
    )
    for kind, count in sorted(timers.statements.items(), key=lambda item: (-item[1], item[0])):
        if count / n >= 0.01:
            print(f"  {kind:<46}{count / n:>6.2f}")

    db, commit, smtp, probe, orm = timers.db, timers.commit, timers.smtp, timers.probe, timers.orm - timers.db
    rest = full - db - commit - smtp - orm
    print(f"\nwhere the send path's time goes ({full / n * 1000:.1f} ms per email):")
    for label, seconds in [
        ("SMTP send (message, Django's backend, smtplib)", smtp - probe),
        ("STARTTLS probe (a second connection)", probe),
        ("database: executing the queries", db),
        ("database: commits", commit),
        ("ORM: compiling the queries", orm),
        ("the rest: querysets, rows to models, checks, log", rest),
    ]:
        print(f"  {label:<50}{seconds / n * 1000:>7.2f} ms{seconds / full:>8.0%}")
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
