"""Sender workers as real OS processes against PostgreSQL and a real SMTP server:
caps hold under concurrency, and no crash point makes an email go out twice."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from constance import config
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from outreach.models import Email, EmailStatus, InboxDay, Sequence
from outreach.services.send_review import emails_stuck_sweep
from prospects.models import ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink

ROOT = Path(__file__).resolve().parents[2]
SENDER = ROOT / "tests" / "support" / "sender_process.py"
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


def start_sender(limit: int, delay_min: float, delay_max: float, seed: int) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "RESEND_API_KEY": "",
        "SENDGRID_API_KEY": "",
    }
    return subprocess.Popen(
        [sys.executable, str(SENDER), str(limit), str(delay_min), str(delay_max), str(seed)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_eight_concurrent_senders_never_pass_an_inbox_cap_nor_send_twice():
    with RecordingSink() as sink:
        inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
        InboxDay.objects.create(inbox=inbox, day=timezone.now().date(), cap=20, sent=0)
        queue_emails(100)
        senders = [start_sender(limit=100, delay_min=0, delay_max=0, seed=n) for n in range(8)]
        outputs = [process.communicate(timeout=180)[0].decode() for process in senders]
        assert all(process.returncode == 0 for process in senders), outputs

        ids = sink.message_ids()
        assert sum(ids.values()) == 20, outputs
        assert set(ids.values()) == {1}  # no Message-ID twice
        assert Email.objects.filter(status=EmailStatus.SENT).count() == 20
        assert set(Email.objects.filter(status=EmailStatus.SENT).values_list("message_id", flat=True)) == set(ids)
        assert Email.objects.filter(status=EmailStatus.QUEUED).count() == 80
        assert InboxDay.objects.get(inbox=inbox).sent == 20


def test_sigkill_at_random_points_never_sends_twice_and_loses_nothing():
    rng = random.Random(2026)
    with RecordingSink() as sink:
        InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=500)
        emails = queue_emails(60)
        for round_number in range(10):
            sender = start_sender(limit=60, delay_min=0.02, delay_max=0.1, seed=round_number)
            time.sleep(rng.uniform(0.8, 2.5))  # Django start-up is part of the window: some kills land early
            os.killpg(sender.pid, signal.SIGKILL)
            sender.wait(timeout=15)
        # whatever a killed sender held in `sending` is held for a human, never resent
        emails_stuck_sweep(now=timezone.now() + timezone.timedelta(hours=1))
        finisher = start_sender(limit=60, delay_min=0, delay_max=0, seed=99)
        finisher.communicate(timeout=120)

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


def test_concurrent_senders_keep_the_gap_between_emails_to_one_hotel_domain():
    """Eight senders race for twelve emails to three hotel domains: one email per domain goes out."""
    config.SAME_DOMAIN_GAP_MINUTES = 120
    domains = ["harbourview.example", "grandalpine.example", "seagull-inn.example"]
    with RecordingSink() as sink:
        InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=500)
        emails = queue_emails(12)
        for number, email in enumerate(emails):
            email.to_email = f"staff{number}@{domains[number % 3]}"
            email.save(update_fields=["to_email"])
        senders = [start_sender(limit=12, delay_min=0, delay_max=0, seed=n) for n in range(8)]
        outputs = [process.communicate(timeout=180)[0].decode() for process in senders]
        assert all(process.returncode == 0 for process in senders), outputs

        sent = list(Email.objects.filter(status=EmailStatus.SENT).values_list("to_email", flat=True))
        assert sorted(address.partition("@")[2] for address in sent) == sorted(domains), outputs
        assert sum(sink.message_ids().values()) == 3
        waiting = Email.objects.filter(status=EmailStatus.QUEUED)
        assert waiting.count() == 9
        assert {e.send_decisions.order_by("-id").first().reason for e in waiting} == {"domain_gap"}
