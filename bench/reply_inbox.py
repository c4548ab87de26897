"""How fast the reply inbox is on a large data set, against the reply changelist it replaced.

Usage (PostgreSQL only; the database is created if missing and kept between runs)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench .venv/bin/python bench/reply_inbox.py \\
        [--rows 1000000] [--replies 500000]

It migrates, tops the prospect table up to ``--rows`` with bench/admin.py's loader, then
gives the contacted prospects ``--replies`` replies (each answering one email of ours,
both loaded with COPY): intents in a realistic mix, about 2 % needing a human, received
over two years; ten Sales users own a third of the prospects that replied. Each page is
requested in-process (django.test.Client, one of those Sales users, DEBUG off): the
median of ``--runs`` requests after a warmup; the query count comes from one further
request. Measured: the inbox's five views, a late page, the reading pane (from *Needs a
human*, and from *All* with its previous/next over every reply), and the same requests on
the reply changelist and change page as they were before the inbox (the ModelAdmin of
issue 19, on a separate AdminSite).
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import types
import uuid
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.text import Truncator  # noqa: E402

from bench.admin import ensure_database, load_prospects  # noqa: E402
from infra.admin import LargeTableAdmin  # noqa: E402
from jengu import urls as project_urls  # noqa: E402
from jengu.roles import SALES  # noqa: E402
from outreach.models import Campaign, Email, Inbox  # noqa: E402
from prospects.models import Prospect  # noqa: E402
from replies.admin import ConfidenceBandFilter, MatchedFilter, ReplyAdmin, confirm_readings  # noqa: E402
from replies.models import Reply  # noqa: E402

TARGET_MS = 150
SELLERS = 10
CONTACTED = ("contacted", "engaged", "replied", "meeting", "won", "lost")

# (intent, weight, share needing a human, what they wrote)
INTENTS = [
    ("out_of_office", 30, 0.0, "I am out of the office until Monday 14 January with limited access to email."),
    ("not_interested", 22, 0.01, "Thanks, but we are happy with our current set-up."),
    ("unsubscribe", 12, 0.0, "Please remove me from your list."),
    ("interested", 9, 0.12, "Sounds interesting — what would it take to try it at our front desk?"),
    ("needs_more_info", 9, 0.08, "How does it work with Opera PMS, and what does it cost per room?"),
    ("meeting_request", 4, 0.15, "Could we talk on Thursday afternoon? Our peak is Friday check-in."),
    ("delegated", 5, 0.04, "I'm not the right person — please write to our rooms division manager."),
    ("wrong_person", 4, 0.01, "Sarah left the hotel last year."),
    ("bounce", 5, 0.0, "Delivery to the following recipient failed permanently."),
]

# --- the inbox as it was before (issue 19's ModelAdmin) ------------------------------------------


class BeforeInboxReplyAdmin(LargeTableAdmin):
    list_display = [
        "needs_human_flag",
        "received_at",
        "from_email",
        "prospect",
        "what_they_said",
        "intent",
        "confidence",
        "action_status",
        "match_rule",
    ]
    actions = [confirm_readings]
    list_display_links = ["received_at", "from_email"]
    list_filter = [
        "needs_human",
        "action_status",
        "intent",
        ConfidenceBandFilter,
        MatchedFilter,
        "match_rule",
        "sentiment",
        "source",
        "is_auto_reply",
    ]
    ordering = ["-needs_human", "-received_at"]
    search_fields = ["from_email", "subject", "prospect__company_name", "body"]
    date_hierarchy = "received_at"
    list_select_related = ["prospect", "email"]
    # Django's own templates: the inbox's would be found first for this model
    change_list_template = "admin/change_list.html"
    change_form_template = "admin/change_form.html"
    readonly_fields = ReplyAdmin.readonly_fields
    fieldsets = ReplyAdmin.fieldsets
    needs_human_flag = ReplyAdmin.needs_human_flag
    body_display = ReplyAdmin.body_display
    original_email = ReplyAdmin.original_email
    prospect_summary = ReplyAdmin.prospect_summary

    @admin.display(description="what they said")
    def what_they_said(self, reply):
        return Truncator(" ".join(reply.body.split())).chars(110)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"unmatched_count": Reply.objects.filter(prospect__isnull=True).count()}
        return super().changelist_view(request, extra_context)


baseline_site = admin.AdminSite(name="before")
baseline_site.register(Reply, BeforeInboxReplyAdmin)
bench_urls = types.ModuleType("bench_reply_inbox_urls")
bench_urls.urlpatterns = [path("before/", baseline_site.urls), *project_urls.urlpatterns]
sys.modules["bench_reply_inbox_urls"] = bench_urls


# --- the data ------------------------------------------------------------------------------------


def _defaults(model, given: list[str]) -> tuple[list[str], tuple]:
    """The columns COPY does not give, with the model's default for each (as bench/admin.py does)."""
    template = model()
    others = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in given]
    values = tuple(f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in others)
    return [connection.ops.quote_name(f.column) for f in others], values


def load_replies(count: int, *, rng: random.Random) -> None:
    """COPY one email of ours and one reply to it per reply, until the reply table holds ``count``."""
    have = Reply.objects.count()
    if have >= count:
        print(f"{Reply._meta.db_table}: {have:,} rows already")
        return
    missing = count - have
    print(f"{Reply._meta.db_table}: {have:,} rows; loading {missing:,} (and their emails) with COPY …", flush=True)
    started = time.perf_counter()
    inbox, _ = Inbox.objects.get_or_create(
        email="edd@bench.jengu.test", defaults={"display_name": "Edd", "smtp_host": "127.0.0.1"}
    )
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench", defaults={"product_pitch": "Check-in", "sender_name": "Edd", "postal_address": "Bristol"}
    )
    prospects = list(
        Prospect.objects.filter(stage__in=CONTACTED).order_by("id").values_list("id", "email", "name", "created_at")
    )
    intents, weights = INTENTS, [w for _, w, _, _ in INTENTS]
    email_columns = ["id", "prospect_id", "campaign_id", "inbox_id", "subject", "body", "from_email", "to_email",
                     "status", "type", "sequence_step", "sent_at", "message_id", "created_at", "updated_at",
                     "status_changed_at", "idempotency_key"]  # fmt: skip
    reply_columns = ["id", "email_id", "prospect_id", "inbox_id", "message_id", "in_reply_to", "source", "match_rule",
                     "from_email", "from_name", "subject", "body", "raw_body", "intent", "sentiment", "confidence",
                     "needs_human", "action_status", "policy_reason", "interpreted_by", "received_at",
                     "processed_at"]  # fmt: skip
    email_others, email_defaults = _defaults(Email, email_columns)
    reply_others, reply_defaults = _defaults(Reply, reply_columns)
    epoch = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    span = (datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC) - epoch).total_seconds()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM outreach_email")
        first_email = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM replies_reply")
        first_reply = cursor.fetchone()[0] + 1

        def pairs(seed: int):
            """(our email, the reply to it) for each missing reply; the same for the same seed."""
            draw = random.Random(seed)
            for n in range(missing):
                prospect_id, address, name, _created = prospects[draw.randrange(len(prospects))]
                received = epoch + datetime.timedelta(seconds=span * ((have + n) / count) + draw.uniform(0, 3600))
                sent = received - datetime.timedelta(hours=draw.uniform(2, 200))
                email_id, reply_id = first_email + n, first_reply + n
                intent, _w, human_share, text = draw.choices(intents, weights)[0]
                message_id = f"<bench-out-{email_id}@mail.jengu.test>"
                needs_human = draw.random() < human_share
                awaiting = needs_human and draw.random() < 0.3
                yield (
                    (email_id, prospect_id, campaign.pk, inbox.pk, "Faster check-ins?",
                     "Hi,\nGuests mention slow check-in at peak times — we cut that by 40% at the Austin Courtyard.",
                     inbox.email, address, "replied", "outreach", 1, sent, message_id, sent, sent, sent,
                     uuid.UUID(int=draw.getrandbits(128), version=4)),
                    (reply_id, email_id, prospect_id, inbox.pk, f"<bench-reply-{reply_id}@hotel.example>",
                     message_id, "imap", "in_reply_to", address, name, "Re: Faster check-ins?", text,
                     f"{text}\n\n> quoted", intent, "neutral", round(draw.uniform(0.55, 0.99), 2), needs_human,
                     "awaiting" if awaiting else "automatic", "confident; the action can be undone", "fallback",
                     received, received + datetime.timedelta(minutes=1)),
                )  # fmt: skip

        seed = rng.getrandbits(32)
        with cursor.cursor.copy(
            f"COPY outreach_email ({', '.join([*email_columns, *email_others])}) FROM STDIN"
        ) as copy:
            for email_row, _ in pairs(seed):
                copy.write_row(email_row + email_defaults)
        with cursor.cursor.copy(
            f"COPY replies_reply ({', '.join([*reply_columns, *reply_others])}) FROM STDIN"
        ) as copy:
            for _, reply_row in pairs(seed):
                copy.write_row(reply_row + reply_defaults)
        for table in ("outreach_email", "replies_reply"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)


def give_owners(sellers: list) -> None:
    """A third of the prospects that replied get one of the Sales users as their owner."""
    cases = " ".join(f"WHEN {n} THEN {user.pk}" for n, user in enumerate(sellers))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE prospects_prospect SET owner_id = CASE (id / 3) % {len(sellers)} {cases} END "
            "WHERE owner_id IS NULL AND id % 3 = 0 AND id IN (SELECT prospect_id FROM replies_reply)"
        )
        if cursor.rowcount:
            print(f"  {cursor.rowcount:,} prospects given an owner")


def measure(client: Client, url: str, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {
        "median": statistics.median(timings),
        "min": min(timings),
        "queries": len(queries),
        "sql": [(q["sql"], q["time"]) for q in queries.captured_queries],
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--replies", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--show-sql", action="store_true", help="print each request's queries and their times")
    args = parser.parse_args()

    ensure_database()
    call_command("migrate", verbosity=0)
    load_prospects(args.rows)
    load_replies(args.replies, rng=random.Random(20261205))
    User = get_user_model()
    sellers = []
    for n in range(SELLERS):
        seller, _ = User.objects.get_or_create(username=f"bench-sales-{n}", defaults={"is_staff": True})
        seller.groups.add(Group.objects.get(name=SALES))
        sellers.append(seller)
    give_owners(sellers)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) replies_reply")
        cursor.execute("ANALYZE")
    seller = sellers[0]
    client = Client(HTTP_HOST="localhost")
    client.force_login(seller)

    waiting = Reply.objects.filter(needs_human=True).order_by("-received_at", "-id").values_list("pk", flat=True)
    in_view = waiting[10]  # the eleventh of "Needs a human"
    anywhere = Reply.objects.filter(needs_human=False).order_by("-received_at").values_list("pk", flat=True)[5000]
    counts = {
        "replies": Reply.objects.count(),
        "needing a human": waiting.count(),
        f"of {seller.username}'s prospects": Reply.objects.filter(prospect__owner=seller).count(),
        "prospects": Prospect.objects.count(),
    }
    version = connection.pg_version
    print("\n" + "; ".join(f"{value:,} {label}" for label, value in counts.items()))
    print(
        f"PostgreSQL {version // 10000}.{version % 10000}; {args.runs} timed requests each, after {args.warmup} warmup"
    )

    needs_human = urlencode({"_changelist_filters": "view=needs_human"})
    pages = {
        "inbox, All": "/admin/replies/reply/",
        "inbox, Needs a human": "/admin/replies/reply/?view=needs_human",
        "inbox, Mine": "/admin/replies/reply/?view=mine",
        "inbox, Interested": "/admin/replies/reply/?view=interested",
        "inbox, Meetings": "/admin/replies/reply/?view=meetings",
        "inbox, page 50": "/admin/replies/reply/?p=50",
        "before, list": "/before/replies/reply/",
        "before, needs hum.": "/before/replies/reply/?needs_human__exact=1",
        "before, page 50": "/before/replies/reply/?p=50",
        "pane, Needs a human": f"/admin/replies/reply/{in_view}/change/?{needs_human}",
        "pane, All": f"/admin/replies/reply/{anywhere}/change/",
        "before, change page": f"/before/replies/reply/{in_view}/change/",
    }
    load = os.getloadavg()
    with override_settings(ROOT_URLCONF="bench_reply_inbox_urls"):
        rows = {label: measure(client, url, args.runs, args.warmup) for label, url in pages.items()}
    print()
    header = f"{'page':<22}{'median':>8}{'min':>7}{'queries':>9}{'KB':>6}  target"
    print(header)
    print("-" * len(header))
    failed = False
    for label, figures in rows.items():
        target = ""
        if label.startswith("inbox"):
            ok = figures["median"] <= TARGET_MS
            failed |= not ok
            target = f"≤ {TARGET_MS} ms {'PASS' if ok else 'FAIL'}"
        print(
            f"{label:<22}{figures['median']:>8.1f}{figures['min']:>7.1f}{figures['queries']:>9}"
            f"{figures['bytes'] / 1024:>6.0f}  {target}"
        )
    print(
        f"\nms, median (and fastest) of {args.runs} requests, server time in-process (no network, no browser);"
        " a list page shows 100 replies.\nThe query count of the list and the pane does not grow with the data"
        " (tests/replies/test_inbox.py checks it for every view)."
        f"\nLoad average when measuring: {load[0]:.2f} on {os.cpu_count()} CPUs."
    )
    if args.show_sql:
        for label, figures in rows.items():
            print(f"\n-- {label}: {figures['queries']} queries")
            for sql, seconds in figures["sql"]:
                print(f"   {float(seconds) * 1000:7.1f} ms  {sql[:400]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
