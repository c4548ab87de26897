"""Complaint rates per inbox and per sending domain over 28 days, and the live thresholds.

A complaint is an email in ``spam`` (an ESP's complaint webhook or a feedback-loop
report, both through ``deliverability.email_complaint``). With at least
``COMPLAINT_RATE_MIN_SENDS`` sends in the window, a domain above
``COMPLAINT_RATE_HALVE_THRESHOLD`` sends half its inboxes' caps, and above
``COMPLAINT_RATE_PAUSE_THRESHOLD`` its inboxes are paused with the reason and an alert.
"""

import datetime
from pathlib import Path

import pytest
import time_machine
from constance import config
from django.utils import timezone

from infra.models import Alert, Event
from outreach.models import Email, EmailStatus, InboxDay, InboxState, Sequence
from outreach.selectors import (
    domains_with_halved_caps,
    inbox_cap_on,
    inbox_caps_today,
    inboxes_with_rates,
    inboxes_with_sent_today,
    sending_domains_with_rates,
)
from outreach.services.deliverability import domain_check_complaint_rate, email_complaint
from outreach.services.sending import inbox_slot_claim
from replies.services.ingest import reply_ingest
from tests.factories import CampaignFactory, InboxFactory, ProspectFactory

pytestmark = pytest.mark.django_db

DOMAIN = "mail.jengu.test"
OTHER = "outreach.jengu.test"
ARF = Path(__file__).resolve().parents[1] / "fixtures" / "replies" / "arf"


@pytest.fixture(autouse=True)
def live_settings(settings):
    settings.ALERT_WEBHOOK_URL = ""
    config.COMPLAINT_RATE_HALVE_THRESHOLD = 0.001
    config.COMPLAINT_RATE_PAUSE_THRESHOLD = 0.003
    config.COMPLAINT_RATE_MIN_SENDS = 500
    config.WARMUP_JITTER = False


def sends(inbox, count: int, *, complained: int = 0, days_ago: int = 3) -> list[Email]:
    """``count`` emails the inbox sent ``days_ago``, the first ``complained`` of them marked spam."""
    prospect = ProspectFactory(stage="contacted")
    sent_at = timezone.now() - datetime.timedelta(days=days_ago)
    return Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, from_email=inbox.email, to_email=f"guest{i}@hotel.example",
              subject="Faster check-ins?", body="Hi", sent_at=sent_at,
              status=EmailStatus.SPAM if i < complained else EmailStatus.DELIVERED)
        for i in range(count)
    )  # fmt: skip


def test_rates_per_inbox_and_per_sending_domain_over_28_days():
    first, second = InboxFactory(email=f"edd@{DOMAIN}"), InboxFactory(email=f"anna@{DOMAIN}")
    elsewhere = InboxFactory(email=f"tom@{OTHER}")
    sends(first, 300, complained=1)
    sends(second, 100, complained=2)
    sends(second, 50, complained=50, days_ago=29)  # outside the window
    sends(elsewhere, 10)
    Email.objects.create(prospect=ProspectFactory(), inbox=first, to_email="q@hotel.example", subject="s", body="b",
                         status=EmailStatus.QUEUED)  # never sent  # fmt: skip
    rows = {inbox.email: inbox for inbox in inboxes_with_rates()}
    assert (rows[first.email].sent_28d, rows[first.email].complained_28d) == (300, 1)
    assert rows[second.email].complaint_rate_28d == pytest.approx(0.02)
    assert rows[elsewhere.email].complaint_rate_28d == 0.0
    domains = {rates.domain: rates for rates in sending_domains_with_rates()}
    assert set(domains) == {DOMAIN, OTHER}
    assert (domains[DOMAIN].sent_28d, domains[DOMAIN].complained_28d) == (400, 3)
    assert domains[DOMAIN].complaint_rate_28d == pytest.approx(3 / 400)
    assert [inbox.email for inbox in domains[DOMAIN].inboxes] == [second.email, first.email]


def test_above_the_halve_threshold_every_inbox_of_the_domain_gets_half_its_cap():
    first, second = InboxFactory(email=f"edd@{DOMAIN}"), InboxFactory(email=f"anna@{DOMAIN}", daily_ceiling=30)
    elsewhere = InboxFactory(email=f"tom@{OTHER}")
    sends(first, 500, complained=1)
    sends(second, 100)  # 1 in 600: 0.17 %
    sends(elsewhere, 600)
    today = timezone.localdate()
    assert domains_with_halved_caps() == {DOMAIN}
    assert (inbox_cap_on(first, today), inbox_cap_on(second, today), inbox_cap_on(elsewhere, today)) == (20, 15, 40)
    # every view shows the cap the sender enforces: the dashboard's and admin's list, the slot claim
    listed = inbox_caps_today(inboxes_with_sent_today())
    assert (listed[first.pk], listed[second.pk], listed[elsewhere.pk]) == (20, 15, 40)
    for _ in range(20):
        assert inbox_slot_claim(first, today)
    assert not inbox_slot_claim(first, today)
    assert InboxDay.objects.get(inbox=first, day=today).cap == 20


@pytest.mark.parametrize(
    "sent, complained, verdict",
    [
        (1000, 1, ""),  # exactly 0.1 %: not above
        (999, 1, "halve"),
        (1000, 3, "halve"),  # exactly 0.3 %: halved, not paused
        (999, 3, "pause"),
        (499, 5, ""),  # 1 %, but below the minimum volume: one complaint alone would be 0.2 %
        (500, 5, "pause"),
    ],
)
def test_thresholds_are_strict_and_need_the_minimum_volume(sent, complained, verdict):
    inbox = InboxFactory(email=f"edd@{DOMAIN}")
    sends(inbox, sent, complained=complained)
    assert domain_check_complaint_rate(DOMAIN) == verdict
    inbox.refresh_from_db()
    assert inbox.state == (InboxState.PAUSED if verdict == "pause" else InboxState.ACTIVE)
    assert (DOMAIN in domains_with_halved_caps()) is bool(verdict)


def test_a_complaint_over_the_pause_threshold_pauses_the_domains_inboxes_with_the_reason_and_an_alert(
    django_capture_on_commit_callbacks,
):
    first, second = InboxFactory(email=f"edd@{DOMAIN}"), InboxFactory(email=f"anna@{DOMAIN}")
    resting = InboxFactory(email=f"lena@{DOMAIN}", state=InboxState.CIRCUIT_OPEN)
    elsewhere = InboxFactory(email=f"tom@{OTHER}")
    sends(first, 300, complained=1)
    emails = sends(second, 300)
    sends(elsewhere, 600, complained=1)
    with django_capture_on_commit_callbacks(execute=True):  # a second complaint: 2 in 600, 0.33 %
        assert email_complaint(email=emails[0], at=timezone.now(), source="resend webhook", by="webhook:resend")
    for inbox in (first, second):
        inbox.refresh_from_db()
        assert inbox.state == InboxState.PAUSED
        assert inbox.state_reason == (
            f"spam-complaint rate of {DOMAIN} 0.33% over 28 days (2 of 600 sends; threshold 0.3%)"
        )
    resting.refresh_from_db()
    elsewhere.refresh_from_db()
    assert resting.state == InboxState.CIRCUIT_OPEN and elsewhere.state == InboxState.ACTIVE
    alert = Event.objects.get(name="alert.sent")
    assert alert.data == {"key": f"domain.paused:{DOMAIN}"}
    assert first.email in alert.message and second.email in alert.message and "0.33%" in alert.message
    assert Alert.objects.filter(key=f"domain.paused:{DOMAIN}").exists()
    assert Event.objects.filter(name="inbox.paused").count() == 2


def test_a_complaint_over_the_halve_threshold_lowers_todays_stored_caps_once(django_capture_on_commit_callbacks):
    first, second = InboxFactory(email=f"edd@{DOMAIN}"), InboxFactory(email=f"anna@{DOMAIN}")
    emails = sends(first, 1000)
    sends(second, 500)
    today = timezone.localdate()
    InboxDay.objects.create(inbox=first, day=today, cap=40, sent=5)  # today's first send stored the full cap
    InboxDay.objects.create(inbox=second, day=today, cap=40, sent=30)
    for email in emails[:2]:  # 1 in 1500, then 2 in 1500: 0.13 %
        with django_capture_on_commit_callbacks(execute=True):
            email_complaint(email=email, at=timezone.now(), source="sendgrid webhook", by="webhook:sendgrid")
    assert InboxDay.objects.get(inbox=first, day=today).cap == 20  # halved once, not quartered
    assert InboxDay.objects.get(inbox=second, day=today).cap == 30  # never under what already went out
    halved = Event.objects.filter(name="sending_domain.halved")
    assert halved.count() == 1 and "0.13%" in halved.get().message  # the first complaint was under 0.1 %
    first.refresh_from_db()
    assert first.state == InboxState.ACTIVE
    assert Event.objects.get(name="alert.sent").data == {"key": f"domain.halved:{DOMAIN}"}


def test_an_arf_complaint_counts_toward_its_domain_and_can_pause_it(settings, django_capture_on_commit_callbacks):
    """The Yahoo feedback-loop report in an inbox: the complaint that takes the domain over 0.3 %."""
    settings.JENGU_TASKS_SYNC = True
    with time_machine.travel(datetime.datetime(2026, 12, 2, 17, 45, tzinfo=datetime.UTC)):  # the report's day
        inbox = InboxFactory(email=f"edd@{DOMAIN}")
        sends(inbox, 499, complained=1)
        prospect = ProspectFactory(stage="contacted", email="harbourview.gm@yahoo.com")
        email = Email.objects.create(
            prospect=prospect, inbox=inbox, campaign=CampaignFactory(name="Check-in"), to_email=prospect.email,
            subject="Faster check-ins at Harbour View?", body="Hi", status=EmailStatus.DELIVERED,
            sent_at=datetime.datetime(2026, 12, 2, 9, 12, 2, tzinfo=datetime.UTC),
            message_id="<5f0c8e7a2d4b4e1f9a3c6b8d0e2f4a61@mail.jengu.test>",
        )  # fmt: skip
        Sequence.objects.create(prospect=prospect, campaign=email.campaign, inbox=inbox, last_step_sent=1)
        with django_capture_on_commit_callbacks(execute=True):
            reply_ingest((ARF / "yahoo_cfl.eml").read_bytes(), source="imap", inbox=inbox)
    email.refresh_from_db()
    inbox.refresh_from_db()
    assert email.status == EmailStatus.SPAM
    assert inbox.state == InboxState.PAUSED
    assert inbox.state_reason == f"spam-complaint rate of {DOMAIN} 0.40% over 28 days (2 of 500 sends; threshold 0.3%)"
