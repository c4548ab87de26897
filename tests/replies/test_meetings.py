"""Bookings through a campaign's link move the prospect to `meeting`, on its timeline.

Recorded payloads follow Cal.com's webhook documentation
(https://cal.com/docs/developing/guides/automation/webhooks: triggerEvent, payload.uid,
startTime, attendees, metadata, rescheduleUid, X-Cal-Signature-256 = hex HMAC-SHA256 of
the body) and Calendly's (https://developer.calendly.com/api-docs/overview/webhooks/
webhook-signatures and the invitee webhook payloads: event, payload.uri, email,
scheduled_event, tracking, old_invitee, rescheduled); under tests/fixtures/calcom/ and
tests/fixtures/calendly/.
"""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from infra.models import Alert, Event
from outreach.models import SequenceState
from replies.models import Meeting
from replies.services.meetings import booking_link, booking_token
from tests.replies.booking import CALCOM_SECRET, CALENDLY_KEY, calcom_post, calendly_post, recorded
from tests.replies.helpers import contacted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.CALCOM_WEBHOOK_SECRET = CALCOM_SECRET
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = CALENDLY_KEY


@pytest.fixture
def claire():
    prospect, email = contacted(email="claire@harbourview.example", stage="replied")
    return prospect


def test_a_calcom_booking_moves_the_prospect_to_meeting_stops_the_sequence_and_records_the_time(
    client, claire, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = calcom_post(client, recorded("calcom", "booking_created"))
    assert response.status_code == 200
    claire.refresh_from_db()
    assert claire.stage == "meeting"
    assert claire.sequence.state == SequenceState.STOPPED
    meeting = claire.meetings.get()
    assert (meeting.provider, meeting.status) == ("calcom", "booked")
    assert meeting.starts_at == datetime.datetime(2026, 3, 5, 14, 0, tzinfo=datetime.UTC)
    assert Event.objects.filter(name="meeting.booked", data__prospect_id=claire.pk).exists()
    assert Alert.objects.filter(key=f"meeting:{meeting.pk}").exists()


def test_the_token_in_our_link_finds_the_prospect_whatever_address_booked(client):
    prospect, _ = contacted(email="gm@hotel-one.example")
    payload = recorded("calcom", "booking_created")
    payload["payload"]["attendees"][0]["email"] = "someone.else@gmail.example"
    payload["payload"]["metadata"]["jengu"] = booking_token(prospect)
    assert calcom_post(client, payload).status_code == 200
    prospect.refresh_from_db()
    assert prospect.stage == "meeting" and prospect.meetings.count() == 1


def test_a_forged_token_is_no_prospect(client):
    prospect, _ = contacted(email="gm@hotel-two.example")
    payload = recorded("calcom", "booking_created")
    payload["payload"]["attendees"][0]["email"] = "nobody@elsewhere.example"
    payload["payload"]["metadata"]["jengu"] = f"{prospect.pk}:forged"
    assert calcom_post(client, payload).status_code == 200
    prospect.refresh_from_db()
    assert prospect.stage == "contacted" and not Meeting.objects.exists()
    assert Event.objects.filter(name="meeting.unmatched").exists()


def test_a_booking_link_carries_the_signed_token_for_each_service():
    prospect, _ = contacted()
    token = booking_token(prospect)
    assert "metadata%5Bjengu%5D=" in booking_link("https://cal.com/edd/15min", prospect)
    assert f"utm_content={token.replace(':', '%3A')}" in booking_link("https://calendly.com/edd/15min", prospect)
    assert booking_link("https://meet.example/edd", prospect) == "https://meet.example/edd"


def test_a_retried_delivery_changes_nothing_twice(client, claire):
    payload = recorded("calcom", "booking_created")
    calcom_post(client, payload)
    calcom_post(client, payload)
    assert Meeting.objects.count() == 1
    assert Event.objects.filter(name="meeting.booked").count() == 1


def test_a_calcom_reschedule_moves_the_meeting(client, claire):
    calcom_post(client, recorded("calcom", "booking_created"))
    assert calcom_post(client, recorded("calcom", "booking_rescheduled")).status_code == 200
    claire.refresh_from_db()
    assert claire.stage == "meeting"
    live = claire.meetings.get(status="booked")
    assert live.starts_at == datetime.datetime(2026, 3, 6, 9, 30, tzinfo=datetime.UTC)
    assert claire.meetings.get(external_id="bFJeNb2uX8ANpT3JL5EfXw").status == "rescheduled"


def test_a_cancelled_booking_goes_back_to_replied_with_an_alert(client, claire, django_capture_on_commit_callbacks):
    calcom_post(client, recorded("calcom", "booking_created"))
    with django_capture_on_commit_callbacks(execute=True):
        assert calcom_post(client, recorded("calcom", "booking_cancelled")).status_code == 200
    claire.refresh_from_db()
    meeting = claire.meetings.get()
    assert claire.stage == "replied" and meeting.status == "cancelled"
    assert meeting.cancel_reason == "Something came up, sorry"
    assert Alert.objects.filter(key=f"meeting:{meeting.pk}:cancelled").exists()


def test_a_calcom_ping_is_answered_and_changes_nothing(client, claire):
    assert calcom_post(client, recorded("calcom", "ping")).status_code == 200
    assert not Meeting.objects.exists()


def test_a_calendly_booking_reschedule_and_cancellation(client, claire):
    assert calendly_post(client, recorded("calendly", "invitee_created")).status_code == 200
    claire.refresh_from_db()
    assert claire.stage == "meeting"
    # a reschedule: the old invitee is cancelled (rescheduled: true), a new one created
    calendly_post(client, recorded("calendly", "invitee_canceled_rescheduled"))
    calendly_post(client, recorded("calendly", "invitee_created_rescheduled"))
    claire.refresh_from_db()
    assert claire.stage == "meeting"
    live = claire.meetings.get(status="booked")
    assert live.starts_at == datetime.datetime(2026, 3, 6, 9, 30, tzinfo=datetime.UTC)
    # the new booking cancelled for good: back to replied
    cancelled = recorded("calendly", "invitee_canceled")
    cancelled["payload"]["uri"] = live.external_id
    calendly_post(client, cancelled)
    claire.refresh_from_db()
    assert claire.stage == "replied"


def test_calendly_finds_the_prospect_by_the_token_in_utm_content(client):
    prospect, _ = contacted(email="fo@hotel-three.example")
    payload = recorded("calendly", "invitee_created")
    payload["payload"]["email"] = "private@mail.example"
    payload["payload"]["tracking"]["utm_content"] = booking_token(prospect)
    calendly_post(client, payload)
    prospect.refresh_from_db()
    assert prospect.stage == "meeting"


def test_a_booking_link_without_its_secret_fails_the_deployment_check(settings):
    from tests.factories import CampaignFactory

    settings.DEBUG = False
    settings.CALCOM_WEBHOOK_SECRET = ""
    CampaignFactory(booking_url="https://cal.com/edd/15min")
    with pytest.raises(SystemCheckError, match="jengu.E050"):
        call_command("check", "--deploy", "--tag", "jengu")
