"""Emails a day the pool sends, on a virtual clock: 500 inboxes (10,000/day), then 2,500 (50,000/day).

Usage (PostgreSQL; the database is created if missing and its outreach tables emptied)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_volume .venv/bin/python bench/send_volume.py \\
        [--inboxes 500 --days 7] [--inboxes 2500 --days 2] [--seed 7]

Each ``--inboxes N --days D`` pair is one scenario (default: 500 inboxes for 7 days, then
2,500 for 2). A scenario creates N inboxes at a warmed cap of 20 a day (warmup long
over, no jitter: capacity exactly 20 × N) and enough queued first emails for every day,
to hotels in 15 countries and 18 time zones (New York to Sydney, Riyadh's Friday–Saturday
weekend included), then runs the every-minute cron — ``sender_run`` at the live pace,
each inbox its own turns (random skips 30 %, at least 3 minutes apart, its cap spread
over 8 hours), business hours enforced — for D simulated days from a Monday 00:00 UTC.
Everything is the product's code on a real database; only the providers are replaced by
an in-process recorder (no SMTP), and the clock is virtual.

Printed per simulated day: emails sent (against the day's capacity), cap violations
(an inbox's sends on a day above its cap), emails sent twice (a Message-ID or an email
recorded twice by the recorder), sends outside the prospect's working hours (checked
again with ``business_hours_check`` at the send time), the smallest gap between two
sends of one inbox, and the wall-clock and CPU seconds (this process) the day cost.
"""

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # run as a script, sys.path[0] is bench/
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench_volume")
os.environ.update({"DEBUG": "false", "RESEND_API_KEY": "", "SENDGRID_API_KEY": ""})

import django  # noqa: E402

django.setup()

from constance import config  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402

from infra.models import CircuitState, Event, StateTransition  # noqa: E402
from outreach import business_hours  # noqa: E402
from outreach.models import (  # noqa: E402
    TIER_SEND_RANK,
    Campaign,
    Email,
    EmailStatus,
    Inbox,
    InboxDay,
    SendDecision,
    Sequence,
)
from outreach.services import delivery, sending  # noqa: E402
from outreach.services.pacing import Pacing  # noqa: E402
from outreach.services.sending import sender_run  # noqa: E402
from prospects.models import Prospect, ProspectStage, Tier  # noqa: E402

# (country, IANA zone, share of hotels): 15 countries, 18 zones, every continent with hotels
MARKETS = [
    ("US", "America/New_York", 12), ("US", "America/Chicago", 6), ("US", "America/Denver", 4),
    ("US", "America/Los_Angeles", 8), ("MX", "America/Mexico_City", 4), ("BR", "America/Sao_Paulo", 5),
    ("GB", "Europe/London", 10), ("IE", "Europe/Dublin", 3), ("FR", "Europe/Paris", 8),
    ("ES", "Europe/Madrid", 7), ("NL", "Europe/Amsterdam", 4), ("ZA", "Africa/Johannesburg", 3),
    ("SA", "Asia/Riyadh", 4), ("AE", "Asia/Dubai", 5), ("IN", "Asia/Kolkata", 6),
    ("SG", "Asia/Singapore", 4), ("JP", "Asia/Tokyo", 4), ("AU", "Australia/Sydney", 5),
]  # fmt: skip
START = datetime.datetime(2027, 3, 1, 0, 0, tzinfo=datetime.UTC)  # a Monday, no DST change that week
CAP = 20
TIERS = [Tier.HOT] * 2 + [Tier.WARM] * 5 + [Tier.COLD] * 3


class Recorder:
    """The providers' stand-in: takes every message and remembers what it took and when."""

    name = "recorder"
    idempotent = False

    def __init__(self):
        self.message_ids: Counter = Counter()

    def send(self, message):
        self.message_ids[message.message_id] += 1
        return message.message_id


def ensure_database():
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        raise SystemExit("bench/send_volume.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def empty_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE outreach_senddecision, outreach_email, outreach_sequence, outreach_inboxday, outreach_inbox, "
            "outreach_unsubscribelink, prospects_prospect, infra_statetransition, infra_event, infra_circuitstate "
            "RESTART IDENTITY CASCADE"
        )


def setup(inboxes: int, days: int, rng: random.Random) -> int:
    """N warmed inboxes and enough queued first emails for ``days`` days at full capacity (and a margin)."""
    empty_tables()
    config.SENDING_ENABLED = True
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 120
    config.RANDOM_SKIP_PROBABILITY = 0.3
    config.INBOX_MIN_GAP_SECONDS = 180
    config.INBOX_SPREAD_HOURS = 8.0
    campaign, _ = Campaign.objects.get_or_create(
        name="Volume bench",
        defaults={"product_pitch": "x", "sender_name": "Edd Chen", "postal_address": "Jengu, 1 Quay St, Galway"},
    )
    warmed = START.date() - datetime.timedelta(days=365)
    Inbox.objects.bulk_create(
        Inbox(email=f"sender{i}@mail{i % 50}.jengu.test", display_name="Edd Chen", smtp_host="127.0.0.1",
              smtp_port=25, warmup_started_on=warmed, daily_ceiling=CAP)
        for i in range(inboxes)
    )  # fmt: skip
    total = int(inboxes * CAP * days * 1.15)
    weights = [share for *_, share in MARKETS]
    batch = 5000
    for start in range(0, total, batch):
        with transaction.atomic():
            prospects = []
            for i in range(start, min(start + batch, total)):
                country, zone, _ = rng.choices(MARKETS, weights=weights)[0]
                prospects.append(
                    Prospect(
                        name="Anna Weber", company_name=f"Hotel {i}", email=f"gm@hotel{i}.example",
                        company_website=f"https://hotel{i}.example", city="X", country=country, timezone=zone,
                        stage=ProspectStage.QUEUED, tier=rng.choice(TIERS), trace_id=uuid.uuid4(),
                        company_key=f"hotel {i}", city_key="x", contact_key=f"gm@hotel{i}.example",
                        website_domain=f"hotel{i}.example",
                    )
                )  # fmt: skip
            Prospect.objects.bulk_create(prospects)
            Sequence.objects.bulk_create(Sequence(prospect=p, campaign=campaign) for p in prospects)
            Email.objects.bulk_create(
                Email(prospect=p, campaign=campaign, subject="Faster check-ins?", body="Hi Anna,\n\nA note.\n\nEdd",
                      to_email=p.email, status=EmailStatus.QUEUED, trace_id=p.trace_id,
                      send_rank=TIER_SEND_RANK[p.tier])
                for p in prospects
            )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return total


def day_figures(day: datetime.date, recorder: Recorder, pacing: Pacing) -> dict:
    sent = Email.objects.filter(sent_at__date=day, status=EmailStatus.SENT).select_related("prospect")
    per_inbox = Counter()
    times = defaultdict(list)
    outside = 0
    for email in sent.iterator(chunk_size=2000):
        per_inbox[email.inbox_id] += 1
        times[email.inbox_id].append(email.sent_at)
        if not business_hours.business_hours_check(email.prospect, email.sent_at).ok:
            outside += 1
    caps = dict(InboxDay.objects.filter(day=day).values_list("inbox_id", "cap"))
    over = sum(max(0, n - caps.get(inbox_id, CAP)) for inbox_id, n in per_inbox.items())
    gaps = [
        (b - a).total_seconds()
        for series in times.values()
        for a, b in zip(sorted(series), sorted(series)[1:], strict=False)
    ]
    return {"sent": sum(per_inbox.values()), "over_cap": over, "outside_hours": outside,
            "min_gap": min(gaps) if gaps else None}  # fmt: skip


def scenario(inboxes: int, days: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    started = time.perf_counter()
    queued = setup(inboxes, days, rng)
    print(f"\n{inboxes} inboxes × {CAP}/day = {inboxes * CAP:,} a day of capacity; {queued:,} queued first emails "
          f"in {len(MARKETS)} zones ({time.perf_counter() - started:.0f} s to set up)")  # fmt: skip
    recorder = Recorder()
    # every send lands in the recorder (the send path takes its providers from providers_for)
    sending.providers_for = delivery.providers_for = lambda inbox: [recorder]
    pacing = Pacing.live()
    assert pacing.business_hours and pacing.spread_hours == 8.0
    rows = []
    header = f"{'day':<12}{'sent':>8}{'capacity':>10}{'share':>7}{'over cap':>9}{'twice':>7}{'outside':>9}" \
             f"{'min gap s':>10}{'wall s':>8}{'cpu s':>7}"  # fmt: skip
    print(header)
    for offset in range(days):
        day_start = START + datetime.timedelta(days=offset)
        wall, cpu = time.perf_counter(), time.process_time()
        for minute in range(24 * 60):
            at = day_start + datetime.timedelta(minutes=minute)
            sender_run(clock=lambda at=at: at, rng=rng, pacing=pacing)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        figures = day_figures(day_start.date(), recorder, pacing)
        twice = sum(n - 1 for n in recorder.message_ids.values() if n > 1)
        capacity = inboxes * CAP
        row = {"day": f"{day_start:%a %d %b}", **figures, "capacity": capacity, "twice": twice, "wall": wall,
               "cpu": cpu}  # fmt: skip
        rows.append(row)
        gap = f"{figures['min_gap']:.0f}" if figures["min_gap"] is not None else "-"
        print(f"{row['day']:<12}{row['sent']:>8,}{capacity:>10,}{row['sent'] / capacity:>7.0%}{row['over_cap']:>9}"
              f"{twice:>7}{row['outside_hours']:>9}{gap:>10}{wall:>8.0f}{cpu:>7.0f}", flush=True)  # fmt: skip
    decisions = Counter(SendDecision.objects.values_list("reason", flat=True))
    print(f"send decisions: {dict(decisions.most_common(8))}")
    print(f"rows kept: {StateTransition.objects.count():,} transitions, {Event.objects.count():,} events, "
          f"{CircuitState.objects.count()} circuits")  # fmt: skip
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inboxes", type=int, action="append", help="inboxes in a scenario (repeatable)")
    parser.add_argument("--days", type=int, action="append", help="simulated days of that scenario")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    inboxes, days = args.inboxes or [500, 2500], args.days or [7, 2]
    if len(inboxes) != len(days):
        parser.error("give one --days per --inboxes")
    ensure_database()
    call_command("migrate", verbosity=0)
    reverse("admin:index")  # load the URLconf first (unsubscribe links reverse a URL), as a worker has
    for n, d in zip(inboxes, days, strict=True):
        scenario(n, d, args.seed)
    print(f"\n{connection.vendor}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
