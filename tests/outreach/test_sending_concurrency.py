"""Sender workers as real q2 worker processes against PostgreSQL and a real SMTP server, on
both brokers (the database and Redis): caps hold under concurrency, and no crash point
makes an email go out twice."""

import random
import time

import pytest
from constance import config
from django.db.models import Count
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task

from outreach.models import Email, EmailStatus, InboxDay, Sequence
from outreach.services.send_review import emails_stuck_sweep
from prospects.models import ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.brokers import broker_fixture  # noqa: F401  (`broker`: each test on the database and on Redis)
from tests.support.smtp_sink import RecordingSink
from tests.support.workers import kill, start_cluster, stop, wait_for

SENDER_TASK = "tests.support.sender_process.sender_task"
NO_ESP = {"RESEND_API_KEY": "", "SENDGRID_API_KEY": ""}  # the inbox's SMTP, i.e. the sink
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def live_settings():
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0
    config.SENDING_ENABLED = True


def queue_emails(count: int):
    campaign = CampaignFactory(name="Concurrency")
    emails = []
    for _ in range(count):
        prospect = ProspectFactory(stage=ProspectStage.QUEUED)
        Sequence.objects.create(prospect=prospect, campaign=campaign)
        emails.append(
            EmailFactory(prospect=prospect, campaign=campaign, inbox=None, from_email="", status=EmailStatus.QUEUED)
        )
    return emails


def queue_senders(count: int, *, limit: int, delay_min: float = 0, delay_max: float = 0, first_seed: int = 0):
    """``count`` sender runs as tasks on the ``sending`` queue, through the test's broker."""
    return [
        async_task(SENDER_TASK, limit, delay_min, delay_max, seed, cluster="sending", task_name=f"sender-{seed}")
        for seed in range(first_seed, first_seed + count)
    ]


def run_senders(broker, log, task_ids: list[str], *, workers: int) -> list[str]:
    """One sending cluster with ``workers`` processes takes the tasks (one each: they run at once)
    and stops when every one has finished; returns each run's report."""
    cluster = start_cluster("sending", log, broker, workers=workers, timeout=170, retry=180, env=NO_ESP)
    try:
        wait_for(lambda: Task.objects.filter(id__in=task_ids).count() == len(task_ids), 180, "the sender runs", log)
    finally:
        stop(cluster)
    tasks = list(Task.objects.filter(id__in=task_ids))
    assert all(task.success for task in tasks), [task.result for task in tasks]
    return [task.result for task in tasks]


def test_eight_concurrent_senders_never_pass_an_inbox_cap_nor_send_twice(broker, tmp_path):
    with RecordingSink() as sink:
        inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
        InboxDay.objects.create(inbox=inbox, day=timezone.now().date(), cap=20, sent=0)
        queue_emails(100)
        outputs = run_senders(broker, tmp_path / "qcluster.log", queue_senders(8, limit=100), workers=8)

        ids = sink.message_ids()
        assert sum(ids.values()) == 20, outputs
        assert set(ids.values()) == {1}  # no Message-ID twice
        assert Email.objects.filter(status=EmailStatus.SENT).count() == 20
        assert set(Email.objects.filter(status=EmailStatus.SENT).values_list("message_id", flat=True)) == set(ids)
        assert Email.objects.filter(status=EmailStatus.QUEUED).count() == 80
        assert InboxDay.objects.get(inbox=inbox).sent == 20


def test_sigkill_at_random_points_never_sends_twice_and_loses_nothing(broker, tmp_path):
    """The sending cluster is killed mid-run, again and again. On the database broker the killed
    run's task is handed out again (after ``retry``) and may be killed again; on Redis it is gone.
    Either way: nothing goes out twice, and nothing is lost."""
    rng = random.Random(2026)
    log = tmp_path / "qcluster.log"
    with RecordingSink() as sink:
        InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=500)
        emails = queue_emails(60)
        for round_number in range(8):
            queue_senders(1, limit=60, delay_min=0.02, delay_max=0.1, first_seed=round_number)
            cluster = start_cluster("sending", log, broker, workers=1, timeout=60, retry=8, env=NO_ESP)
            time.sleep(rng.uniform(2.0, 5.0))  # the cluster's start-up is part of the window: some kills land early
            kill(cluster)
        # whatever a killed sender held in `sending` is held for a human, never resent
        emails_stuck_sweep(now=timezone.now() + timezone.timedelta(hours=1))
        finisher = queue_senders(1, limit=60, first_seed=99)
        cluster = start_cluster("sending", log, broker, workers=1, timeout=60, retry=8, env=NO_ESP)
        try:
            wait_for(lambda: Task.objects.filter(id__in=finisher).exists() and broker.drained("sending"), 120,
                     "the finishing sender run", log)  # fmt: skip
        finally:
            stop(cluster)

        ids = sink.message_ids()
        assert ids and set(ids.values()) == {1}, "a Message-ID arrived twice"
        statuses = dict(
            Email.objects.filter(pk__in=[e.pk for e in emails]).values_list("status").annotate(n=Count("id"))
        )
        assert set(statuses) <= {EmailStatus.SENT, EmailStatus.QUEUED, EmailStatus.NEEDS_REVIEW}, statuses
        assert sum(statuses.values()) == 60  # none lost
        sent = set(Email.objects.filter(status=EmailStatus.SENT).values_list("message_id", flat=True))
        assert sent <= set(ids)  # everything marked sent really arrived
        # an email the sink has but the database does not call sent was cut off mid-send: it waits in review
        in_review = set(Email.objects.filter(status=EmailStatus.NEEDS_REVIEW).values_list("message_id", flat=True))
        assert set(ids) - sent <= in_review


def test_concurrent_senders_keep_the_gap_between_emails_to_one_hotel_domain(broker, tmp_path):
    """Eight senders race for twelve emails to three hotel domains: one email per domain goes out."""
    config.SAME_DOMAIN_GAP_MINUTES = 120
    domains = ["harbourview.example", "grandalpine.example", "seagull-inn.example"]
    with RecordingSink() as sink:
        InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=500)
        emails = queue_emails(12)
        for number, email in enumerate(emails):
            email.to_email = f"staff{number}@{domains[number % 3]}"
            email.save(update_fields=["to_email"])
        outputs = run_senders(broker, tmp_path / "qcluster.log", queue_senders(8, limit=12), workers=8)

        sent = list(Email.objects.filter(status=EmailStatus.SENT).values_list("to_email", flat=True))
        assert sorted(address.partition("@")[2] for address in sent) == sorted(domains), outputs
        assert sum(sink.message_ids().values()) == 3
        waiting = Email.objects.filter(status=EmailStatus.QUEUED)
        assert waiting.count() == 9
        assert {e.send_decisions.order_by("-id").first().reason for e in waiting} == {"domain_gap"}
