"""The replies admin: unified inbox, correction, calibration report, manual answer, unmatched."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from outreach.models import Email, Suppression
from replies.models import CalibrationHistory, Reply
from tests.factories import ProspectFactory, ReplyFactory
from tests.replies.helpers import contacted

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    prospect, email = contacted()
    reply = ReplyFactory(
        email=email,
        prospect=prospect,
        inbox=email.inbox,
        body="Tell me more about pricing",
        intent="needs_more_info",
        confidence=0.62,
        needs_human=True,
        message_id="<thread-reply@hotel.example>",
    )
    return prospect, email, reply


def test_the_unified_inbox_lists_needs_a_human_first_and_filters(admin_client, thread):
    _prospect, _email, flagged = thread
    calm = ReplyFactory(intent="interested", confidence=0.95, needs_human=False)
    url = reverse("admin:replies_reply_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows.index(flagged) < rows.index(calm)
    for query in (
        "intent=needs_more_info",
        "confidence_band=low",
        "needs_human__exact=1",
        "matched=no",
        "match_rule=domain",
    ):
        assert admin_client.get(f"{url}?{query}").status_code == 200
    low = admin_client.get(f"{url}?confidence_band=low").context["cl"].result_list
    assert list(low) == [flagged]


def test_the_reply_page_shows_our_email_and_the_prospect_beside_it(admin_client, thread):
    prospect, email, reply = thread
    response = admin_client.get(reverse("admin:replies_reply_change", args=[reply.pk]))
    assert response.status_code == 200
    assert email.body in response.text and prospect.company_name in response.text
    assert reverse("admin:replies_reply_respond", args=[reply.pk]) in response.text


def test_correcting_the_intent_writes_calibration_history_and_acts(admin_client, thread):
    prospect, email, reply = thread
    response = admin_client.post(reverse("admin:replies_reply_correct", args=[reply.pk]), {"intent": "unsubscribe"})
    assert response.status_code == 302
    history = CalibrationHistory.objects.get(reply=reply)
    assert (history.predicted_intent, history.predicted_confidence, history.corrected_intent) == (
        "needs_more_info",
        0.62,
        "unsubscribe",
    )
    assert Suppression.objects.filter(reason="unsubscribe").exists()
    reply.refresh_from_db()
    assert reply.intent == "unsubscribe" and not reply.needs_human


def test_the_change_form_cannot_set_an_intent_without_its_actions(admin_client, thread):
    prospect, email, reply = thread
    page = admin_client.get(reverse("admin:replies_reply_change", args=[reply.pk])).content.decode()
    assert 'name="intent"' not in page and 'name="prospect"' not in page  # shown, not editable
    admin_client.post(
        reverse("admin:replies_reply_change", args=[reply.pk]),
        {"intent": "unsubscribe", "prospect": "", "needs_human": "on", "from_email": reply.from_email},
    )
    reply.refresh_from_db()
    assert reply.intent == "needs_more_info" and reply.prospect == prospect
    assert not Suppression.objects.exists()


def test_a_correction_made_before_processing_is_not_overwritten_by_it(thread):
    from replies.pipeline import run_reply_processing
    from replies.services.corrections import reply_correct_intent

    _, _, reply = thread
    Reply.objects.filter(pk=reply.pk).update(processed_at=None, intent="")  # the model has not read it yet
    reply.refresh_from_db()
    reply_correct_intent(reply=reply, intent="meeting_request", by="user:sally")
    assert run_reply_processing(reply.pk) == "skipped"
    reply.refresh_from_db()
    assert reply.intent == "meeting_request" and reply.processed_at is not None


def test_the_calibration_report_renders_per_intent(admin_client, thread):
    _prospect, _email, reply = thread
    ReplyFactory(intent="interested", confidence=0.9)
    admin_client.post(reverse("admin:replies_reply_correct", args=[reply.pk]), {"intent": "interested"})
    response = admin_client.get(reverse("admin:replies_reply_calibration"))
    assert response.status_code == 200
    rows = {row.label: row for row in response.context["report"]["intents"]}
    assert rows["Needs more info"].corrected == 1 and rows["Needs more info"].accuracy == 0
    assert "Per confidence band" in response.text


def test_a_manual_answer_queues_an_email_in_the_thread_from_the_same_inbox(admin_client, thread):
    prospect, email, reply = thread
    response = admin_client.post(
        reverse("admin:replies_reply_respond", args=[reply.pk]), {"body": "It is 4 EUR per room per month."}
    )
    assert response.status_code == 302
    answer = Email.objects.get(type=Email.Type.REPLY)
    assert answer.status == "queued" and answer.inbox == email.inbox and answer.prospect == prospect
    assert answer.to_email == reply.from_email and answer.in_reply_to == reply.message_id
    assert answer.thread_root == email and answer.subject == reply.subject


def test_unmatched_replies_can_be_attached_to_a_prospect(admin_client, settings):
    settings.JENGU_TASKS_SYNC = True
    reply = ReplyFactory(
        email=None, prospect=None, from_email="gm@new.example", subject="Hello", intent="interested", confidence=0.9
    )
    listing = admin_client.get(reverse("admin:replies_reply_unmatched"), follow=True)
    assert list(listing.context["cl"].result_list) == [reply]
    prospect = ProspectFactory(stage="contacted")
    response = admin_client.post(reverse("admin:replies_reply_attach", args=[reply.pk]), {"prospect": str(prospect.pk)})
    assert response.status_code == 302
    reply.refresh_from_db()
    prospect.refresh_from_db()
    assert reply.prospect == prospect and prospect.stage == "replied"
    assert Reply.objects.filter(prospect__isnull=True).count() == 0


@pytest.fixture
def waiting(monkeypatch):
    """A reply whose reading waits for a person: nothing clear to read (replies.policy)."""
    from replies.pipeline import run_reply_processing
    from replies.services.ingest import reply_ingest
    from tests.replies.helpers import reply_to

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    prospect, email = contacted()
    reply = reply_ingest(reply_to(email, "Hmm. We will see."), source="imap").reply
    run_reply_processing(reply.pk, providers=[])
    reply.refresh_from_db()
    return prospect, email, reply


def test_a_reading_that_waits_is_confirmed_in_one_click_and_counted_on_the_calibration_page(admin_client, waiting):
    prospect, _email, reply = waiting
    assert reply.action_status == "awaiting", reply.policy_reason
    page = admin_client.get(reverse("admin:replies_reply_change", args=[reply.pk]))
    confirm = reverse("admin:replies_reply_confirm", args=[reply.pk])
    assert confirm in page.text and escape(reply.policy_reason) in page.text
    assert admin_client.post(confirm).status_code == 302
    reply.refresh_from_db()
    prospect.refresh_from_db()
    assert reply.action_status == "confirmed" and not reply.needs_human
    history = CalibrationHistory.objects.get(reply=reply)
    assert history.predicted_intent == history.corrected_intent == reply.intent
    calibration = admin_client.get(reverse("admin:replies_reply_calibration"))
    row = calibration.context["confirmations"][0]
    assert (row.reviewed, row.right) == (1, 1)


def test_the_list_action_confirms_only_the_readings_that_wait(admin_client, waiting, thread):
    _prospect, _email, reply = waiting
    _p, _e, other = thread
    url = reverse("admin:replies_reply_changelist")
    admin_client.post(url, {"action": "confirm_readings", "_selected_action": [reply.pk, other.pk]})
    reply.refresh_from_db()
    other.refresh_from_db()
    assert reply.action_status == "confirmed" and other.action_status == ""


def test_the_draft_answer_page_approves_or_discards(admin_client, monkeypatch):
    from replies.pipeline import run_reply_processing
    from replies.services.ingest import reply_ingest
    from tests.replies.helpers import reply_to

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    _prospect, email = contacted()
    reply = reply_ingest(reply_to(email, "Yes, we're interested - tell me more."), source="imap").reply
    run_reply_processing(reply.pk, providers=[])
    reply.refresh_from_db()
    url = reverse("admin:replies_reply_answer_draft", args=[reply.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and reply.answer_draft.body.splitlines()[0] in page.text
    response = admin_client.post(url, {"subject": reply.answer_draft.subject, "body": reply.answer_draft.body})
    assert response.status_code == 302
    reply.answer_draft.refresh_from_db()
    assert reply.answer_draft.status == "queued"
    assert admin_client.get(url).status_code == 302  # nothing waits any more
