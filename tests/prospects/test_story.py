"""The prospect page as a story: what happens next in each situation, and the timeline."""

import datetime

import pytest
from constance import config
from django.utils import timezone

from infra.statemachine import transition
from jengu.prospect_story import prospect_story
from outreach.models import EmailStatus, SendDecision, Sequence, SequenceState
from prospects.models import ProspectStage, Task
from prospects.services.assignment import prospect_assign
from prospects.services.notes import note_add, task_add
from replies.models import CalibrationHistory, Meeting
from tests.factories import (
    CampaignFactory,
    EmailFactory,
    InboxFactory,
    ProspectFactory,
    ReplyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Thursday 3 December 2026, 18:00 UTC: 11:00 in Denver, a working hour
NOW = datetime.datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
SATURDAY = datetime.datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


def contacted(**fields):
    return ProspectFactory(stage=ProspectStage.CONTACTED, **fields)


def next_text(prospect, now=NOW):
    return prospect_story(prospect, now=now).next_step.text


# --- what happens next -------------------------------------------------------------------


def test_a_reply_waiting_for_a_person_comes_first():
    reply = ReplyFactory(needs_human=True, processed_at=NOW)
    story = prospect_story(reply.prospect, now=NOW)
    assert story.next_step.text == f"needs a human: reply #{reply.pk}"
    assert story.next_step.url == f"/admin/replies/reply/{reply.pk}/change/"


def test_an_email_held_by_the_country_rule_says_why():
    prospect = contacted(country="DE", city="Berlin", region="Berlin", timezone="Europe/Berlin")
    email = EmailFactory(prospect=prospect, status=EmailStatus.HELD)
    SendDecision.objects.create(
        email=email, outcome="held", reason="consent_required", detail="consent required in DE: none recorded"
    )
    assert next_text(prospect) == "held: consent required in DE: none recorded"


def test_the_page_of_a_held_prospect_leads_to_recording_the_consent(admin_client):
    prospect = contacted(country="DE", city="Berlin", timezone="Europe/Berlin")
    email = EmailFactory(prospect=prospect, status=EmailStatus.HELD)
    SendDecision.objects.create(email=email, outcome="held", reason="consent_required", detail="consent required")
    html = admin_client.get(f"/admin/prospects/prospect/{prospect.pk}/change/").content.decode()
    assert 'href="#consents-group" id="record-consent"' in html and 'id="consents-group"' in html


def test_an_out_of_office_pause_says_until_when():
    prospect = contacted()
    Sequence.objects.create(
        prospect=prospect,
        campaign=CampaignFactory(),
        state=SequenceState.PAUSED,
        paused_until=datetime.datetime(2027, 1, 14, tzinfo=UTC),
        stop_reason="reply 41: out_of_office",
        first_sent_at=NOW - datetime.timedelta(days=5),
        last_step_sent=1,
    )
    assert next_text(prospect) == "waiting: out of office until 13 Jan"  # midnight UTC is the 13th in Denver


def test_the_next_follow_up_is_due_in_their_time():
    first_sent = NOW - datetime.timedelta(days=2)
    prospect = contacted(last_email_sent_at=first_sent)
    Sequence.objects.create(
        prospect=prospect,
        campaign=CampaignFactory(follow_up_days=[3, 7, 14]),
        first_sent_at=first_sent,
        last_step_sent=1,
    )
    # three days after the first send: Friday 18:00 UTC, 11:00 in Denver
    assert next_text(prospect) == "follow-up 2 due Fri 11:00 their time"


def test_a_follow_up_due_at_night_is_moved_to_their_next_working_hour():
    first_sent = datetime.datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 21:00 on Monday in Denver
    prospect = contacted(last_email_sent_at=first_sent)
    Sequence.objects.create(
        prospect=prospect, campaign=CampaignFactory(follow_up_days=[3]), first_sent_at=first_sent, last_step_sent=1
    )
    assert next_text(prospect) == "follow-up 2 due Fri 09:00 their time"  # Thu 21:00 → Fri 09:00


def test_a_queued_email_waits_for_its_inboxs_turn():
    prospect = contacted()
    inbox = InboxFactory(next_send_at=NOW + datetime.timedelta(minutes=20))
    EmailFactory(prospect=prospect, inbox=inbox, status=EmailStatus.QUEUED)
    assert next_text(prospect) == f"waiting for its inbox's turn ({inbox.email}, Thu 11:20 their time)"


def test_a_queued_email_outside_their_working_hours_waits_for_the_next_opening():
    prospect = contacted()
    EmailFactory(prospect=prospect, status=EmailStatus.QUEUED, inbox=None, from_email="")
    assert next_text(prospect, now=SATURDAY) == "queued: next opening Mon 09:00 their time"


def test_a_queued_follow_up_with_a_later_time_says_when():
    prospect = contacted()
    EmailFactory(
        prospect=prospect,
        status=EmailStatus.QUEUED,
        type="follow_up",
        sequence_step=3,
        not_before=NOW + datetime.timedelta(days=1, hours=1),
    )
    assert next_text(prospect) == "follow-up 3 due Fri 12:00 their time"


def test_a_queued_email_under_the_emergency_stop_says_so():
    prospect = contacted()
    EmailFactory(prospect=prospect, status=EmailStatus.QUEUED)
    config.SENDING_ENABLED = False
    assert "sending is stopped" in next_text(prospect)


def test_a_queued_email_whose_inbox_is_paused_says_so():
    prospect = contacted()
    inbox = InboxFactory(state="paused", state_reason="bounce rate 6%")
    EmailFactory(prospect=prospect, inbox=inbox, status=EmailStatus.QUEUED)
    assert next_text(prospect) == f"waiting: its inbox {inbox.email} is Paused: bounce rate 6%"


def test_a_meeting_to_come_and_an_overdue_task():
    prospect = ProspectFactory(stage=ProspectStage.MEETING)
    Meeting.objects.create(
        prospect=prospect, provider="calcom", external_id="b-1", starts_at=NOW + datetime.timedelta(days=5, hours=4)
    )
    task_add(prospect=prospect, title="Send the pricing sheet", due_at=NOW - datetime.timedelta(hours=2), by="test")
    story = prospect_story(prospect, now=NOW)
    assert story.next_step.text == "meeting Tue 15:00 their time"
    assert [step.text for step in story.also] == ["overdue: Send the pricing sheet (due Thu 09:00 their time)"]


def test_closed_erased_and_pipeline_prospects():
    won = ProspectFactory(stage=ProspectStage.WON)
    assert next_text(won).startswith("won on ")
    lost = ProspectFactory(stage=ProspectStage.LOST, lost_reason="chose a competitor")
    assert next_text(lost).endswith("— chose a competitor")
    assert next_text(ProspectFactory(stage=ProspectStage.ENRICHED)) == "in the pipeline: waiting for research"
    erased = ProspectFactory(stage=ProspectStage.LOST, erased_at=NOW)
    assert next_text(erased) == "personal data erased on 3 Dec"


def test_a_prospect_with_an_unknown_zone_reads_in_utc():
    prospect = contacted(timezone="", country="")
    EmailFactory(prospect=prospect, status=EmailStatus.QUEUED, not_before=NOW + datetime.timedelta(hours=3))
    story = prospect_story(prospect, now=NOW)
    assert story.local_now is None
    assert story.next_step.text == "the first email due Thu 21:00 UTC"


# --- the timeline ------------------------------------------------------------------------


def test_the_timeline_holds_everything_newest_first():
    sally = UserFactory(username="sally")
    prospect = contacted(country="DE", city="Berlin", timezone="Europe/Berlin")
    email = EmailFactory(
        prospect=prospect,
        subject="Faster check-ins at the Adlon?",
        body="Hi Anna,\nA short note about check-in times.",
        status=EmailStatus.BOUNCED,
        sent_at=NOW - datetime.timedelta(days=9),
        opened_at=NOW - datetime.timedelta(days=8),
        bounced_at=NOW - datetime.timedelta(days=8),
    )
    held = EmailFactory(prospect=prospect, subject="Following up", status=EmailStatus.HELD)
    held.created_at = NOW - datetime.timedelta(days=7)
    held.save()
    decision = SendDecision.objects.create(
        email=held, outcome="held", reason="consent_required", detail="consent required in DE: none recorded"
    )
    SendDecision.objects.filter(pk=decision.pk).update(created_at=NOW - datetime.timedelta(days=6))
    SendDecision.objects.create(email=held, outcome="skipped", reason="window", created_at=NOW)  # noise: not shown
    reply = ReplyFactory(
        email=email, body="Call me on Tuesday.\n\n> quoted", intent="needs_more_info", confidence=0.62,
        received_at=NOW - datetime.timedelta(days=5),
    )  # fmt: skip
    CalibrationHistory.objects.create(
        reply=reply, predicted_intent="interested", predicted_confidence=0.62, corrected_intent="needs_more_info",
        corrected_by=sally,
    )  # fmt: skip
    transition(prospect, "mark_replied", by=sally, reason="reply read", at=NOW - datetime.timedelta(days=4))
    prospect_assign(prospect=prospect, owner=sally, by="test", notify=False)
    Meeting.objects.create(
        prospect=prospect, provider="calcom", external_id="m-1", starts_at=NOW + datetime.timedelta(days=2),
        created_at=NOW - datetime.timedelta(days=3),
    )  # fmt: skip
    note = note_add(prospect=prospect, text="Prefers calls after 4pm.\nSecond line.", by=sally)
    task = task_add(prospect=prospect, title="Call the GM", due_at=NOW + datetime.timedelta(days=1), by=sally)

    story = prospect_story(prospect, now=NOW)
    kinds = [item.kind for item in story.timeline]
    assert sorted(kinds) == sorted(["email", "email", "decision", "reply", "stage", "event", "meeting", "note", "task"])
    ats = [item.at for item in story.timeline]
    assert ats == sorted(ats, reverse=True)
    assert kinds[-1] == "email" and story.timeline[-1].obj == email  # the first thing that happened

    by_kind = {}
    for item in story.timeline:
        by_kind.setdefault(item.kind, []).append(item)
    sent = next(i for i in by_kind["email"] if i.obj == email)
    assert (sent.title, sent.summary, sent.badge, sent.tone) == (
        "Faster check-ins at the Adlon?", "Hi Anna,", "Bounced", "bad",
    )  # fmt: skip
    assert ("tracking", "opened 25 Nov, bounced 25 Nov") in sent.details
    assert ("inbox", email.inbox.email) in sent.details
    read = by_kind["reply"][0]
    assert (read.title, read.summary, read.tone) == ("Needs more info", "Call me on Tuesday.", "info")
    assert ("confidence", "62%") in read.details
    assert ("corrected", "by sally: Interested → Needs more info") in read.details
    assert by_kind["decision"][0].summary == "consent required in DE: none recorded"
    assert by_kind["stage"][0].title == "contacted → replied" and by_kind["stage"][0].who == "user:sally"
    assert by_kind["event"][0].title == "assigned"
    assert by_kind["note"][0].summary == "Prefers calls after 4pm." and by_kind["note"][0].who == "sally"
    assert by_kind["task"][0].obj == task and by_kind["task"][0].badge == "To do"
    assert story.open_tasks == [task] and story.counts["notes"] == 1
    assert story.timeline[0].obj in (note, task)  # the newest things are what sally just did
    assert story.reply_to_answer == reply


def test_the_page_renders_the_story_the_timeline_and_the_folded_form(admin_client):
    reply = ReplyFactory(body="Sounds interesting, call me Tuesday.", needs_human=True, processed_at=NOW)
    prospect = reply.prospect
    note_add(prospect=prospect, text="Met at ITB", by="test")
    html = admin_client.get(f"/admin/prospects/prospect/{prospect.pk}/change/").content.decode()
    assert html.index('id="story-next"') < html.index('id="story-timeline"') < html.index('id="raw-form"')
    assert f"needs a human: reply #{reply.pk}" in html
    assert "Sounds interesting, call me Tuesday." in html and "Met at ITB" in html
    assert '<details class="story-raw" id="raw-form">' in html  # folded
    assert f"/admin/replies/reply/{reply.pk}/respond/" in html  # Answer
    assert "jengu/htmx.min.js" in html


def test_an_open_task_on_the_page_can_be_ticked_off(admin_client):
    prospect = contacted()
    task = task_add(prospect=prospect, title="Call the GM", due_at=timezone.now(), by="test")
    html = admin_client.get(f"/admin/prospects/prospect/{prospect.pk}/change/").content.decode()
    assert f"/admin/prospects/prospect/{prospect.pk}/story/task/{task.pk}/done/" in html
    assert Task.objects.get().done_at is None
