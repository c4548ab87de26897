"""How fast a busy prospect's page renders on a million prospects: the story page against the
change page it replaced (the edit form with inline emails, replies and stage history).

Usage (PostgreSQL only; the database is created if missing and kept between runs)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench .venv/bin/python bench/prospect_page.py [--rows 1000000]

It migrates and tops the prospect table up to ``--rows`` with bench/admin.py's loader,
then gives one prospect (made once, kept) a long history: 50 emails, 20 replies (each
read, one corrected), and with stage changes, send decisions (held, cancelled), notes,
tasks and meetings 200 timeline items in all; a second prospect gets 5 of each kind.
Each page is requested in-process (django.test.Client, a Sales user, DEBUG off): the
median of ``--runs`` requests after a warmup; the query count comes from one further
request. The baseline is the page as it was before the story (the same ModelAdmin with
the inlines the timeline replaced) on a separate AdminSite. The prospect list's page 1
is measured too: the owner column and the owner filter must not slow it down.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.admin import GenericTabularInline  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import Truncator  # noqa: E402

from bench.admin import ensure_database, load_prospects  # noqa: E402
from infra.models import StateTransition  # noqa: E402
from jengu import urls as project_urls  # noqa: E402
from jengu.roles import SALES  # noqa: E402
from outreach.models import Campaign, Email, Inbox, SendDecision  # noqa: E402
from prospects.admin import ConsentInline, JobPostingInline, ProspectAdmin, ReadOnlyInline  # noqa: E402
from prospects.models import Note, Prospect, Task  # noqa: E402
from replies.models import CalibrationHistory, Meeting, Reply  # noqa: E402

TARGET_MS = 150
BUSY = "Bench Busy Harbour Hotel"
QUIET = "Bench Quiet Harbour Hotel"

# --- the page as it was: the edit form with inline emails, replies and stage history --------


class EmailInline(ReadOnlyInline, admin.TabularInline):
    model = Email
    fields = ["subject", "status", "type", "sequence_step", "inbox", "provider", "sent_at"]
    readonly_fields = fields
    ordering = ["sequence_step", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inbox")


class ReplyInline(ReadOnlyInline, admin.TabularInline):
    model = Reply
    fk_name = "prospect"
    fields = ["received_at", "from_email", "what_they_said", "intent", "sentiment", "confidence"]
    readonly_fields = fields

    @admin.display(description="what they said")
    def what_they_said(self, reply):
        return Truncator(reply.body).chars(160)


class TransitionInline(ReadOnlyInline, GenericTabularInline):
    model = StateTransition
    fields = ["created_at", "source", "target", "transition", "actor", "reason"]
    readonly_fields = fields
    show_change_link = False


class BeforeStoryProspectAdmin(ProspectAdmin):
    change_form_template = None  # Django's own change form
    change_list_template = None
    inlines = [EmailInline, ReplyInline, JobPostingInline, ConsentInline, TransitionInline]
    # the list as it was: no owner column, no owner filter, no join to the users
    list_display = [name for name in ProspectAdmin.list_display if name != "owner_name"]
    list_filter = ProspectAdmin.list_filter[1:]
    list_select_related = False

    def render_change_form(self, request, context, *args, **kwargs):
        return admin.ModelAdmin.render_change_form(self, request, context, *args, **kwargs)


baseline_site = admin.AdminSite(name="before")
baseline_site.register(Prospect, BeforeStoryProspectAdmin)
bench_urls = types.ModuleType("bench_prospect_page_urls")
bench_urls.urlpatterns = [path("before/", baseline_site.urls), *project_urls.urlpatterns]
sys.modules["bench_prospect_page_urls"] = bench_urls


# --- the prospects ------------------------------------------------------------------------


def give_history(prospect: Prospect, *, emails: int, replies: int, others: dict[str, int], user, inbox, campaign):
    now = timezone.now()
    made = []
    for n in range(emails):
        made.append(
            Email(
                prospect=prospect, campaign=campaign, inbox=inbox, subject=f"Faster check-ins, step {n % 4 + 1}",
                body="Hi,\nA short note about check-in times at peak hours.\n\nEdd", to_email=prospect.email,
                from_email=inbox.email, status="opened" if n % 3 else "delivered",
                type="follow_up" if n else "outreach",
                sequence_step=n % 4 + 1, sent_at=now - datetime.timedelta(days=n), opened_at=now,
                message_id=f"<bench-{prospect.pk}-{n}@mail.jengu.test>",
            )
        )  # fmt: skip
    made = Email.objects.bulk_create(made)
    answers = Reply.objects.bulk_create(
        Reply(
            prospect=prospect, email=made[n], from_email=prospect.email, subject="Re: Faster check-ins",
            body="Thanks — could you call me on Tuesday afternoon?\n\n> quoted text", intent="needs_more_info",
            sentiment="positive", confidence=0.74, processed_at=now, action_status="automatic",
            received_at=now - datetime.timedelta(days=n, hours=-2),
        )
        for n in range(replies)
    )  # fmt: skip
    CalibrationHistory.objects.create(
        reply=answers[0], predicted_intent="interested", predicted_confidence=0.6, corrected_intent="needs_more_info",
        corrected_by=user,
    )  # fmt: skip
    content_type = StateTransition.content_type_for(Prospect)
    StateTransition.objects.bulk_create(
        StateTransition(
            content_type=content_type, object_id=prospect.pk, field="stage", transition="follow_up",
            source="contacted", target="contacted", actor="task:follow_ups", reason=f"step {n}",
            created_at=now - datetime.timedelta(days=n, hours=3),
        )
        for n in range(others["stage changes"])
    )  # fmt: skip
    SendDecision.objects.bulk_create(
        SendDecision(email=made[n % len(made)], outcome="held" if n % 2 else "cancelled", reason="consent_required",
                     detail="consent required in DE: none recorded", created_at=now - datetime.timedelta(days=n))
        for n in range(others["send decisions"])
    )  # fmt: skip
    Note.objects.bulk_create(
        Note(prospect=prospect, author=user, text=f"Call notes {n}: prefers mornings.", created_at=now)
        for n in range(others["notes"])
    )
    Task.objects.bulk_create(
        Task(prospect=prospect, title=f"Call the GM ({n})", due_at=now + datetime.timedelta(days=n), assignee=user)
        for n in range(others["tasks"])
    )
    Meeting.objects.bulk_create(
        Meeting(prospect=prospect, provider="calcom", external_id=f"bench-{prospect.pk}-{n}", starts_at=now)
        for n in range(others["meetings"])
    )


def prospect_with_history(name: str, *, emails: int, replies: int, others: dict[str, int], user) -> Prospect:
    found = Prospect.objects.filter(company_name=name).first()
    if found is not None:
        return found
    prospect = Prospect.objects.create(
        company_name=name, name="Sarah Johnson", email=f"sarah@{name.split()[1].lower()}.example", city="Berlin",
        country="DE", timezone="Europe/Berlin", stage="contacted", owner=user,
    )  # fmt: skip
    inbox, _ = Inbox.objects.get_or_create(
        email="edd@bench.jengu.test", defaults={"display_name": "Edd", "smtp_host": "127.0.0.1"}
    )
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench", defaults={"product_pitch": "Check-in", "sender_name": "Edd", "postal_address": "Bristol"}
    )
    give_history(prospect, emails=emails, replies=replies, others=others, user=user, inbox=inbox, campaign=campaign)
    return prospect


def timeline_items(prospect: Prospect) -> int:
    from jengu.prospect_story import prospect_story

    return len(prospect_story(prospect).timeline)


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
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    ensure_database()
    call_command("migrate", verbosity=0)
    load_prospects(args.rows)
    User = get_user_model()
    seller, _ = User.objects.get_or_create(username="bench-sales", defaults={"is_staff": True})
    seller.groups.add(Group.objects.get(name=SALES))
    busy = prospect_with_history(
        BUSY,
        emails=50,
        replies=20,
        others={"stage changes": 40, "send decisions": 20, "notes": 40, "tasks": 20, "meetings": 10},
        user=seller,
    )
    quiet = prospect_with_history(
        QUIET,
        emails=5,
        replies=5,
        others={"stage changes": 5, "send decisions": 5, "notes": 5, "tasks": 5, "meetings": 5},
        user=seller,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client(HTTP_HOST="localhost")
    client.force_login(seller)
    total = Prospect.objects.count()
    version = connection.pg_version
    print(f"\n{total:,} prospects; PostgreSQL {version // 10000}.{version % 10000}; {args.runs} timed requests each")
    print(
        f"busy prospect #{busy.pk}: {timeline_items(busy)} timeline items; quiet #{quiet.pk}: {timeline_items(quiet)}"
    )

    load = os.getloadavg()
    with override_settings(ROOT_URLCONF="bench_prospect_page_urls"):
        rows = {
            "story, busy": measure(client, f"/admin/prospects/prospect/{busy.pk}/change/", args.runs, args.warmup),
            "story, quiet": measure(client, f"/admin/prospects/prospect/{quiet.pk}/change/", args.runs, args.warmup),
            "before, busy": measure(client, f"/before/prospects/prospect/{busy.pk}/change/", args.runs, args.warmup),
            "before, quiet": measure(client, f"/before/prospects/prospect/{quiet.pk}/change/", args.runs, args.warmup),
            "list, page 1": measure(client, "/admin/prospects/prospect/", args.runs, args.warmup),
            "before, list": measure(client, "/before/prospects/prospect/", args.runs, args.warmup),
            "list, mine": measure(client, "/admin/prospects/prospect/?owner=mine", args.runs, args.warmup),
            "list, stage": measure(client, "/admin/prospects/prospect/?stage__exact=contacted", args.runs, args.warmup),
        }
    print()
    header = f"{'page':<16}{'median':>8}{'min':>7}{'queries':>9}{'KB':>7}"
    print(header)
    print("-" * len(header))
    for label, figures in rows.items():
        print(
            f"{label:<16}{figures['median']:>8.1f}{figures['min']:>7.1f}{figures['queries']:>9}"
            f"{figures['bytes'] / 1024:>7.0f}"
        )
    busy_ok = rows["story, busy"]["median"] <= TARGET_MS
    constant = rows["story, busy"]["queries"] == rows["story, quiet"]["queries"]
    print(
        f"\nstory page of the busy prospect ≤ {TARGET_MS} ms: {'PASS' if busy_ok else 'FAIL'}; "
        f"same queries for 200 timeline items as for 35: {'PASS' if constant else 'FAIL'}"
        f"\nms, median (and fastest) of {args.runs} requests, server time in-process (no network, no browser)."
        f"\nLoad average when measuring: {load[0]:.2f} on {os.cpu_count()} CPUs."
    )
    return 0 if busy_ok and constant else 1


if __name__ == "__main__":
    sys.exit(main())
