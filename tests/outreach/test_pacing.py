"""Each inbox is one person: its own turns, gaps, skips and cap; the pool sends in parallel.

Everything runs on an injected clock (no sleeping): the "cron" is a loop over virtual
minutes calling ``sender_run`` as the every-minute schedule would.
"""

import datetime
import random
from collections import Counter, defaultdict

import pytest
from constance import config

from outreach.models import Email, EmailStatus, Inbox, InboxDay, Sequence
from outreach.services.inboxes import inbox_pause
from outreach.services.pacing import Pacing
from outreach.services.sending import sender_run
from prospects.models import ProspectStage, Tier
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MORNING = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday
MIDNIGHT = datetime.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # a day's caps count per UTC date
NO_HOURS = {"business_hours": False}


@pytest.fixture(autouse=True)
def settings_for_pacing(settings):
    settings.RESEND_API_KEY = settings.SENDGRID_API_KEY = ""
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0


@pytest.fixture
def sink():
    with RecordingSink() as sink:
        yield sink


def queued(n: int, **prospect_fields) -> list[Email]:
    emails = []
    for _ in range(n):
        prospect = ProspectFactory(stage=ProspectStage.QUEUED, **prospect_fields)
        campaign = CampaignFactory(name="C")
        Sequence.objects.create(prospect=prospect, campaign=campaign)
        emails.append(
            EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)
        )
    return emails


def cron(pacing: Pacing, *, start=MORNING, minutes: int, rng_seed=7):
    """The every-minute schedule over ``minutes`` virtual minutes."""
    rng = random.Random(rng_seed)
    for minute in range(minutes):
        at = start + datetime.timedelta(minutes=minute)
        sender_run(clock=lambda at=at: at, rng=rng, pacing=pacing)


def sends_by_inbox() -> dict[int, list[datetime.datetime]]:
    sends = defaultdict(list)
    for inbox_id, sent_at in Email.objects.filter(status=EmailStatus.SENT).values_list("inbox_id", "sent_at"):
        sends[inbox_id].append(sent_at)
    return {inbox_id: sorted(times) for inbox_id, times in sends.items()}


def test_two_inboxes_send_in_the_same_minute_each_at_its_own_pace(sink):
    first, second = (InboxFactory(smtp_port=sink.port, smtp_password="") for _ in range(2))
    queued(4)
    pacing = Pacing(skip_probability=0.0, delay_min=600, delay_max=600, **NO_HOURS)
    report = sender_run(clock=lambda: MORNING, rng=random.Random(1), pacing=pacing)
    # one run: both inboxes took their turn at once; each now waits its own ten minutes
    assert report.sent == 2 and report.turns == 2
    assert sends_by_inbox() == {first.pk: [MORNING], second.pk: [MORNING]}
    assert set(Inbox.objects.values_list("next_send_at", flat=True)) == {MORNING + datetime.timedelta(minutes=10)}
    assert sender_run(clock=lambda: MORNING + datetime.timedelta(minutes=9), pacing=pacing).sent == 0
    assert sender_run(clock=lambda: MORNING + datetime.timedelta(minutes=10), pacing=pacing).sent == 2


def test_an_inbox_never_sends_two_emails_closer_than_its_minimum_gap_and_spreads_its_cap(sink):
    inbox = InboxFactory(
        smtp_port=sink.port, smtp_password="", daily_ceiling=20, warmup_started_on=datetime.date(2026, 1, 1)
    )
    queued(60)
    pacing = Pacing(skip_probability=0.3, delay_min=180, delay_max=180, spread_hours=8, **NO_HOURS)
    cron(pacing, start=MIDNIGHT, minutes=24 * 60)
    [times] = sends_by_inbox().values()
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 20 == InboxDay.objects.get(inbox=inbox).sent  # the day's cap, and no more
    assert min(gaps) >= 180  # never closer than the minimum gap
    # spread over the window, not a burst: 20 emails take hours, with a mean gap near 8 h × 0.7 / 20
    span_hours = (times[-1] - times[0]).total_seconds() / 3600
    assert 4 <= span_hours <= 14, span_hours
    assert 8 * 60 <= sum(gaps) / len(gaps) <= 30 * 60


def test_a_weak_inbox_takes_fewer_turns_than_a_healthy_one(sink):
    healthy = InboxFactory(
        smtp_port=sink.port, smtp_password="", daily_ceiling=20, warmup_started_on=datetime.date(2026, 1, 1)
    )
    weak = InboxFactory(
        smtp_port=sink.port, smtp_password="", daily_ceiling=20, warmup_started_on=datetime.date(2026, 1, 1),
        health_score=0.5, reputation_score=0.8,
    )  # fmt: skip
    queued(80)
    pacing = Pacing(skip_probability=0.0, delay_min=60, delay_max=60, spread_hours=8, **NO_HOURS)
    cron(pacing, minutes=8 * 60)
    sends = sends_by_inbox()
    assert len(sends[healthy.pk]) >= 18
    assert len(sends[weak.pk]) <= 0.6 * len(sends[healthy.pk])  # weight 0.4: under half the turns


def test_an_inbox_paused_mid_day_stops_at_once_and_the_others_go_on(sink):
    paused, other = (InboxFactory(smtp_port=sink.port, smtp_password="") for _ in range(2))
    queued(30)
    pacing = Pacing(skip_probability=0.0, delay_min=300, delay_max=300, **NO_HOURS)
    cron(pacing, minutes=30)
    before = len(sends_by_inbox()[paused.pk])
    inbox_pause(inbox=paused, by="test", reason="bounce rate")
    cron(pacing, start=MORNING + datetime.timedelta(minutes=30), minutes=30)
    sends = sends_by_inbox()
    assert before == 6 and len(sends[paused.pk]) == before  # nothing after the pause
    assert len(sends[other.pk]) == 12


def test_the_order_of_work_is_follow_ups_then_hot_warm_cold_then_oldest(sink):
    inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
    cold_old = queued(1, tier=Tier.COLD)[0]
    warm_old = queued(1, tier=Tier.WARM)[0]
    hot_new = queued(1, tier=Tier.HOT)[0]
    warm_new = queued(1, tier=Tier.WARM)[0]
    contacted = ProspectFactory(stage=ProspectStage.CONTACTED, tier=Tier.COLD)
    Sequence.objects.create(prospect=contacted, campaign=cold_old.campaign, inbox=inbox, last_step_sent=1)
    follow_up = EmailFactory(
        prospect=contacted, campaign=cold_old.campaign, inbox=None, status=EmailStatus.QUEUED,
        from_email="", type=Email.Type.FOLLOW_UP, sequence_step=2,
    )  # fmt: skip
    pacing = Pacing(skip_probability=0.0, delay_min=60, delay_max=60, **NO_HOURS)
    cron(pacing, minutes=5)
    order = list(Email.objects.filter(status=EmailStatus.SENT).order_by("sent_at", "id").values_list("pk", flat=True))
    assert order == [follow_up.pk, hot_new.pk, warm_old.pk, warm_new.pk, cold_old.pk]


def test_the_pool_volume_grows_with_the_number_of_inboxes(sink):
    """Six inboxes at a warmed cap of 20 send 120 in a day, each its own 20 (the pool is not one person)."""
    warmed = datetime.date(2026, 1, 1)
    inboxes = [
        InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=20, warmup_started_on=warmed)
        for _ in range(6)
    ]
    queued(150)
    pacing = Pacing(skip_probability=0.3, delay_min=180, delay_max=180, spread_hours=8, **NO_HOURS)
    cron(pacing, start=MIDNIGHT, minutes=16 * 60)
    per_inbox = Counter({inbox_id: len(times) for inbox_id, times in sends_by_inbox().items()})
    assert sum(per_inbox.values()) == 120 and set(per_inbox) == {inbox.pk for inbox in inboxes}
    assert set(per_inbox.values()) == {20}


def test_the_cron_hands_each_due_inbox_its_own_task_on_the_sending_queue(sink, settings):
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    due = [InboxFactory(smtp_port=sink.port, smtp_password="") for _ in range(3)]
    waiting = InboxFactory(smtp_port=sink.port, smtp_password="", next_send_at=MORNING + datetime.timedelta(hours=1))
    queued(5)
    settings.JENGU_TASKS_SYNC = False
    report = sender_run(clock=lambda: MORNING, fan_out=True)
    assert report.turns_enqueued == 3 and report.sent == 0
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert sorted(task["args"][0] for task in tasks) == sorted(inbox.pk for inbox in due)
    assert {task["func"] for task in tasks} == {"outreach.services.sending.inbox_turn_run"}
    assert waiting.pk not in {task["args"][0] for task in tasks}
    assert {row.key for row in OrmQ.objects.all()} == {"sending"}  # the sending queue's cluster


def test_with_no_email_due_the_cron_queues_no_turn_and_a_thread_only_its_inbox(sink, settings):
    # 2,500 inboxes at night would otherwise run 2,500 empty turns a minute
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    inboxes = [InboxFactory(smtp_port=sink.port, smtp_password="") for _ in range(6)]
    later = queued(3)
    Email.objects.filter(pk__in=[e.pk for e in later]).update(not_before=MORNING + datetime.timedelta(hours=2))
    settings.JENGU_TASKS_SYNC = False
    assert sender_run(clock=lambda: MORNING, fan_out=True).turns_enqueued == 0
    with CaptureQueriesContext(connection) as idle_run:
        report = sender_run(clock=lambda: MORNING, pacing=Pacing(skip_probability=0.3, delay_min=0, delay_max=0))
    assert (report.turns, report.sent) == (0, 0)
    assert len(idle_run.captured_queries) <= 8  # the run's own reads, none per inbox

    # a follow-up due in one inbox's thread: that inbox, and only it, gets a turn
    contacted = ProspectFactory(stage=ProspectStage.CONTACTED)
    Sequence.objects.create(prospect=contacted, campaign=later[0].campaign, inbox=inboxes[2], last_step_sent=1)
    EmailFactory(prospect=contacted, campaign=later[0].campaign, inbox=None, status=EmailStatus.QUEUED,
                 from_email="", type=Email.Type.FOLLOW_UP, sequence_step=2)  # fmt: skip
    assert sender_run(clock=lambda: MORNING, fan_out=True).turns_enqueued == 1
    assert [SignedPackage.loads(row.payload)["args"][0] for row in OrmQ.objects.all()] == [inboxes[2].pk]
    # and once first emails are due, every due inbox takes its turn again
    OrmQ.objects.all().delete()
    Email.objects.filter(pk__in=[e.pk for e in later]).update(not_before=None)
    assert sender_run(clock=lambda: MORNING, fan_out=True).turns_enqueued == 6
