"""A prospect's whole sequence across the stages, on one injected clock: composed, sent,
followed up on day 3 in the same thread from the same inbox, then a reply stops it."""

import datetime
import random

import pytest
from constance import config

from outreach.models import Email, EmailStatus, Sequence
from outreach.pipeline import run_composition
from outreach.services.follow_ups import follow_up_run
from outreach.services.sending import Pacing, sender_run
from prospects.models import Prospect, ProspectStage
from replies.models import Reply
from replies.pipeline import run_reply_processing
from replies.services.ingest import reply_ingest
from tests.factories import InboxFactory
from tests.outreach.composition_support import campaign, researched_prospect
from tests.replies.helpers import reply_to
from tests.support.smtp_sink import RecordingSink

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 10:00 in Denver; day 3 is Friday, day 7 the next Tuesday
DAY_0 = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0)


def send(at):
    return sender_run(clock=lambda: at, pacing=NO_PACING, rng=random.Random(1))


def test_first_email_follow_up_in_the_thread_then_a_reply_stops_the_sequence(settings, time_machine):
    settings.RESEND_API_KEY = settings.SENDGRID_API_KEY = ""
    config.WARMUP_JITTER = False
    time_machine.move_to(DAY_0, tick=False)
    with RecordingSink() as sink:
        inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
        InboxFactory(smtp_port=sink.port, smtp_password="", email="other@mail.jengu.test")
        campaign(postal_address="Jengu Ltd, 1 Harbour Street, Bristol BS1 4AA, UK")
        prospect = researched_prospect(timezone="America/Denver", country="US")

        run_composition(prospect.pk)
        first = Email.objects.get(prospect=prospect)
        assert first.status == EmailStatus.QUEUED

        assert send(DAY_0).sent == 1
        first.refresh_from_db()
        sequence = Sequence.objects.get(prospect=prospect)
        assert sequence.first_sent_at == DAY_0 and sequence.last_step_sent == 1
        thread_inbox = first.inbox
        assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.CONTACTED

        # day 2: nothing due yet; day 3: step 2, as a reply in the thread
        assert follow_up_run(now=DAY_0 + datetime.timedelta(days=2)).composed == 0
        day_3 = DAY_0 + datetime.timedelta(days=3)
        time_machine.move_to(day_3, tick=False)
        follow_up_run(now=day_3)
        follow_up = Email.objects.get(prospect=prospect, sequence_step=2)
        assert follow_up.type == Email.Type.FOLLOW_UP and follow_up.status == EmailStatus.QUEUED
        assert follow_up.subject == f"Re: {first.subject}" and follow_up.thread_root == first

        assert send(day_3).sent == 1
        follow_up.refresh_from_db()
        assert follow_up.status == EmailStatus.SENT and follow_up.inbox == thread_inbox
        wire = sink.messages[-1]
        assert wire["In-Reply-To"] == first.message_id and wire["Subject"] == follow_up.subject
        assert Sequence.objects.get(prospect=prospect).last_step_sent == 2
        assert inbox.pk and len(sink.messages) == 2

        # day 5: the manager answers the first email; step 3 is never composed or sent
        day_5 = DAY_0 + datetime.timedelta(days=5)
        time_machine.move_to(day_5, tick=False)
        result = reply_ingest(
            reply_to(first, "Thanks Edd, this is relevant for us. Can you send some details?"),
            source=Reply.Source.IMAP,
            inbox=thread_inbox,
        )
        run_reply_processing(result.reply.pk)
        prospect.refresh_from_db()
        assert prospect.stage == ProspectStage.REPLIED
        assert Sequence.objects.get(prospect=prospect).state == "stopped"

        day_7 = DAY_0 + datetime.timedelta(days=7)
        time_machine.move_to(day_7, tick=False)
        follow_up_run(now=day_7)
        assert not Email.objects.filter(prospect=prospect, sequence_step=3).exists()
        send(day_7)
        assert len(sink.messages) == 2
