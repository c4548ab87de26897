"""The demo commands: seed_demo builds a consistent data set, demo and ensure_admin are repeatable."""

import datetime as dt
import io
import re
from collections import Counter, defaultdict

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from infra.models import StateTransition
from jengu.roles import OPERATIONS, SALES
from jengu.schedules import SCHEDULES
from outreach.models import Campaign, Email, EmailStatus, Inbox, InboxDay, Suppression
from prospects.models import JobPosting, Prospect, ProspectStage, ResearchReport
from replies.models import CalibrationHistory, Intent, Reply

S, E = ProspectStage, EmailStatus
OUT_THERE = {E.SENT, E.DELIVERED, E.OPENED, E.CLICKED}
# which email statuses a prospect in each stage may have; an empty set: no emails yet
EMAIL_STATUSES_BY_STAGE = {
    S.NEW: set(),
    S.ENRICHING: set(),
    S.ENRICHED: set(),
    S.RESEARCHING: set(),
    S.READY: set(),
    S.COMPOSING: set(),
    S.COMPOSED: {E.DRAFT},
    S.QUEUED: {E.QUEUED},
    S.SENDING: {E.SENDING},
    S.SENT: {E.SENT},
    S.CONTACTED: OUT_THERE | {E.QUEUED},  # a follow-up may wait in the queue
    S.ENGAGED: OUT_THERE | {E.REPLIED},
    S.REPLIED: OUT_THERE | {E.REPLIED},
    S.MEETING: OUT_THERE | {E.REPLIED},
    S.WON: OUT_THERE | {E.REPLIED},
    S.LOST: OUT_THERE | {E.REPLIED, E.BOUNCED, E.SPAM},
}
CONVERSATION = {S.ENGAGED, S.REPLIED, S.MEETING, S.WON}


def run(command, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def histories(model) -> dict[int, list[StateTransition]]:
    """object id → its transitions, oldest first."""
    rows = defaultdict(list)
    content_type = ContentType.objects.get_for_model(model)
    for row in StateTransition.objects.filter(content_type=content_type).order_by("created_at", "id"):
        rows[row.object_id].append(row)
    return rows


def assert_walk(history: list[StateTransition], start: str, end: str, trace_id, label: str):
    """The transitions chain from the initial state to the current one, in time order."""
    assert history[0].source == start, label
    for before, after in zip(history, history[1:], strict=False):
        assert after.source == before.target, label
        assert after.created_at >= before.created_at, label
    assert history[-1].target == end, label
    assert history[-1].created_at <= timezone.now(), label
    assert {row.actor for row in history} == {"system:seed_demo"}, label
    assert {row.trace_id for row in history} == {trace_id}, label


def assert_consistent(min_per_stage: int = 3):
    prospects = {p.pk: p for p in Prospect.objects.all()}
    per_stage = Counter(p.stage for p in prospects.values())
    assert all(per_stage[stage] >= min_per_stage for stage in S.values), per_stage

    # unique addresses and real time zones
    addresses = [p.email for p in prospects.values() if p.email]
    assert len(addresses) == len(set(addresses))
    assert all(p.timezone and p.country for p in prospects.values())

    # every prospect got to its stage through the declared transitions, on record
    prospect_history = histories(Prospect)
    for prospect in prospects.values():
        history = prospect_history.get(prospect.pk)
        if prospect.stage != S.NEW:
            assert history, f"prospect #{prospect.pk} ({prospect.stage}) has no stage history"
        if history:
            assert_walk(history, S.NEW, prospect.stage, prospect.trace_id, f"prospect #{prospect.pk}")
            assert history[0].created_at >= prospect.created_at
            assert prospect.stage_changed_at == history[-1].created_at

    # emails: of existing prospects and inboxes, in a status their prospect's stage allows
    inboxes = {inbox.pk: inbox for inbox in Inbox.objects.all()}
    email_history = histories(Email)
    emails = list(Email.objects.all())
    message_ids = [e.message_id for e in emails]
    assert len(message_ids) == len(set(message_ids))
    for email in emails:
        prospect = prospects[email.prospect_id]
        assert email.inbox_id in inboxes
        assert re.fullmatch(r"<[0-9a-f-]{36}@jengu\.local>", email.message_id)
        assert (email.to_email, email.from_email) == (prospect.email, inboxes[email.inbox_id].email)
        assert email.status in EMAIL_STATUSES_BY_STAGE[prospect.stage], (prospect.stage, email.status)
        assert (email.sent_at is not None) == (email.status not in {E.DRAFT, E.QUEUED, E.SENDING}), email.status
        if email.status != E.DRAFT:
            assert_walk(email_history[email.pk], E.DRAFT, email.status, prospect.trace_id, f"email #{email.pk}")
    sent_by_prospect = Counter(e.prospect_id for e in emails if e.sent_at)
    for prospect in prospects.values():
        if prospect.stage in CONVERSATION or prospect.stage == S.CONTACTED:
            assert sent_by_prospect[prospect.pk] >= 1
            assert prospect.email_sent_count == sent_by_prospect[prospect.pk]

    # replies answer an email of the same prospect, after it was sent
    replies = list(Reply.objects.select_related("email"))
    assert replies
    for reply in replies:
        assert reply.email is not None
        assert reply.email.prospect_id == reply.prospect_id
        assert reply.received_at > reply.email.sent_at
        assert reply.intent in Intent.values
        assert 0 <= reply.confidence <= 1
    replied = {r.prospect_id for r in replies}
    assert all(p.pk in replied for p in prospects.values() if p.stage in CONVERSATION)

    # research for everyone past research; job postings from the three job boards
    researched = set(ResearchReport.objects.values_list("prospect_id", flat=True))
    past_research = {S.READY, S.COMPOSING, S.COMPOSED, S.QUEUED, S.SENDING, S.SENT, S.CONTACTED} | CONVERSATION
    assert all(p.pk in researched for p in prospects.values() if p.stage in past_research)
    assert set(JobPosting.objects.values_list("source", flat=True)) == {"linkedin", "indeed", "google_jobs"}

    # each inbox day: within its cap, and exactly the slots claimed that day
    claims = Counter()
    by_pk = {e.pk: e for e in emails}
    for history in email_history.values():
        for row in history:
            if row.transition == "claim":
                claims[(by_pk[row.object_id].inbox_id, timezone.localtime(row.created_at).date())] += 1
    days = list(InboxDay.objects.all())
    assert days
    for day in days:
        assert day.sent <= day.cap
        assert day.sent == claims[(day.inbox_id, day.day)], day
    assert sum(claims.values()) == sum(day.sent for day in days)

    assert Suppression.objects.count() >= 3
    assert CalibrationHistory.objects.exists()
    assert Campaign.objects.count() == 2
    assert Inbox.objects.count() == 3


@pytest.mark.django_db
def test_seed_demo_builds_a_consistent_data_set():
    output = run("seed_demo")

    assert Prospect.objects.count() == 240
    assert_consistent()
    for stage in S.values:
        assert re.search(rf"\b{stage}\s+\d+", output), stage


@pytest.mark.django_db
def test_every_queued_demo_email_passes_the_checks_a_freshly_composed_one_does():
    from outreach.composition.context import build_context
    from outreach.composition.gates import run_gates
    from outreach.services.follow_ups import angle_for_step, first_email_of

    run("seed_demo", "--prospects", "120")

    # no body holds a footer or an unsubscribe link: the sender adds the one real footer
    assert not Email.objects.filter(body__contains="/u/").exists()
    assert not Email.objects.filter(body__contains="\n--\n").exists()
    queued = Email.objects.filter(status=E.QUEUED).select_related("prospect", "campaign")
    assert queued.filter(sequence_step=1).exists() and queued.filter(sequence_step__gt=1).exists()
    for email in queued:
        step = email.sequence_step
        first = first_email_of(email.prospect_id) if step > 1 else None
        context = build_context(
            email.prospect,
            email.campaign,
            step=step,
            angle="first" if step == 1 else angle_for_step(email.campaign, step),
            first_subject=first.subject if first else "",
        )
        report = run_gates(email.subject, email.body, context)
        assert report.passed, (email.pk, step, report.failed, email.body)
        assert email.gate_results  # the admin shows the gate results, as for any composed email


@pytest.mark.django_db
def test_every_demo_send_is_claimed_when_the_sender_would_send():
    """The demo's sends keep the sender's rule (outreach.business_hours): 09–17 on a working
    day of the prospect's country and region, so no seeded history shows a send it would refuse."""
    from outreach.business_hours import business_hours_check

    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)):  # a Monday
        run("seed_demo", "--prospects", "96")

    emails = {e.pk: e for e in Email.objects.select_related("prospect")}
    claims = [
        (emails[row.object_id], row.created_at)
        for rows in histories(Email).values()
        for row in rows
        if row.transition == "claim"
    ]
    refused = [
        (email.prospect.country.code, email.prospect.region, window.detail)
        for email, at in claims
        for window in [business_hours_check(email.prospect, at)]
        if not window.ok
    ]
    assert len(claims) > 50
    assert not refused, refused[:5]


@pytest.mark.django_db
def test_every_demo_inbox_day_has_the_cap_the_sender_enforces():
    """Warmup figure, jitter and all (outreach.selectors.inbox_cap_on), so no seeded day shows
    more sends than the sender would have made that day."""
    from outreach.selectors import inbox_cap_on

    run("seed_demo", "--prospects", "96")

    days = list(InboxDay.objects.select_related("inbox"))
    assert days
    assert [(d.inbox.email, d.day, d.cap) for d in days if d.cap != inbox_cap_on(d.inbox, d.day)] == []


@pytest.mark.django_db
def test_seed_demo_twice_adds_a_second_batch():
    run("seed_demo", "--prospects", "80")
    first_batch = set(Prospect.objects.values_list("pk", flat=True))
    run("seed_demo", "--prospects", "80")

    assert Prospect.objects.count() == 160
    assert_consistent(min_per_stage=6)
    # campaigns and inboxes are reused, the second batch's hotels are new ones
    names = Counter(Prospect.objects.values_list("company_name", "city"))
    assert max(names.values()) == 1
    assert len(first_batch) == 80


def _fingerprint():
    # who the hotels are and where they stand; sends in flight go to cities in business
    # hours at the moment of seeding, so those few depend on the clock by design
    rows = Prospect.objects.exclude(stage__in=[S.SENDING, S.SENT])
    return sorted(rows.values_list("company_name", "city", "name", "email", "stage"))


def _clear():
    Reply.objects.all().delete()
    Email.objects.all().delete()
    for model in (Prospect, InboxDay, Inbox, Campaign, Suppression, StateTransition):
        model.objects.all().delete()


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed_whatever_the_clock():
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)):  # a Tuesday morning
        run("seed_demo", "--prospects", "48", "--seed", "7")
    first = _fingerprint()
    _clear()
    with time_machine.travel(dt.datetime(2026, 11, 29, 22, 5, tzinfo=dt.UTC)):  # a Sunday night
        run("seed_demo", "--prospects", "48", "--seed", "7")
        assert_consistent(min_per_stage=3)

    assert _fingerprint() == first
    _clear()
    run("seed_demo", "--prospects", "48", "--seed", "8")
    assert _fingerprint() != first


def log_in(client, username, password) -> bool:
    """Through the login form (django-axes throttles it; ``client.login`` has no request to count)."""
    client.post("/admin/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_ensure_admin_users_log_in_with_the_printed_password(client):
    output = run("ensure_admin", "--demo")  # the tests run with DEBUG off, as production
    password = re.search(r"password '([^']+)'", output).group(1)

    User = get_user_model()
    admin, sales, ops = (User.objects.get(username=name) for name in ("admin", "sales", "ops"))
    assert admin.is_superuser and admin.is_staff
    assert sales.is_staff and not sales.is_superuser
    assert list(sales.groups.values_list("name", flat=True)) == [SALES]
    assert list(ops.groups.values_list("name", flat=True)) == [OPERATIONS]
    assert "/admin/" in output
    for username in ("admin", "sales", "ops"):
        assert log_in(client, username, password), username
        assert client.get("/admin/").status_code == 200
        client.logout()


@pytest.mark.django_db
def test_ensure_admin_resets_a_changed_password(client):
    run("ensure_admin", "--demo")
    sales = get_user_model().objects.get(username="sales")
    sales.set_password("something-else-entirely")
    sales.groups.clear()
    sales.save()

    run("ensure_admin", "--demo")

    assert log_in(client, "sales", "jengu-demo")
    assert get_user_model().objects.filter(username="sales", groups__name=SALES).exists()
    assert get_user_model().objects.filter(username__in=["admin", "sales", "ops"]).count() == 3


@pytest.mark.django_db
def test_demo_without_server_prepares_an_empty_database_once():
    assert not Prospect.objects.exists()

    output = run("demo", "--no-server")

    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
    assert "Seeded 240 prospects" in output
    # the sandbox acquisition adds today's hiring hotels in `new` on top of the 240
    acquired = Prospect.objects.filter(source__in=["linkedin", "indeed", "google_jobs"], stage="new").count()
    assert acquired > 100 and "found " in output
    assert f"{len(SCHEDULES)} schedules installed" in output
    assert "not starting the server" in output
    total = Prospect.objects.count()

    again = run("demo", "--no-server")

    assert Prospect.objects.count() == total
    assert "not seeding again" in again
    assert "Seeded" not in again
