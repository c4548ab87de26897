"""How fast the admin's dashboard (the index page) renders on a million prospects.

Usage (PostgreSQL; shares bench/admin.py's database and loader)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench .venv/bin/python bench/dashboard.py [--rows 1000000]

It tops the prospect table up to ``--rows`` (bench/admin.py's COPY loader), adds a few
inboxes, a campaign and some thousand sent emails and replies, then requests the
index page in-process: "cold" clears the cache before every request (the funnel is
computed from the table), "warm" is what a user sees within the funnel's cache window.
The baseline, measured in the same run, is a plain Django AdminSite index (only the app
list) — the floor any admin page pays for the session, the user and the template.
Target: cold ≤ 300 ms with a constant query count.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.admin import ensure_database, load_prospects  # noqa: E402
from jengu import urls as project_urls  # noqa: E402
from outreach.models import Campaign, Email, EmailStatus, Inbox  # noqa: E402
from prospects.models import Prospect  # noqa: E402
from replies.models import Reply  # noqa: E402

TARGET_MS = 300

baseline_site = admin.AdminSite(name="baseline")
baseline_site.register(Prospect)
dashboard_urls = types.ModuleType("dashboard_bench_urls")
dashboard_urls.urlpatterns = [path("baseline/", baseline_site.urls), *project_urls.urlpatterns]
sys.modules["dashboard_bench_urls"] = dashboard_urls


def ensure_outreach(emails: int):
    """Inboxes, a campaign and ``emails`` sent first emails with some replies (kept between runs)."""
    if Email.objects.count() >= emails:
        return
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench campaign",
        defaults={"product_pitch": "x", "sender_name": "Edd", "postal_address": "Bristol",
                  "subject_variants": ["Faster check-ins?", "Queues at your desk"]},
    )  # fmt: skip
    inbox_defaults = {"display_name": "Edd", "smtp_host": "x"}
    inboxes = [
        Inbox.objects.get_or_create(email=f"bench{n}@mail.jengu.test", defaults=inbox_defaults)[0] for n in range(10)
    ]
    now = timezone.now()
    prospect_ids = list(Prospect.objects.order_by("id").values_list("id", flat=True)[:emails])
    rows = [
        Email(prospect_id=pid, campaign=campaign, inbox=inboxes[i % 10], subject="s", body="b",
              to_email=f"p{pid}@x.test", status=EmailStatus.BOUNCED if i % 40 == 0 else EmailStatus.SENT,
              subject_variant=i % 2,
              sent_at=now - datetime.timedelta(hours=i % 500))
        for i, pid in enumerate(prospect_ids)
    ]  # fmt: skip
    Email.objects.bulk_create(rows, batch_size=2000)
    sent = list(Email.objects.order_by("id").values_list("id", "prospect_id")[: emails // 10])
    Reply.objects.bulk_create(
        [Reply(email_id=eid, prospect_id=pid, from_email=f"p{pid}@x.test", body="yes", intent="interested",
               received_at=now, processed_at=now) for eid, pid in sent],
        batch_size=2000,
    )  # fmt: skip


def timed(client: Client, url: str, runs: int, *, cold: bool) -> tuple[list[float], int]:
    client.get(url)
    timings = []
    for _ in range(runs):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return timings, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    ensure_database()
    call_command("migrate", verbosity=0)
    load_prospects(args.rows)
    ensure_outreach(args.emails)
    with connection.cursor() as cursor:
        for table in ("prospects_prospect", "outreach_email", "replies_reply"):
            cursor.execute(f"ANALYZE {table}")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True, "email": "bench@jengu.test"}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    counts = [Prospect.objects.count(), Email.objects.count(), Reply.objects.count()]
    print("\n{:,} prospects, {:,} emails, {:,} replies".format(*counts))

    with override_settings(ROOT_URLCONF="dashboard_bench_urls"):
        results = {
            "dashboard, cold cache": timed(client, "/admin/", args.runs, cold=True),
            "dashboard, warm cache": timed(client, "/admin/", args.runs, cold=False),
            "plain admin index": timed(client, "/baseline/", args.runs, cold=True),
        }
    floor = statistics.median(results["plain admin index"][0])
    print(f"\n{'page':<24}{'median ms':>10}{'min':>8}{'queries':>9}{'vs plain':>10}")
    for label, (timings, queries) in results.items():
        median = statistics.median(timings)
        print(f"{label:<24}{median:>10.1f}{min(timings):>8.1f}{queries:>9}{median / floor:>9.1f}x")
    cold = statistics.median(results["dashboard, cold cache"][0])
    ok = cold <= TARGET_MS
    print(f"\ntarget: cold dashboard ≤ {TARGET_MS} ms → {'PASS' if ok else 'FAIL'} ({cold:.0f} ms)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
