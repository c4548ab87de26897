"""Follow-ups: steps 2–4 on the campaign's days, in the first email's thread, then closed lost."""

import datetime

import pytest
import time_machine

from jengu import jobs
from outreach.models import Email, EmailStatus, Sequence, SequenceState
from outreach.services.follow_ups import follow_up_run
from prospects.models import ProspectStage
from tests.factories import EmailFactory, SequenceFactory, SuppressionFactory
from tests.outreach.composition_support import campaign, researched_prospect

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)  # a Monday: the first email went out


def day(n, hour=10):
    return T0.replace(hour=hour, minute=0) + datetime.timedelta(days=n)


@pytest.fixture
def sequence():
    camp = campaign()
    prospect = researched_prospect(stage=ProspectStage.CONTACTED)
    first = EmailFactory(
        prospect=prospect,
        campaign=camp,
        subject="Front Desk Manager at Harbour View Hotel",
        status=EmailStatus.SENT,
        sent_at=T0,
        message_id="<first.1@mail.jengu.example>",
    )
    return SequenceFactory(prospect=prospect, campaign=camp, inbox=first.inbox, last_step_sent=1, first_sent_at=T0)


def _sent(sequence, step):
    """What the sender does after a send: the step is recorded on the sequence."""
    email = Email.objects.get(prospect=sequence.prospect, sequence_step=step)
    Email.objects.filter(pk=email.pk).update(sent_at=day(0))  # the sender's own fields; status is not ours
    Sequence.objects.filter(pk=sequence.pk).update(last_step_sent=step)


def test_steps_two_to_four_come_on_days_3_7_14_in_the_thread_with_their_angles(sequence):
    first = Email.objects.get(sequence_step=1)
    assert follow_up_run(now=day(2)).composed == 0
    # each step opens with one of its angle's phrasings (issue 23: they vary between prospects)
    expected = {
        2: (3, ("I am bringing my last note back", "I wanted to bring my last email back", "A quick follow-up on")),
        3: (7, ("A different angle", "One more thought", "Here is another way")),
        4: (14, ("I have not heard",)),
    }
    for step, (offset, openings) in expected.items():
        assert follow_up_run(now=day(offset - 1, hour=23)).composed == 0, step
        summary = follow_up_run(now=day(offset))
        assert summary.composed == 1 and summary.queued == 1, summary
        email = Email.objects.get(sequence_step=step)
        assert email.type == Email.Type.FOLLOW_UP and email.status == EmailStatus.QUEUED
        assert email.subject == "Re: Front Desk Manager at Harbour View Hotel"
        assert email.thread_root == first and email.in_reply_to == "<first.1@mail.jengu.example>"
        assert email.inbox is None  # the sender sends it from the sequence's inbox
        assert email.body.startswith("Hi Anna,\n\n") and email.body[10:].startswith(openings), email.body
        assert email.gate_results["passed"], email.gate_results
        assert email.gate_results["gates"]["form"]["detail"]["words"] <= 80  # shorter than a first email
        # the same day again: never a second email for the step
        assert follow_up_run(now=day(offset, hour=15)).composed == 0
        assert Email.objects.filter(sequence_step=step).count() == 1
        _sent(sequence, step)
    assert "Marriott Courtyard Austin" in Email.objects.get(sequence_step=3).body


def test_a_late_step_pushes_the_next_ones_back_instead_of_sending_on_consecutive_days(sequence):
    from outreach.selectors import sequences_due_for_follow_up, sequences_due_to_close
    from prospects.models import Prospect

    # step 2 (due day 3) went out on day 10, after an out-of-office pause
    Sequence.objects.filter(pk=sequence.pk).update(last_step_sent=2)
    Prospect.objects.filter(pk=sequence.prospect_id).update(last_email_sent_at=day(10))
    assert sequences_due_for_follow_up(day(11)) == []  # step 3's day 7 has passed, but 4 days must follow step 2
    assert sequences_due_for_follow_up(day(13, hour=23)) == []
    assert [(s.pk, s.next_step) for s in sequences_due_for_follow_up(day(14))] == [(sequence.pk, 3)]
    # the last step, late too, still gets a week's wait before the sequence closes
    Sequence.objects.filter(pk=sequence.pk).update(last_step_sent=4)
    Prospect.objects.filter(pk=sequence.prospect_id).update(last_email_sent_at=day(25))
    assert sequences_due_to_close(day(31)) == []
    assert [s.pk for s in sequences_due_to_close(day(32))] == [sequence.pk]


def test_after_the_last_step_and_a_week_of_silence_the_sequence_closes_lost(sequence):
    for step in (2, 3, 4):
        EmailFactory(
            prospect=sequence.prospect, campaign=sequence.campaign, sequence_step=step, status=EmailStatus.SENT
        )
    Sequence.objects.filter(pk=sequence.pk).update(last_step_sent=4)
    assert follow_up_run(now=day(20)).closed == 0
    with time_machine.travel(day(21), tick=False):
        assert "1 sequence(s) closed" in jobs.follow_up_run()
    sequence.refresh_from_db()
    sequence.prospect.refresh_from_db()
    assert sequence.state == SequenceState.COMPLETED and sequence.stop_reason == "no response"
    assert sequence.prospect.stage == ProspectStage.LOST and sequence.prospect.lost_reason == "no response"


def test_no_follow_up_after_a_reply_a_bounce_or_an_unsubscribe(sequence):
    prospect = sequence.prospect
    prospect.last_reply_at = day(1)
    prospect.save()
    assert follow_up_run(now=day(3)).composed == 0
    prospect.last_reply_at = None
    prospect.save()
    SuppressionFactory(value=prospect.email)
    assert follow_up_run(now=day(3)).composed == 0
    assert not Email.objects.filter(type=Email.Type.FOLLOW_UP).exists()


def test_a_paused_sequence_resumes_when_its_pause_is_over(sequence):
    Sequence.objects.filter(pk=sequence.pk).update(state=SequenceState.PAUSED, paused_until=day(5))
    assert follow_up_run(now=day(4)).composed == 0
    summary = follow_up_run(now=day(5))
    assert summary.resumed == 1 and summary.composed == 1


def test_approval_campaigns_hold_follow_ups_as_drafts(sequence):
    sequence.campaign.requires_approval = True
    sequence.campaign.save()
    summary = follow_up_run(now=day(3))
    assert summary.held == 1 and Email.objects.get(sequence_step=2).status == EmailStatus.DRAFT


def test_an_ai_follow_up_keeps_the_thread_subject_and_gets_its_angle_in_the_prompt(sequence):
    from tests.outreach.composition_support import grok

    Sequence.objects.filter(pk=sequence.pk).update(last_step_sent=2)
    EmailFactory(prospect=sequence.prospect, campaign=sequence.campaign, sequence_step=2, status=EmailStatus.SENT)
    grok_client, script = grok("grok_follow_up_new_value.json")
    summary = follow_up_run(now=day(7), providers=[grok_client])
    assert summary.composed == 1
    email = Email.objects.get(sequence_step=3)
    assert email.written_by == "grok" and email.subject == "Re: Front Desk Manager at Harbour View Hotel"
    prompt = script.prompts()[0]
    assert "a different value proposition" in prompt and "25 to 120 words" in prompt


def test_the_live_follow_up_days_are_what_a_new_campaign_starts_with(admin_client):
    from constance import config
    from django.urls import reverse

    from outreach.selectors import sequence_step_count
    from tests.factories import CampaignFactory

    existing = CampaignFactory(name="Before the change")
    config.FOLLOW_UP_DAYS = "2, 5,9"
    new = CampaignFactory(name="After the change")
    assert new.follow_up_days == [2, 5, 9] and sequence_step_count(new) == 4
    existing.refresh_from_db()
    assert existing.follow_up_days == [3, 7, 14]  # a campaign keeps its own days
    page = admin_client.get(reverse("admin:outreach_campaign_add"))
    assert "[2, 5, 9]" in page.content.decode()  # the add form starts from the live setting
    config.FOLLOW_UP_DAYS = "3, soon"  # a value that does not parse never breaks a new campaign
    assert CampaignFactory(name="Bad setting").follow_up_days == [3, 7, 14]
