"""Inbox health and reputation are computed from the last 28 days, and weigh the inbox's pace."""

import datetime
import random

import pytest
from constance import config
from django.utils import timezone

from outreach.models import EmailStatus, Inbox, SendDecision, SendingDomain
from outreach.services.inbox_health import inbox_scores_compute
from outreach.services.pacing import Pacing, inbox_weight
from tests.factories import EmailFactory, InboxFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def sent(inbox, n: int, status=EmailStatus.SENT, days_ago: int = 3):
    for _ in range(n):
        EmailFactory(inbox=inbox, status=status, sent_at=NOW - datetime.timedelta(days=days_ago))


def scored(inbox) -> Inbox:
    inbox_scores_compute(now=NOW)
    return Inbox.objects.get(pk=inbox.pk)


def test_a_clean_inbox_with_replies_scores_full_marks_and_says_why():
    inbox = InboxFactory(email="edd@clean.example")
    SendingDomain.objects.create(domain="clean.example", state=SendingDomain.State.OK)
    sent(inbox, 95)
    sent(inbox, 5, status=EmailStatus.REPLIED)
    inbox = scored(inbox)
    assert (inbox.health_score, inbox.reputation_score) == (1.0, 1.0)
    assert inbox.scores_detail["read"] == {
        "sent_28d": 100, "hard_bounces_28d": 0, "complaints_28d": 0, "replied_28d": 5,
        "runs_without_a_provider_28d": 0, "domain": "clean.example", "domain_state": "ok",
    }  # fmt: skip
    assert inbox.scores_computed_at == NOW


def test_bounces_complaints_and_silence_lower_the_scores():
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.05
    config.COMPLAINT_RATE_PAUSE_THRESHOLD = 0.003
    inbox = InboxFactory(email="edd@bouncy.example")
    SendingDomain.objects.create(domain="bouncy.example", state=SendingDomain.State.OK)
    sent(inbox, 196)
    sent(inbox, 4, status=EmailStatus.BOUNCED)  # 2 %: 40 % of the pause threshold
    inbox = scored(inbox)
    assert inbox.scores_detail["factors"]["bounce"] == 0.6 and inbox.health_score == 0.6
    assert inbox.scores_detail["factors"]["reply"] == 0.8  # nobody answered: the mail may not land
    assert inbox.reputation_score == 0.8

    sent(inbox, 1, status=EmailStatus.SPAM)  # 1 complaint in 201 sends ≈ 0.5 %: over the pause threshold
    inbox = scored(inbox)
    assert inbox.scores_detail["factors"]["complaint"] == 0.1 and inbox.reputation_score == 0.08


def test_a_handful_of_sends_says_nothing_yet_and_old_mail_is_forgotten():
    inbox = InboxFactory(email="edd@new.example")
    SendingDomain.objects.create(domain="new.example", state=SendingDomain.State.OK)
    sent(inbox, 3, status=EmailStatus.BOUNCED)  # 3 of 3, but only 3
    sent(inbox, 50, status=EmailStatus.BOUNCED, days_ago=40)  # outside the 28 days
    inbox = scored(inbox)
    assert (inbox.health_score, inbox.reputation_score) == (1.0, 1.0)


def test_smtp_failures_and_a_failing_domain_lower_health():
    inbox = InboxFactory(email="edd@flaky.example")
    SendingDomain.objects.create(domain="flaky.example", state=SendingDomain.State.FAILING, failure_reason="no SPF")
    sent(inbox, 40)
    for _ in range(10):  # 10 runs no provider took, of 50 attempts: 20 %, the floor
        SendDecision.objects.create(
            email=EmailFactory(inbox=inbox, status=EmailStatus.QUEUED), inbox=inbox,
            outcome=SendDecision.Outcome.PROVIDER_FAILED, reason="providers", created_at=NOW,
        )  # fmt: skip
    inbox = scored(inbox)
    assert inbox.scores_detail["factors"]["smtp"] == 0.2
    assert inbox.scores_detail["factors"]["dns"] == 0.4
    assert inbox.health_score == 0.08


def test_the_weight_stretches_the_inboxs_gap():
    pacing = Pacing(skip_probability=0.0, delay_min=0, delay_max=0, spread_hours=8)
    strong = InboxFactory(health_score=1.0, reputation_score=1.0)
    weak = InboxFactory(health_score=0.5, reputation_score=0.5)
    gap = {
        inbox.pk: sum(
            pacing.gap(random.Random(i), cap=20, weight=inbox_weight(inbox)).total_seconds() for i in range(200)
        )
        for inbox in (strong, weak)
    }
    assert gap[weak.pk] == pytest.approx(4 * gap[strong.pk], rel=0.01)  # a quarter of the weight: 4 × the gap


def test_the_admin_shows_how_the_scores_came_about(admin_client):
    inbox = InboxFactory(email="edd@clean.example")
    sent(inbox, 30)
    inbox_scores_compute(now=NOW)
    page = admin_client.get(f"/admin/outreach/inbox/{inbox.pk}/change/").content.decode()
    assert "Over 28 days: 30 sent, 0 hard bounces" in page and "health 1.0 = bounce 1.0" in page
    assert 'name="health_score"' not in page  # computed, not typed in
