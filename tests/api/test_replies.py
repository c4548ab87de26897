"""/api/replies: filters, detail, and correcting an intent with the key as the actor."""

import pytest

from infra.models import Event
from replies.models import CalibrationHistory
from tests.factories import ReplyFactory

pytestmark = pytest.mark.django_db


def test_reply_filters(reader):
    sure = ReplyFactory(intent="interested", confidence=0.95)
    unsure = ReplyFactory(intent="not_interested", confidence=0.4, needs_human=True)

    def ids(**params):
        response = reader.get("/api/replies", params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["items"]]

    assert ids() == [unsure.pk, sure.pk]
    assert ids(intent="interested") == [sure.pk]
    assert ids(confidence_below=0.5) == [unsure.pk]
    assert ids(needs_human="true") == [unsure.pk]
    assert ids(needs_human="false") == [sure.pk]
    assert ids(prospect=sure.prospect_id) == [sure.pk]


@pytest.mark.parametrize("params", [{"intent": "curious"}, {"confidence_below": 2}, {"needs_human": "maybe"}])
def test_reply_bad_filters_are_422(reader, params):
    assert reader.get("/api/replies", params).status_code == 422


def test_reply_detail_and_404(reader):
    reply = ReplyFactory(body="Tell me more")
    assert reader.get(f"/api/replies/{reply.pk}").json()["body"] == "Tell me more"
    assert reader.get("/api/replies/999999").status_code == 404


def test_correct_intent(api):
    reply = ReplyFactory(intent="not_interested", confidence=0.55, needs_human=True)
    response = api.post(f"/api/replies/{reply.pk}/correct-intent", {"intent": "interested"})
    assert response.status_code == 200, response.content
    assert (response.json()["intent"], response.json()["needs_human"]) == ("interested", False)
    history = CalibrationHistory.objects.get(reply=reply)
    assert (history.predicted_intent, history.corrected_intent) == ("not_interested", "interested")
    assert Event.objects.get(name="reply.corrected").actor == "api-key:test-admin"


def test_correct_intent_errors(api, reader):
    reply = ReplyFactory(intent="interested")
    same = api.post(f"/api/replies/{reply.pk}/correct-intent", {"intent": "interested"})
    assert same.status_code == 409 and same.json()["current_state"] == "interested"
    assert api.post(f"/api/replies/{reply.pk}/correct-intent", {"intent": "curious"}).status_code == 422
    assert api.post(f"/api/replies/{reply.pk}/correct-intent", {}).status_code == 422
    assert api.post("/api/replies/999999/correct-intent", {"intent": "interested"}).status_code == 404
    assert reader.post(f"/api/replies/{reply.pk}/correct-intent", {"intent": "bounce"}).status_code == 403
