"""/api/replies/{id}/confirm: a reading that waits for a person, confirmed with a key."""

import pytest

from replies.models import CalibrationHistory
from tests.api.conftest import api, fresh_cache, make_key, reader  # noqa: F401  (fixtures)
from tests.factories import ReplyFactory
from tests.replies.helpers import contacted

pytestmark = pytest.mark.django_db


def test_confirming_a_reading_that_waits_acts_on_it(api):  # noqa: F811
    prospect, email = contacted()
    reply = ReplyFactory(
        prospect=prospect,
        email=email,
        inbox=email.inbox,
        intent="interested",
        confidence=0.6,
        needs_human=True,
        action_status="awaiting",
        body="Hmm, maybe.",
    )
    response = api.post(f"/api/replies/{reply.pk}/confirm", {})
    assert response.status_code == 200, response.content
    assert (response.json()["action_status"], response.json()["needs_human"]) == ("confirmed", False)
    prospect.refresh_from_db()
    assert prospect.stage == "replied"
    history = CalibrationHistory.objects.get(reply=reply)
    assert history.predicted_intent == history.corrected_intent == "interested"
    again = api.post(f"/api/replies/{reply.pk}/confirm", {})
    assert again.status_code == 409


def test_the_list_shows_the_action_status(reader):  # noqa: F811
    reply = ReplyFactory(intent="delegated", action_status="awaiting", policy_reason="create_prospect: …")
    row = reader.get("/api/replies").json()["items"][0]
    assert (row["id"], row["action_status"], row["policy_reason"]) == (reply.pk, "awaiting", "create_prospect: …")
