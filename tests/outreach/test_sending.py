"""The send path against a real SMTP server (aiosmtpd): caps, order, threads, the
send-time re-checks, pacing, the emergency stop, failures and the audit trail."""

import datetime
import random

import pytest
import time_machine
from constance import config
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from infra.events import event_record
from infra.models import CircuitState, Event, StateTransition
from infra.statemachine import transition
from outreach.business_hours import next_opening
from outreach.models import Email, EmailStatus, InboxDay, InboxState, SendDecision, Sequence, SinkMessage
from outreach.selectors import inbox_cap_on
from outreach.services.send_review import email_review_resolve, emails_stuck_sweep
from outreach.services.sending import Pacing, sender_run
from outreach.services.suppression import suppression_add
from prospects.models import Prospect, ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink, free_port

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Tuesday 1 December 2026, 10:00 in Denver (MST, UTC−7): inside business hours
NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0)


@pytest.fixture(autouse=True)
def no_esp_keys(settings):
    settings.RESEND_API_KEY = ""
    settings.SENDGRID_API_KEY = ""
    settings.SENDING_BUSINESS_HOURS = "enforced"
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0


@pytest.fixture
def sink():
    with RecordingSink() as sink:
        yield sink


@pytest.fixture
def inbox(sink):
    return InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=40)


def queued_email(inbox=None, **prospect_fields):
    """A first email as composition leaves it: queued, its prospect queued, its sequence open."""
    prospect = ProspectFactory(stage=ProspectStage.QUEUED, **prospect_fields)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    return EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)


def run(**kwargs):
    kwargs.setdefault("pacing", NO_PACING)
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("rng", random.Random(7))
    return sender_run(**kwargs)


def test_a_queued_email_goes_out_once_with_footer_headers_and_our_message_id(sink, inbox):
    email = queued_email()
    report = run()
    assert report.sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "smtp" and email.sent_at == NOW
    assert email.inbox == inbox and email.from_email == inbox.email
    [message] = sink.messages
    assert message["Message-ID"] == email.message_id
    assert message["List-Unsubscribe"].startswith("<http") and "/u/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert email.body.strip() in text
    assert email.campaign.postal_address in text and "/u/" in text  # CAN-SPAM footer
    # the prospect moved queued → sending → sent → contacted; its sequence knows the thread's inbox
    prospect = Prospect.objects.get(pk=email.prospect_id)
    assert prospect.stage == ProspectStage.CONTACTED and prospect.email_sent_count == 1
    sequence = Sequence.objects.get(prospect=prospect)
    assert (sequence.inbox, sequence.first_sent_at, sequence.last_step_sent) == (inbox, NOW, 1)
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 1
    decision = email.send_decisions.get()
    assert decision.outcome == "sent" and "Tue 10:00 in America/Denver" in decision.detail
    # a second run finds nothing to do
    assert run().sent == 0 and len(sink.messages) == 1


def test_follow_ups_go_first_from_the_threads_inbox_with_thread_headers(sink, inbox):
    other_inbox = InboxFactory(smtp_port=sink.port, smtp_password="", health_score=1.0)
    first = EmailFactory(status=EmailStatus.SENT, inbox=inbox, message_id="<first@jengu.test>",
                         prospect=ProspectFactory(stage=ProspectStage.CONTACTED))  # fmt: skip
    Sequence.objects.create(prospect=first.prospect, campaign=first.campaign, inbox=inbox, first_sent_at=NOW,
                            last_step_sent=1)  # fmt: skip
    newer_first_email = queued_email()
    follow_up = EmailFactory(prospect=first.prospect, campaign=first.campaign, inbox=None, from_email="",
                             status=EmailStatus.QUEUED,
                             type=Email.Type.FOLLOW_UP, sequence_step=2, thread_root=first,
                             in_reply_to="<first@jengu.test>", subject=f"Re: {first.subject}")  # fmt: skip
    assert newer_first_email.pk < follow_up.pk
    run(limit=1)
    follow_up.refresh_from_db()
    assert follow_up.status == EmailStatus.SENT and follow_up.inbox == inbox  # never other_inbox
    [message] = sink.messages
    assert message["In-Reply-To"] == "<first@jengu.test>" and message["References"] == "<first@jengu.test>"
    assert Email.objects.get(pk=newer_first_email.pk).status == EmailStatus.QUEUED
    assert Sequence.objects.get(prospect=first.prospect).last_step_sent == 2
    assert StateTransition.objects.filter(object_id=first.prospect_id, transition="follow_up").exists()
    assert other_inbox.pk  # it existed and was not used for the thread


def test_the_cap_holds_and_the_rest_wait(sink, inbox):
    InboxDay.objects.create(inbox=inbox, day=NOW.date(), cap=2, sent=0)
    emails = [queued_email() for _ in range(5)]
    report = run(limit=5)
    assert report.sent == 2 and len(sink.messages) == 2
    waiting = Email.objects.filter(pk__in=[e.pk for e in emails], status=EmailStatus.QUEUED)
    assert waiting.count() == 3
    # the inbox has no slot left, so its turn does not come: nothing was decided about the rest
    assert not SendDecision.objects.filter(email__in=waiting).exists()
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 2


def test_a_cap_reached_by_another_sender_mid_turn_puts_the_email_back(sink, inbox):
    email = queued_email()
    InboxDay.objects.create(inbox=inbox, day=NOW.date(), cap=1, sent=0)
    from outreach.services import sending

    real_claim = sending.inbox_slot_claim

    def another_sender_took_the_last_slot(inbox_, day):
        InboxDay.objects.filter(inbox=inbox_, day=day).update(sent=1)
        return real_claim(inbox_, day)

    sending.inbox_slot_claim = another_sender_took_the_last_slot
    try:
        report = run()
    finally:
        sending.inbox_slot_claim = real_claim
    assert [(o.outcome, o.reason) for o in report.outcomes] == [("skipped", "cap")]
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED and sink.messages == []


def test_a_failed_send_gives_its_slot_back_and_the_email_waits(inbox):
    inbox.smtp_port = free_port()  # nothing listens there
    inbox.save()
    email = queued_email()
    report = run()
    assert report.outcomes[0].outcome == "provider_failed"
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 0
    assert email.send_decisions.get().reason == "providers"


def test_a_bad_smtp_password_opens_the_inbox_circuit():
    with RecordingSink(password="right-password") as sink:
        inbox = InboxFactory(smtp_port=sink.port, smtp_password="wrong-password")
        for _ in range(3):
            queued_email()
            run(limit=1)
        inbox.refresh_from_db()
        assert inbox.state == InboxState.CIRCUIT_OPEN
        assert "SMTP login failed 3 times" in inbox.state_reason
        assert "wrong-password" not in inbox.state_reason
        assert CircuitState.objects.get(key=f"smtp-login:{inbox.pk}").state == "open"
        assert sink.messages == []
        # a circuit-open inbox takes no turn: the next email waits for a usable inbox
        email = queued_email()
        assert run(limit=1, clock=lambda: NOW + datetime.timedelta(minutes=10)).turns == 0
        assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED
        assert not email.send_decisions.exists()


def test_jittered_caps_stay_within_ten_percent_and_are_stable_per_day(inbox):
    config.WARMUP_JITTER = True
    caps = {inbox_cap_on(inbox, NOW.date() + datetime.timedelta(days=d)) for d in range(30)}
    assert all(36 <= cap <= 44 for cap in caps) and len(caps) > 1
    assert inbox_cap_on(inbox, NOW.date()) == inbox_cap_on(inbox, NOW.date())


@pytest.mark.parametrize(
    "zone, country, instant, expected",
    [
        # Denver: DST starts Sun 8 March and ends Sun 1 November 2026
        ("America/Denver", "US", "2026-03-06T15:30", "window"),  # Fri 08:30 MST
        ("America/Denver", "US", "2026-03-09T15:30", "ok"),  # Mon 09:30 MDT, same UTC time
        ("America/Denver", "US", "2026-10-30T15:30", "ok"),  # Fri 09:30 MDT
        ("America/Denver", "US", "2026-11-02T15:30", "window"),  # Mon 08:30 MST
        # Kolkata, +05:30 all year
        ("Asia/Kolkata", "IN", "2026-06-15T03:29", "window"),  # 08:59
        ("Asia/Kolkata", "IN", "2026-06-15T03:30", "ok"),  # 09:00
        ("Asia/Kolkata", "IN", "2026-06-15T11:29", "ok"),  # 16:59
        ("Asia/Kolkata", "IN", "2026-06-15T11:30", "window"),  # 17:00
        # Lord Howe: +10:30, and +11:00 (a 30-minute DST) from Sun 4 October 2026
        ("Australia/Lord_Howe", "AU", "2026-10-01T22:00", "window"),  # Fri 08:30 +10:30
        ("Australia/Lord_Howe", "AU", "2026-10-04T22:00", "ok"),  # Mon 09:00 +11:00, same UTC time
        ("Australia/Lord_Howe", "AU", "2026-07-05T22:29", "window"),  # Mon 08:59 +10:30
        ("Australia/Lord_Howe", "AU", "2026-07-05T22:30", "ok"),  # Mon 09:00 +10:30
        # London: BST from Sun 29 March to Sun 25 October 2026
        ("Europe/London", "GB", "2026-03-27T08:30", "window"),  # Fri 08:30 GMT
        ("Europe/London", "GB", "2026-03-30T08:30", "ok"),  # Mon 09:30 BST
        ("Europe/London", "GB", "2026-10-23T08:30", "ok"),  # Fri 09:30 BST
        ("Europe/London", "GB", "2026-10-26T08:30", "window"),  # Mon 08:30 GMT
        ("Europe/London", "GB", "2026-10-31T10:00", "weekend"),  # Saturday
        # holidays: Christmas, the French national day, US Independence Day (observed on Fri 3 July)
        ("Europe/London", "GB", "2026-12-25T10:00", "holiday"),
        ("Europe/Paris", "FR", "2026-07-14T09:00", "holiday"),
        ("America/New_York", "US", "2026-07-03T14:00", "holiday"),
        ("Europe/Paris", "FR", "2026-07-15T09:00", "ok"),
    ],
)
def test_business_hours_in_the_prospects_zone(sink, inbox, zone, country, instant, expected):
    email = queued_email(timezone=zone, country=country)
    at = datetime.datetime.fromisoformat(instant).replace(tzinfo=UTC)
    run(clock=lambda: at)
    email.refresh_from_db()
    if expected == "ok":
        assert email.status == EmailStatus.SENT and len(sink.messages) == 1
    else:
        assert email.status == EmailStatus.QUEUED and sink.messages == []
        assert email.send_decisions.get().reason == expected


@pytest.mark.parametrize(
    "zone, country, instant, expected",
    [
        ("Australia/Sydney", "AU", "2026-11-30T12:00", "2026-11-30T22:00"),  # Mon 23:00 AEDT → Tue 09:00
        ("Europe/London", "GB", "2026-12-04T18:00", "2026-12-07T09:00"),  # Friday evening → Monday
        ("Europe/London", "GB", "2026-12-24T17:30", "2026-12-29T09:00"),  # Christmas, weekend, Boxing Day observed
        ("Asia/Kolkata", "IN", "2026-06-15T03:00", "2026-06-15T03:30"),  # 08:30 → 09:00 the same day
        ("Europe/Paris", "FR", "2026-07-15T09:00", "2026-07-15T09:00"),  # open now: now
        ("", "US", "2026-07-15T09:00", None),  # the US spans several zones: unknown
    ],
)
def test_next_opening_is_09_00_on_the_prospects_next_working_day(zone, country, instant, expected):
    prospect = Prospect(timezone=zone, country=country)
    at = datetime.datetime.fromisoformat(instant).replace(tzinfo=UTC)
    opening = next_opening(prospect, at)
    assert opening == (datetime.datetime.fromisoformat(expected).replace(tzinfo=UTC) if expected else None)


def test_an_email_outside_its_window_is_left_alone_until_the_window_opens(sink, inbox):
    # NOW is Wednesday 04:00 in Sydney: the email waits for 09:00 there, 22:00 UTC
    email = queued_email(timezone="Australia/Sydney", country="AU")
    run()
    email.refresh_from_db()
    opening = datetime.datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    assert email.status == EmailStatus.QUEUED and email.not_before == opening
    first_skip = email.send_decisions.get()
    assert first_skip.reason == "window"
    run(clock=lambda: opening - datetime.timedelta(minutes=5))
    assert email.send_decisions.get().created_at == first_skip.created_at  # not even looked at
    run(clock=lambda: opening)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(sink.messages) == 1


def test_one_refusal_for_closed_hours_defers_every_email_that_opens_at_the_same_moment(sink, inbox):
    # a cold start with a long queue: one Sydney email refused at night defers the other
    # Sydney ones (same zone, country and region) in the same statement, not one per turn
    sydney = [queued_email(timezone="Australia/Sydney", country="AU", region="") for _ in range(5)]
    sydney_nsw = queued_email(timezone="Australia/Sydney", country="AU", region="NSW")  # its holidays may differ
    tokyo = queued_email(timezone="Asia/Tokyo", country="JP")
    with CaptureQueriesContext(connection) as queries:
        run(limit=1)
    opening = datetime.datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # Sydney's 09:00, as above
    for email in sydney:
        email.refresh_from_db()
        assert (email.status, email.not_before) == (EmailStatus.QUEUED, opening)
    decided = SendDecision.objects.filter(email__in=sydney)
    assert list(decided.values_list("reason", flat=True)) == ["window"]  # one decision: the email the turn saw
    for other in (sydney_nsw, tokyo):  # another calendar or zone: not deferred with them, checked on its own
        assert list(other.send_decisions.values_list("reason", flat=True)) == ["window"]
    assert sum("UPDATE" in q["sql"] and "not_before" in q["sql"] for q in queries.captured_queries) <= 3


def test_a_prospect_without_a_known_zone_is_not_emailed_blind(sink, inbox):
    email = queued_email(timezone="", country="US")  # the US spans several zones
    run()
    assert email.send_decisions.get().reason == "no_timezone" and sink.messages == []


def test_a_reply_arriving_between_queueing_and_sending_stops_the_send(sink, inbox):
    queued_email()  # goes out in this turn; the reply lands before the inbox's next turn
    email = queued_email()
    pacing = Pacing(skip_probability=0.0, delay_min=30, delay_max=90)
    assert [o.outcome for o in run(pacing=pacing).outcomes] == ["sent"]
    Prospect.objects.filter(pk=email.prospect_id).update(last_reply_at=NOW)
    report = run(pacing=pacing, clock=lambda: NOW + datetime.timedelta(seconds=91))
    assert [o.outcome for o in report.outcomes] == ["cancelled"]
    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED
    assert email.send_decisions.get().reason == "reply"
    assert email.message_id not in sink.message_ids()


def test_a_colleagues_reply_at_the_same_hotel_stops_the_send(sink, inbox):
    email = queued_email(company_website="https://seaside-hotel.example", company_name="Seaside Hotel")
    ProspectFactory(
        company_website="https://seaside-hotel.example",
        company_name="Seaside Hotel",
        stage=ProspectStage.REPLIED,
        name="Anna Weber",
        email="anna@seaside-hotel.example",
        contact_key="anna@seaside-hotel.example",
    )  # a second contact at the same hotel; fmt: skip
    run()
    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED and sink.messages == []
    decision = email.send_decisions.get()
    assert decision.reason == "account_reply" and "Anna Weber" in decision.detail


def test_the_colleague_who_pointed_us_to_a_prospect_does_not_stop_its_email(sink, inbox):
    # Anna answered "talk to Mike instead": her answer is why Mike gets an email, not a reason to hold it
    anna = ProspectFactory(
        company_website="https://seaside-hotel.example",
        company_name="Seaside Hotel",
        stage=ProspectStage.ENGAGED,
        last_reply_at=NOW,
        name="Anna Weber",
        email="anna@seaside-hotel.example",
        contact_key="anna@seaside-hotel.example",
    )
    email = queued_email(
        company_website="https://seaside-hotel.example", company_name="Seaside Hotel", referred_by=anna,
        contact_key="mike@seaside-hotel.example",
    )  # fmt: skip
    run()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(sink.messages) == 1
    # another colleague's answer still closes the hotel to the delegate's later emails
    ProspectFactory(
        company_website="https://seaside-hotel.example", company_name="Seaside Hotel", stage=ProspectStage.REPLIED,
        name="Tom Baker", email="tom@seaside-hotel.example", contact_key="tom@seaside-hotel.example",
    )  # fmt: skip
    follow_up = EmailFactory(
        prospect=email.prospect, campaign=email.campaign, inbox=inbox, type=Email.Type.FOLLOW_UP,
        status=EmailStatus.QUEUED, sequence_step=2,
    )  # fmt: skip
    run()
    follow_up.refresh_from_db()
    assert follow_up.status == EmailStatus.CANCELLED
    assert follow_up.send_decisions.get().reason == "account_reply"
    assert Sequence.objects.get(prospect_id=email.prospect_id).state == "stopped"


def test_an_unsubscribe_one_second_before_the_send_stops_it(sink, inbox):
    email = queued_email()
    suppression_add(kind="address", value=email.to_email, reason="unsubscribe", source="link")
    run(clock=lambda: NOW + datetime.timedelta(seconds=1))
    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED and sink.messages == []
    assert email.send_decisions.get().reason == "suppression"


def test_a_suppressed_domain_stops_the_send(sink, inbox):
    email = queued_email()
    suppression_add(kind="domain", value=email.to_email.split("@")[1], reason="manual")
    run()
    assert Email.objects.get(pk=email.pk).status == EmailStatus.CANCELLED and sink.messages == []


def test_two_first_emails_to_one_company_domain_keep_the_gap(sink, inbox):
    config.SAME_DOMAIN_GAP_MINUTES = 120
    first = queued_email(email="gm@grand-hotel.example")
    second = queued_email(email="fom@grand-hotel.example", company_name="Grand Hotel Annex")
    run(limit=5)
    assert Email.objects.get(pk=first.pk).status == EmailStatus.SENT
    second.refresh_from_db()
    assert second.status == EmailStatus.QUEUED and second.send_decisions.get().reason == "domain_gap"
    run(limit=5, clock=lambda: NOW + datetime.timedelta(minutes=121))
    assert Email.objects.get(pk=second.pk).status == EmailStatus.SENT


def test_an_email_held_for_review_counts_toward_the_domain_gap(sink, inbox):
    # its provider's answer was lost ten minutes ago: it may be in the hotel's inbox already
    config.SAME_DOMAIN_GAP_MINUTES = 120
    held = queued_email(email="gm@grand-hotel.example")
    with time_machine.travel(NOW - datetime.timedelta(minutes=10), tick=False):
        transition(held, "claim", by="test")
        transition(held, "hold_for_review", by="test", reason="provider outcome unknown")
    colleague = queued_email(email="fom@grand-hotel.example", company_name="Grand Hotel Annex")
    run()
    colleague.refresh_from_db()
    assert colleague.status == EmailStatus.QUEUED and colleague.send_decisions.get().reason == "domain_gap"
    run(clock=lambda: NOW + datetime.timedelta(minutes=111))
    assert Email.objects.get(pk=colleague.pk).status == EmailStatus.SENT


def test_an_inbox_waits_a_random_thirty_to_ninety_seconds_between_its_sends(sink, inbox):
    for _ in range(3):
        queued_email()
    pacing = Pacing(skip_probability=0.0, delay_min=30, delay_max=90)
    for second in range(400):  # the cron every second of a virtual clock: only the inbox's turns send
        run(pacing=pacing, clock=lambda second=second: NOW + datetime.timedelta(seconds=second))
    sent = sorted(Email.objects.filter(status=EmailStatus.SENT).values_list("sent_at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in zip(sent, sent[1:], strict=False)]
    assert len(sent) == 3 and len(sink.messages) == 3
    assert all(30 <= gap <= 91 for gap in gaps), gaps  # a turn comes at the first run after its gap


def test_an_inbox_lets_its_turn_pass_with_the_live_probability(sink, inbox, monkeypatch):
    from outreach.services import sending

    queued_email()  # waiting for ever: the turns that do not pass try it and leave it queued
    monkeypatch.setattr(sending, "email_send", lambda email, **kwargs: sending.SendOutcome(email.pk, "skipped", "x"))
    pacing = Pacing(skip_probability=0.3, delay_min=0, delay_max=0)
    let_pass = sum(run(pacing=pacing, rng=random.Random(seed)).turns_skipped for seed in range(200))
    assert 40 <= let_pass <= 80  # about 30 % of 200 turns
    config.RANDOM_SKIP_PROBABILITY = 1.0
    config.SENDING_ENABLED = True
    report = sender_run(clock=lambda: NOW)  # the live pace
    assert report.turns == 1 and report.turns_skipped == 1 and report.sent == 0


def test_emergency_stop_pressed_while_a_run_works_stops_the_next_send_even_without_pauses(sink, inbox):
    emails = [queued_email() for _ in range(3)]
    from outreach.services import sending

    real_send, calls = sending.email_send, []

    def send_then_stop(email, **kwargs):
        calls.append(email.pk)
        outcome = real_send(email, **kwargs)
        config.SENDING_ENABLED = False  # pressed while this email was going out
        return outcome

    sending.email_send = send_then_stop
    try:
        report = run()
    finally:
        sending.email_send = real_send
        config.SENDING_ENABLED = True
    assert len(calls) == 1 and report.sent == 1 and "emergency stop" in report.skipped_run
    assert Email.objects.filter(pk__in=[e.pk for e in emails], status=EmailStatus.QUEUED).count() == 2


def test_a_paused_sequence_holds_its_queued_email_until_the_return_date(sink, inbox):
    email = queued_email()
    Sequence.objects.filter(prospect_id=email.prospect_id).update(
        state="paused", paused_until=NOW + datetime.timedelta(days=3)
    )
    run()
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED and email.send_decisions.get().reason == "out_of_office"
    run(clock=lambda: NOW + datetime.timedelta(days=7))  # the next Tuesday, after the pause
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_emergency_stop_halts_every_inbox_turn_already_handed_to_the_workers(sink, inbox):
    from outreach.services.sending import inbox_turn_run

    emails = [queued_email() for _ in range(3)]
    second = InboxFactory(smtp_port=sink.port, smtp_password="")
    config.SENDING_ENABLED = False  # pressed after the cron queued the turns, before a worker ran them
    assert inbox_turn_run(inbox.pk) == inbox_turn_run(second.pk) == "emergency stop is on"
    assert run().skipped_run == "emergency stop is on" and sink.messages == []
    assert Email.objects.filter(pk__in=[e.pk for e in emails], status=EmailStatus.QUEUED).count() == 3
    config.SENDING_ENABLED = True


def test_an_email_stuck_in_sending_is_held_for_review_and_never_resent(sink, inbox):
    email = queued_email()

    transition(email, "claim", by="test")  # a sender claimed it, then died
    Email.objects.filter(pk=email.pk).update(message_id="<stuck@jengu.test>")
    assert emails_stuck_sweep(now=timezone.now()) == 0  # claimed a moment ago: not stuck yet
    held = emails_stuck_sweep(now=datetime.datetime.now(UTC) + datetime.timedelta(minutes=11))
    assert held == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.NEEDS_REVIEW
    decision = email.send_decisions.get()
    assert decision.outcome == "review" and "<stuck@jengu.test>" in decision.detail
    run()
    assert sink.messages == [] and Email.objects.get(pk=email.pk).status == EmailStatus.NEEDS_REVIEW


def _held_for_review(inbox, provider_attempted: bool):
    """A first email whose sender died mid-send, held for review by the sweeper."""
    email = queued_email()
    transition(email, "claim", by="test")
    Email.objects.filter(pk=email.pk).update(message_id="<held@jengu.test>", inbox=inbox, from_email=inbox.email)
    if provider_attempted:
        event_record("email.provider_attempt", data={"email_id": email.pk, "provider": "smtp"})
    emails_stuck_sweep(now=datetime.datetime.now(UTC) + datetime.timedelta(minutes=11))
    email.refresh_from_db()
    assert email.status == EmailStatus.NEEDS_REVIEW
    return email


def test_an_email_confirmed_sent_in_review_starts_its_sequence_and_moves_the_prospect(sink, inbox, sales_user):
    email = _held_for_review(inbox, provider_attempted=True)
    email_review_resolve(email=email, sent=True, by=sales_user, note="found it in the inbox's Sent folder")
    email.refresh_from_db()
    prospect = Prospect.objects.get(pk=email.prospect_id)
    sequence = Sequence.objects.get(prospect=prospect)
    assert email.status == EmailStatus.SENT and email.sent_at is not None and email.provider == "smtp"
    assert prospect.stage == ProspectStage.CONTACTED and prospect.email_sent_count == 1
    assert sequence.first_sent_at == email.sent_at and sequence.last_step_sent == 1 and sequence.inbox == inbox
    assert Event.objects.get(name="email.sent", data__email_id=email.pk).actor == f"user:{sales_user.username}"
    run()
    assert sink.messages == []  # settled as sent: never sent again


def test_an_email_confirmed_not_sent_in_review_goes_back_to_the_queue_and_out_once(sink, inbox, sales_user):
    email = _held_for_review(inbox, provider_attempted=False)
    email_review_resolve(email=email, sent=False, by=sales_user)
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.send_decisions.order_by("-id").first().reason == "reviewed"
    run()
    run()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and sink.message_ids() == {"<held@jengu.test>": 1}
    assert Prospect.objects.get(pk=email.prospect_id).stage == ProspectStage.CONTACTED


def test_not_sent_in_review_gives_the_slot_back_and_ignores_an_earlier_claims_attempts(sink, inbox, sales_user):
    email = _held_for_review(inbox, provider_attempted=True)  # first claim: an smtp attempt
    InboxDay.objects.create(inbox=inbox, day=timezone.now().date(), cap=10, sent=1)  # the slot that claim took
    email_review_resolve(email=email, sent=False, by=sales_user)
    assert InboxDay.objects.get(inbox=inbox).sent == 0
    # claimed again and held again with no attempt recorded: settled as sent, it names no provider
    transition(email, "claim", by="test")
    Email.objects.filter(pk=email.pk).update(inbox=inbox)
    emails_stuck_sweep(now=datetime.datetime.now(UTC) + datetime.timedelta(minutes=11))
    email.refresh_from_db()
    email_review_resolve(email=email, sent=True, by=sales_user)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == ""
    assert Event.objects.get(name="email.sent", data__email_id=email.pk).data["provider"] == "unknown provider"


def test_send_now_dry_run_says_what_and_why_and_changes_nothing(sink, inbox, capsys, time_machine):
    time_machine.move_to(NOW)
    will_send = queued_email()
    suppressed = queued_email()
    suppression_add(kind="address", value=suppressed.to_email, reason="unsubscribe")
    call_command("send_now", "--dry-run", "--no-pacing")
    out = capsys.readouterr().out
    assert f"email {will_send.pk}: would send" in out
    assert f"email {suppressed.pk}: would cancel — suppression" in out
    assert sink.messages == []
    assert Email.objects.filter(status=EmailStatus.QUEUED).count() == 2
    assert not SendDecision.objects.exists()


@pytest.mark.django_db(transaction=True)  # the sink writes from its own thread
def test_the_demo_sink_stores_what_it_receives(inbox):
    from outreach.sink import sink_controller

    port = free_port()
    controller = sink_controller(port=port)
    controller.start()
    try:
        inbox.smtp_port = port
        inbox.save()
        email = queued_email()
        run()
    finally:
        controller.stop()
    stored = SinkMessage.objects.get()
    assert stored.message_id == Email.objects.get(pk=email.pk).message_id
    assert stored.rcpt_to == email.to_email and "List-Unsubscribe" in stored.raw
