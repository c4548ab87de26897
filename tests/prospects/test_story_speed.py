"""The prospect page costs the same number of queries for a short history as for a long one.

bench/prospect_page.py measures the time on a million prospects (PostgreSQL); this test
holds the property that makes it possible: no query per timeline item.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from infra.statemachine import transition
from outreach.models import EmailStatus, SendDecision, Sequence
from prospects.models import ProspectStage
from prospects.services.notes import note_add, task_add
from replies.models import CalibrationHistory, Meeting
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory, ReplyFactory, UserFactory

pytestmark = pytest.mark.django_db


def history(prospect, size: int, user, inbox, campaign):
    """``size`` of each kind of timeline item, every one with the relations the page shows."""
    now = timezone.now()
    for n in range(size):
        email = EmailFactory(
            prospect=prospect, inbox=inbox, campaign=campaign, status=EmailStatus.OPENED,
            sent_at=now - datetime.timedelta(days=n), opened_at=now,
        )  # fmt: skip
        SendDecision.objects.create(email=email, outcome="held", reason="consent_required", detail="consent required")
        reply = ReplyFactory(email=email, intent="interested", needs_human=n == 0, processed_at=now)
        CalibrationHistory.objects.create(
            reply=reply, predicted_intent="interested", predicted_confidence=0.5, corrected_intent="interested",
            corrected_by=user,
        )  # fmt: skip
        note_add(prospect=prospect, text=f"note {n}", by=user)
        task_add(prospect=prospect, title=f"task {n}", due_at=now + datetime.timedelta(days=n), by=user)
        Meeting.objects.create(prospect=prospect, provider="calcom", external_id=f"{prospect.pk}-{n}", starts_at=now)
        transition(prospect, "follow_up", by=user, reason=f"step {n}")


def page_queries(client, prospect) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/admin/prospects/prospect/{prospect.pk}/change/")
    assert response.status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_for_3_or_30_of_everything(client, sales_user):
    user = UserFactory(username="anna")
    inbox, campaign = InboxFactory(), CampaignFactory()
    small, large = (ProspectFactory(stage=ProspectStage.CONTACTED, owner=user) for _ in range(2))
    for prospect in (small, large):
        Sequence.objects.create(prospect=prospect, campaign=campaign, inbox=inbox, first_sent_at=timezone.now())
    history(small, 3, user, inbox, campaign)
    history(large, 30, user, inbox, campaign)
    client.force_login(sales_user)
    page_queries(client, small)  # the first request warms the content-type and permission caches
    few, many = page_queries(client, small), page_queries(client, large)
    assert few == many, f"{few} queries for 3 items of each kind, {many} for 30"
    assert many <= 30
