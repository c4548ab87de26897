"""The daily pruning of operational tables: live periods, batches, aggregates kept, open emails
spared, the stored HTML file removed with its row."""

import datetime

import pytest
from constance import config
from django.core.files.base import ContentFile
from django.utils import timezone
from django_q.models import Success

from infra.models import DeadLetter, Event, EventDailyCount, WebhookDelivery, WebhookSubscriber
from jengu.retention_ops import operational_retention_run
from outreach.models import EmailStatus, SendDecision
from prospects.models import WebsitePage
from tests.factories import EmailFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


def _events(name, count, age_days, **data):
    Event.objects.bulk_create(
        Event(name=name, level="info", data=data, created_at=NOW - age_days * DAY) for _ in range(count)
    )


def test_old_events_go_in_batches_and_their_daily_counts_stay():
    _events("ai.call", 7, 100)
    _events("email.sent", 3, 100)
    _events("ai.call", 4, 95)
    _events("ai.call", 5, 10)  # within 90 days
    report = operational_retention_run(now=NOW, batch=3)
    assert report.removed["events"] == 14
    assert Event.objects.filter(name="ai.call").count() == 5
    counts = {(row.day, row.name): row.count for row in EventDailyCount.objects.all()}
    assert counts[((NOW - 100 * DAY).date(), "ai.call")] == 7
    assert counts[((NOW - 100 * DAY).date(), "email.sent")] == 3
    assert counts[((NOW - 95 * DAY).date(), "ai.call")] == 4
    assert report.batches >= 5  # 14 rows, 3 a batch
    assert Event.objects.filter(name="retention.operational").exists()


def test_the_periods_are_live_settings_and_zero_keeps_forever():
    _events("ai.call", 2, 40)
    config.EVENT_RETENTION_DAYS = 30
    operational_retention_run(now=NOW)
    assert not Event.objects.filter(name="ai.call").exists()
    _events("ai.call", 2, 4000)
    config.EVENT_RETENTION_DAYS = 0
    operational_retention_run(now=NOW)
    assert Event.objects.filter(name="ai.call").count() == 2


def test_send_decisions_and_provider_attempts_of_open_emails_are_kept():
    sent = EmailFactory(status=EmailStatus.SENT)
    queued = EmailFactory(status=EmailStatus.QUEUED)
    for email in (sent, queued):
        SendDecision.objects.create(email=email, outcome="skipped", reason="cap", created_at=NOW - 200 * DAY)
        Event.objects.create(name="email.provider_attempt", data={"email_id": email.pk, "provider": "smtp"},
                             created_at=NOW - 200 * DAY)  # fmt: skip
    # a provider attempt is kept 180 days, not the Events' 90
    Event.objects.create(name="email.provider_attempt", data={"email_id": sent.pk}, created_at=NOW - 100 * DAY)
    report = operational_retention_run(now=NOW)
    assert list(SendDecision.objects.values_list("email_id", flat=True)) == [queued.pk]
    kept = sorted(Event.objects.filter(name="email.provider_attempt").values_list("data__email_id", flat=True))
    assert kept == sorted([queued.pk, sent.pk])  # the queued one's old attempt and the sent one's recent one
    assert report.removed["send decisions"] == 1 and report.removed["provider attempts"] == 1


def test_deliveries_task_results_and_decided_dead_letters():
    subscriber = WebhookSubscriber.objects.create(name="crm", url="https://crm.example/hook")
    for status in ("delivered", "failed", "retrying"):
        WebhookDelivery.objects.create(subscriber=subscriber, event="email.sent", status=status,
                                       created_at=NOW - 40 * DAY)  # fmt: skip
    Success.objects.create(id="a" * 32, name="old", func="f", started=NOW - 20 * DAY, stopped=NOW - 20 * DAY,
                           success=True)  # fmt: skip
    Success.objects.create(id="b" * 32, name="new", func="f", started=NOW, stopped=NOW, success=True)
    DeadLetter.objects.create(stage="research", func="x", subject_id="1", attempts=3, error="e",
                              status=DeadLetter.Status.DISCARDED, resolved_at=NOW - 40 * DAY)  # fmt: skip
    DeadLetter.objects.create(stage="research", func="x", subject_id="2", attempts=3, error="e",
                              created_at=NOW - 400 * DAY)  # open: waits for a person, whatever its age  # fmt: skip
    operational_retention_run(now=NOW)
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["retrying"]
    assert list(Success.objects.values_list("name", flat=True)) == ["new"]
    assert list(DeadLetter.objects.values_list("subject_id", flat=True)) == ["2"]


def test_stale_website_html_goes_with_its_file_and_fresh_pages_stay(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    storage = WebsitePage._meta.get_field("html").storage
    pages = {}
    for name, age in (("old", 8), ("fresh", 2)):
        stored = storage.save(f"websites/2031/01/{name}.html", ContentFile(b"<html>hotel</html>"))
        pages[name] = WebsitePage.objects.create(url=f"https://{name}.example/", domain=f"{name}.example",
                                                 html=stored, fetched_at=NOW - age * DAY)  # fmt: skip
    old_file = tmp_path / pages["old"].html.name
    assert old_file.exists()
    report = operational_retention_run(now=NOW)
    assert list(WebsitePage.objects.values_list("url", flat=True)) == ["https://fresh.example/"]
    assert not old_file.exists()
    assert (tmp_path / pages["fresh"].html.name).exists()
    assert report.files_removed == 1 and report.removed["website pages"] == 1
