"""Attacks on the booking webhooks (/webhooks/calcom/, /webhooks/calendly/): a forged,
unsigned, replayed or secret-less call changes nothing (no stage, no meeting, no event)."""

import time

import pytest

from infra.models import Event
from replies.models import Meeting
from tests.replies.booking import CALCOM_SECRET, CALENDLY_KEY, calcom_post, calendly_post, recorded
from tests.replies.helpers import contacted

pytestmark = pytest.mark.django_db


@pytest.fixture
def claire(settings):
    settings.CALCOM_WEBHOOK_SECRET = CALCOM_SECRET
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = CALENDLY_KEY
    prospect, _ = contacted(email="claire@harbourview.example", stage="replied")
    return prospect


def nothing_changed(prospect):
    prospect.refresh_from_db()
    assert prospect.stage == "replied"
    assert not Meeting.objects.exists()
    assert not Event.objects.filter(name__startswith="meeting.").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signature": ""},  # unsigned
        {"signature": "0" * 64},  # forged
        {"secret": "a-guessed-secret"},  # signed with another key
    ],
    ids=["unsigned", "forged", "wrong-secret"],
)
def test_calcom_refuses_a_call_it_cannot_verify(client, claire, kwargs):
    response = calcom_post(client, recorded("calcom", "booking_created"), **kwargs)
    assert response.status_code == 401
    nothing_changed(claire)


def test_calcom_refuses_everything_while_its_secret_is_unset(client, claire, settings):
    settings.CALCOM_WEBHOOK_SECRET = ""
    # an attacker signing with the empty key the unset secret would be
    response = calcom_post(client, recorded("calcom", "booking_created"), secret="")
    assert response.status_code == 401
    nothing_changed(claire)


def test_a_signed_body_altered_in_transit_is_refused(client, claire):
    import hashlib
    import hmac
    import json

    payload = recorded("calcom", "booking_created")
    signature = hmac.new(CALCOM_SECRET.encode(), json.dumps(payload).encode(), hashlib.sha256).hexdigest()
    payload["payload"]["attendees"][0]["email"] = "victim@other-hotel.example"
    assert calcom_post(client, payload, signature=signature).status_code == 401
    nothing_changed(claire)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"header": ""},
        {"header": "t=1772462400,v1=" + "0" * 64},
        {"key": "a-guessed-key"},
        {"stamp": int(time.time()) - 3600},  # a delivery replayed an hour later
        {"header": "v1=deadbeef"},
    ],
    ids=["unsigned", "forged", "wrong-key", "replayed", "no-timestamp"],
)
def test_calendly_refuses_a_call_it_cannot_verify(client, claire, kwargs):
    response = calendly_post(client, recorded("calendly", "invitee_created"), **kwargs)
    assert response.status_code == 401
    nothing_changed(claire)


def test_calendly_refuses_everything_while_its_key_is_unset(client, claire, settings):
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = ""
    assert calendly_post(client, recorded("calendly", "invitee_created"), key="").status_code == 401
    nothing_changed(claire)


def test_a_get_is_not_a_delivery(client, claire):
    assert client.get("/webhooks/calcom/").status_code == 405
    nothing_changed(claire)
