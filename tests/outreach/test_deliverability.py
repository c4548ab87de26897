"""The 28-day hard-bounce rate of an inbox and the automatic pause above the live threshold."""

import datetime

import pytest
from constance import config

from infra.models import Alert, Event
from outreach.models import EmailStatus, InboxState
from outreach.services.deliverability import inbox_bounce_rate, inbox_check_bounce_rate
from outreach.services.inboxes import inbox_pause
from tests.factories import EmailFactory, InboxFactory
from tests.outreach.tracking_support import BASIC_AUTH, RESEND_EMAIL_ID, RESEND_SECRET, resend_post

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def live_threshold(settings):
    settings.ALERT_WEBHOOK_URL = ""  # alerts stay Events
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.05


def sends(inbox, count: int, *, bounced: int = 0, days_ago: int = 3, **fields):
    sent_at = NOW - datetime.timedelta(days=days_ago)
    emails = [
        EmailFactory(inbox=inbox, status=EmailStatus.BOUNCED if i < bounced else EmailStatus.DELIVERED,
                     sent_at=sent_at, **fields)
        for i in range(count)
    ]  # fmt: skip
    return emails


def test_rate_counts_the_sent_family_inside_28_days():
    inbox = InboxFactory()
    sends(inbox, 18, bounced=2)
    sends(inbox, 5, bounced=5, days_ago=29)  # outside the window
    EmailFactory(inbox=inbox, status=EmailStatus.QUEUED)  # never sent
    EmailFactory(inbox=inbox, status=EmailStatus.CANCELLED)
    EmailFactory(inbox=inbox, status=EmailStatus.REPLIED, sent_at=NOW - datetime.timedelta(days=27))
    sends(InboxFactory(), 10, bounced=10)  # another inbox's bounces
    assert inbox_bounce_rate(inbox, now=NOW) == (pytest.approx(2 / 19), 19)
    assert inbox_bounce_rate(InboxFactory(), now=NOW) == (0.0, 0)


def test_exactly_at_the_threshold_is_not_paused():
    inbox = InboxFactory()
    sends(inbox, 20, bounced=1)  # 5.0 %
    assert inbox_check_bounce_rate(inbox, now=NOW) is False
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE
    assert not Event.objects.filter(name__in=["inbox.paused", "alert.sent"]).exists()


def test_above_the_threshold_pauses_with_the_reason_and_alerts():
    inbox = InboxFactory()
    sends(inbox, 20, bounced=2)  # 10.0 %
    assert inbox_check_bounce_rate(inbox, now=NOW) is True
    inbox.refresh_from_db()
    assert inbox.state == InboxState.PAUSED
    assert inbox.state_reason == "hard-bounce rate 10.0% over 28 days (threshold 5%)"
    paused = Event.objects.get(name="inbox.paused")
    assert (paused.data, paused.actor) == ({"inbox_id": inbox.pk}, "system:deliverability")
    alert = Event.objects.get(name="alert.sent")
    assert alert.data == {"key": f"inbox.paused:{inbox.pk}"}
    assert inbox.email in alert.message and "10.0%" in alert.message
    assert Alert.objects.filter(key=f"inbox.paused:{inbox.pk}").exists()


def test_fewer_than_20_sends_is_never_paused():
    inbox = InboxFactory()
    sends(inbox, 19, bounced=5)
    assert inbox_check_bounce_rate(inbox, now=NOW) is False
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE


def test_the_threshold_is_the_live_setting():
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.1
    inbox = InboxFactory()
    sends(inbox, 20, bounced=2)  # 10 %: at the new threshold
    assert inbox_check_bounce_rate(inbox, now=NOW) is False
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.025
    assert inbox_check_bounce_rate(inbox, now=NOW) is True
    inbox.refresh_from_db()
    assert inbox.state_reason.endswith("(threshold 2.5%)")


def test_an_inbox_already_paused_is_left_alone():
    inbox = InboxFactory()
    sends(inbox, 20, bounced=4)
    inbox_pause(inbox=inbox, by="user:oscar", reason="moving domains")
    assert inbox_check_bounce_rate(inbox, now=NOW) is False
    inbox.refresh_from_db()
    assert inbox.state_reason == "moving domains"
    assert Event.objects.filter(name="inbox.paused").count() == 1
    assert not Event.objects.filter(name="alert.sent").exists()


def test_the_second_bounce_reported_by_webhook_pauses_the_inbox(client, settings, django_capture_on_commit_callbacks):
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": RESEND_SECRET, "WEBHOOK_SECRET": BASIC_AUTH}
    inbox = InboxFactory()
    recent = datetime.datetime.now(UTC) - datetime.timedelta(days=1)
    for i in range(19):
        EmailFactory(inbox=inbox, status=EmailStatus.DELIVERED, sent_at=recent, provider_message_id=f"re_{i}")
    EmailFactory(inbox=inbox, status=EmailStatus.SENT, sent_at=recent, provider_message_id=RESEND_EMAIL_ID)

    with django_capture_on_commit_callbacks(execute=True):  # the check runs once the bounce is committed
        resend_post(client, "email.bounced", email_id="re_0")  # 1 of 20: at the threshold
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE

    with django_capture_on_commit_callbacks(execute=True):
        resend_post(client, "email.bounced")  # 2 of 20
    inbox.refresh_from_db()
    assert inbox.state == InboxState.PAUSED
    assert inbox.state_reason == "hard-bounce rate 10.0% over 28 days (threshold 5%)"
    assert Event.objects.filter(name="alert.sent", data__key=f"inbox.paused:{inbox.pk}").exists()
