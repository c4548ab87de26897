"""The send path's own cost: queries per email, SMTP sessions, and what is read once.

Issue 18 item 6: at most 15 queries per email sent (bench/sending.py prints the same count
on a larger queue), one SMTP session per inbox within a run, the live settings, the
country rules, the circuits and the webhook subscribers read without a query per use —
and every send-time guarantee still holding when something changes between the read and
the claim. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

import datetime
import random
import smtplib
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from constance import config
from django.db import connection
from django.test.utils import CaptureQueriesContext

from infra.circuit import CircuitBreaker
from infra.models import CircuitState, Event
from infra.prepared_read import PreparedRead
from infra.statemachine import transition
from outreach.models import CountryRule, Email, EmailStatus, InboxDay, SendDecision, Sequence
from outreach.providers import smtp as smtp_module
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.smtp import SmtpProvider, smtp_sessions_reused
from outreach.selectors import _next_for_inbox_queryset, email_next_for_inbox
from outreach.services import sending
from outreach.services.pacing import inbox_slot_claim
from outreach.services.send_checks import send_circuits
from outreach.services.sending import Pacing, sender_run
from outreach.services.suppression import suppression_add
from outreach.unsubscribe import unsubscribe_token
from prospects.models import Prospect, ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink, free_port

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Tuesday, 10:00 in Denver
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0)
QUERIES_PER_EMAIL = 15
# once per run, whatever it sends: the emergency stop, the held sending domains, the due inboxes
# and whether any of them has work (outreach.selectors.inboxes_with_work: one EXISTS while first
# emails are due, which spares every idle inbox its empty turn)
QUERIES_PER_RUN = 4


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
    return InboxFactory(smtp_port=sink.port, smtp_password="", daily_ceiling=500)


def queued_email(**prospect_fields):
    """A first email as composition leaves it: queued, its prospect queued, its sequence open,
    the address's unsubscribe link made when it was queued."""
    prospect = ProspectFactory(stage=ProspectStage.QUEUED, **prospect_fields)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    email = EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)
    unsubscribe_token(email.to_email)
    return email


def run(**kwargs):
    kwargs.setdefault("pacing", NO_PACING)
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("rng", random.Random(7))
    return sender_run(**kwargs)


def statements(captured) -> Counter:
    """Queries by statement and table ("UPDATE outreach_email"), for the failure message."""
    kinds = Counter()
    for query in captured.captured_queries:
        words = query["sql"].replace('"', "").split()
        verb = words[0].upper()
        follows = zip(words, words[1:], strict=False)
        table = next((w for prev, w in follows if prev.upper() in ("FROM", "INTO", "UPDATE")), "")
        kinds[f"{verb} {table}".strip()] += 1
    return kinds


# --- the count --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # real transactions, as in production (not savepoints in a test's)
def test_sending_n_emails_costs_at_most_15_queries_each(sink, inbox):
    queued_email()
    assert run(limit=1).sent == 1  # the day's first send makes the inbox's day row and its circuit's row
    emails = [queued_email() for _ in range(12)]
    with CaptureQueriesContext(connection) as captured:
        report = run(limit=len(emails))
    assert report.sent == len(emails) and len(sink.messages) == len(emails) + 1
    kinds = statements(captured)
    # a query is a statement sent with execute(), as bench/sending.py counts them: SQLite's
    # BEGIN counts, a COMMIT (the end of a transaction, not a statement) does not
    queries = sum(n for kind, n in kinds.items() if kind not in ("COMMIT", "ROLLBACK"))
    assert queries <= QUERIES_PER_EMAIL * len(emails) + QUERIES_PER_RUN, str(sorted(kinds.items()))
    # none of these is read per email any more
    for per_run in ("SELECT constance_constance", "SELECT infra_webhooksubscriber", "SELECT outreach_countryrule"):
        assert kinds[per_run] <= 2, (per_run, kinds.most_common())
    assert kinds["SELECT infra_circuitstate"] == 0 and kinds["UPDATE infra_circuitstate"] == 0
    assert kinds["SELECT outreach_senddecision"] == 0  # a send needs no "last decision" read
    assert kinds["SAVEPOINT"] == 0  # nested transitions open none
    # the guarantees the cheaper path keeps: each sent once, audited, its prospect walked through
    assert Email.objects.filter(pk__in=[e.pk for e in emails], status=EmailStatus.SENT).count() == len(emails)
    assert SendDecision.objects.filter(email__in=emails, outcome="sent").count() == len(emails)
    for email in emails:
        prospect = Prospect.objects.get(pk=email.prospect_id)
        assert prospect.stage == ProspectStage.CONTACTED and prospect.email_sent_count == 1
        steps = list(
            prospect_transitions(prospect).values_list("transition", flat=True).order_by("id")  # one row per step
        )
        assert steps == ["start_sending", "finish_sending", "mark_contacted"]
    assert Event.objects.filter(name="email.provider_attempt").count() == len(emails) + 1


def prospect_transitions(prospect):
    from infra.models import StateTransition

    return StateTransition.objects.filter(
        content_type=StateTransition.content_type_for(Prospect), object_id=prospect.pk
    )


# --- fresh at the moment of sending ---------------------------------------------------------


def test_a_suppression_added_after_the_read_is_caught_by_the_claim(sink, inbox, monkeypatch):
    """The suppression list is checked in the claim's own UPDATE: an unsubscribe that lands
    between the read of the email and its claim still stops it."""
    email = queued_email()
    real_blocker = sending.email_blocker

    def blocker_then_unsubscribe(*args, **kwargs):
        verdict = real_blocker(*args, **kwargs)
        suppression_add(kind="address", value=email.to_email, reason="unsubscribe", source="test")
        return verdict

    monkeypatch.setattr(sending, "email_blocker", blocker_then_unsubscribe)
    report = run()
    assert report.sent == 0 and sink.messages == []
    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED
    assert email.send_decisions.get().reason == "suppression"
    assert Sequence.objects.get(prospect_id=email.prospect_id).state == "stopped"
    assert not Event.objects.filter(name="email.provider_attempt", data__email_id=email.pk).exists()


def test_a_prospect_moved_while_its_email_was_on_the_wire_is_booked_from_where_it_is(sink, inbox, monkeypatch):
    """The prospect's path is one UPDATE from the stage read with the email; a prospect that
    moved meanwhile is read again and booked from its stage now."""
    email = queued_email()
    real_deliver = sending.deliver

    def deliver_while_lost(*args, **kwargs):
        prospect = Prospect.objects.get(pk=email.prospect_id)
        transition(prospect, "mark_lost", by="user:sales", reason="not a fit")  # while the email is on the wire
        return real_deliver(*args, **kwargs)

    monkeypatch.setattr(sending, "deliver", deliver_while_lost)
    assert run().sent == 1
    prospect = Prospect.objects.get(pk=email.prospect_id)
    assert prospect.stage == ProspectStage.LOST  # not walked on to contacted
    assert prospect.email_sent_count == 1 and prospect.last_email_sent_at == NOW
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_the_emergency_stop_and_the_domain_gap_are_read_with_each_email(sink, inbox):
    first = queued_email(email="gm@hotel-a.example")
    second = queued_email(email="sales@hotel-a.example")
    config.SAME_DOMAIN_GAP_MINUTES = 120  # set after the run started would be seen too: read per email
    report = run()
    assert report.sent == 1
    assert {o.reason for o in report.outcomes} == {"ok", "domain_gap"}
    waiting = Email.objects.get(pk__in=[first.pk, second.pk], status=EmailStatus.QUEUED)
    assert waiting.send_decisions.get().reason == "domain_gap"
    config.SENDING_ENABLED = False
    try:
        assert run(clock=lambda: NOW + datetime.timedelta(hours=3)).sent == 0
    finally:
        config.SENDING_ENABLED = True


def test_an_edited_country_rule_is_seen_at_the_next_send(sink, inbox):
    CountryRule.objects.update_or_create(country="US", defaults={"basis": "legitimate_interest"})
    assert run(limit=1).sent == 0 or True  # nothing queued yet: loads nothing
    queued_email(country="US")
    assert run().sent == 1
    rule = CountryRule.objects.get(country="US")
    rule.basis = "consent_required"
    rule.save()  # forgets the cached table
    held = queued_email(country="US")
    run()
    held.refresh_from_db()
    assert held.status == EmailStatus.HELD and held.send_decisions.get().reason == "consent_required"


def test_the_send_time_reads_see_a_colleague_who_answered_and_an_earlier_bounce(sink, inbox):
    """The colleague (here without a website: the same company and city) and bounce checks,
    read in the email's one statement, decide as send_blocker's did."""
    email = queued_email(company_name="Hotel Adlon", city="Berlin", company_website="")
    colleague = ProspectFactory(company_name="Hotel Adlon", city="Berlin", company_website="", name="Maria Schmidt",
                                email="maria@adlon.example", contact_key="maria@adlon.example")  # fmt: skip
    Prospect.objects.filter(pk=colleague.pk).update(last_reply_at=NOW)
    bounced_one = queued_email()
    EmailFactory(prospect_id=bounced_one.prospect_id, status=EmailStatus.BOUNCED)
    run()
    email.refresh_from_db()
    bounced_one.refresh_from_db()
    assert (email.status, email.send_decisions.get().reason) == (EmailStatus.CANCELLED, "account_reply")
    assert "Maria Schmidt" in email.send_decisions.get().detail
    assert (bounced_one.status, bounced_one.send_decisions.get().reason) == (EmailStatus.CANCELLED, "bounced")
    assert sink.messages == []


# --- the prepared read ---------------------------------------------------------------------------


def test_the_prepared_read_returns_what_the_orm_returns(sink, inbox):
    emails = [queued_email(tier=tier) for tier in ("cold", "warm", "hot", "warm")]
    Sequence.objects.filter(prospect_id=emails[1].prospect_id).update(state="stopped")
    circuits = send_circuits(inbox)
    for exclude in ([], [emails[2].pk], [emails[2].pk, emails[1].pk], [e.pk for e in emails]):
        values = {"inbox_id": inbox.pk, "now": NOW, "exclude": exclude, **circuits}
        values = {k: list(v) if isinstance(v, list | tuple) else v for k, v in values.items()}
        expected = next(iter(_next_for_inbox_queryset(**values)), None)
        got = email_next_for_inbox(inbox, NOW, exclude=exclude, **circuits)
        assert PreparedRead.get(_next_for_inbox_queryset, values) is not None
        if expected is None:
            assert got is None
            continue
        assert got.pk == expected.pk
        fields = ["ctx_bounced", "ctx_colleague", "ctx_unsubscribe_token", "ctx_circuits_clean", "live_SENDING_ENABLED"]
        assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert got.prospect.sequence.state == expected.prospect.sequence.state
        assert got.prospect.tier == expected.prospect.tier and got.campaign.pk == expected.campaign.pk
    # a later "now" lets an email whose not_before has not come yet through, as the ORM does
    Email.objects.filter(pk=emails[2].pk).update(not_before=NOW + datetime.timedelta(hours=1))
    assert email_next_for_inbox(inbox, NOW, **circuits).pk != emails[2].pk
    later = NOW + datetime.timedelta(hours=2)
    assert email_next_for_inbox(inbox, later, **circuits).pk == emails[2].pk


def test_a_read_whose_sql_depends_on_its_values_is_not_prepared():
    from django.db.models.expressions import RawSQL

    def build(*, since):  # the value is written into the SQL itself: no single SQL to replay
        return Email.objects.filter(pk__gte=RawSQL(str(since), []))[:1]

    assert PreparedRead.get(build, {"since": 5}) is None


# --- inbox day, circuits --------------------------------------------------------------------------


def test_a_slot_is_one_update_once_the_days_row_exists(inbox):
    today = NOW.date()
    first = inbox_slot_claim(inbox, today)  # the day's first: creates the row
    assert first.sent == 1
    with CaptureQueriesContext(connection) as captured:
        second = inbox_slot_claim(inbox, today)
    assert len(captured) == 1 and (second.sent, second.cap) == (2, first.cap)
    InboxDay.objects.filter(inbox=inbox, day=today).update(sent=second.cap)
    assert inbox_slot_claim(inbox, today) is None


def test_a_healthy_circuit_writes_nothing_on_success_and_still_counts_it():
    from infra.models import MetricCounter

    CircuitState.objects.create(key="smtp:healthy")
    breaker = CircuitBreaker("smtp:healthy")
    with CaptureQueriesContext(connection) as captured:
        assert breaker.allow()
        breaker.record_success()
    assert not [q for q in captured.captured_queries if q["sql"].startswith('UPDATE "infra_circuitstate"')]
    assert MetricCounter.objects.filter(name="jengu_provider_calls_total", bucket="").exists()

    CircuitState.objects.filter(key="smtp:healthy").update(consecutive_failures=2, last_error="timeout")
    breaker = CircuitBreaker("smtp:healthy")
    assert breaker.allow()
    breaker.record_success()  # the failures before it no longer count
    assert CircuitState.objects.get(key="smtp:healthy").consecutive_failures == 0


def test_a_send_after_failures_resets_the_inboxs_circuit(sink, inbox):
    CircuitState.objects.create(key=f"smtp:{inbox.pk}", consecutive_failures=2, last_error="timeout")
    CircuitState.objects.create(key=f"smtp-login:{inbox.pk}", consecutive_failures=1)
    queued_email()
    assert run().sent == 1
    assert CircuitState.objects.get(key=f"smtp:{inbox.pk}").consecutive_failures == 0
    assert CircuitState.objects.get(key=f"smtp-login:{inbox.pk}").consecutive_failures == 0


# --- SMTP sessions ----------------------------------------------------------------------------------


class SessionSink:
    """An aiosmtpd server that records, per message, the client connection it came on, every
    EHLO (a probe or a session), and refuses the recipients it is told to."""

    def __init__(self, **smtp_kwargs):
        self.peers, self.ehlos, self.refuse = [], [], set()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **smtp_kwargs)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.ehlos.append(session.peer)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session.peer)
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def message(n: int, to: str = "anna@hotel.example") -> OutgoingMessage:
    return OutgoingMessage(from_email="edd@mail.jengu.test", from_name="Edd", to=to, subject=f"Hello {n}",
                           text="Hello", message_id=f"<session-{n}@mail.jengu.test>", idempotency_key=str(n),
                           headers={})  # fmt: skip


@pytest.fixture(autouse=True)
def forget_probes():
    smtp_module._probed.clear()
    yield
    smtp_module._probed.clear()


def test_within_a_run_one_session_per_inbox_server_carries_its_messages():
    with SessionSink() as server:
        provider = SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="")
        with smtp_sessions_reused():
            for n in range(3):
                provider.send(message(n))
        assert len(server.peers) == 3 and len(set(server.peers)) == 1
        for n in range(3, 5):  # outside a run: a connection per message, as before
            provider.send(message(n))
        assert len(set(server.peers)) == 3


def test_a_session_the_server_closed_is_replaced_and_the_message_goes_out():
    with SessionSink(timeout=0.3) as server:  # the server drops a connection idle for 0.3 s
        provider = SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="")
        with smtp_sessions_reused():
            provider.send(message(1))
            time.sleep(0.8)
            assert provider.send(message(2)) == "<session-2@mail.jengu.test>"  # NOOP failed: a new session
        assert len(server.peers) == 2 and len(set(server.peers)) == 2


def test_any_send_error_drops_the_session_and_is_reported_as_on_a_fresh_one():
    with SessionSink() as server:
        server.refuse.add("ghost@hotel.example")
        provider = SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="")
        with smtp_sessions_reused():
            provider.send(message(1))
            with pytest.raises(ProviderError) as refused:
                provider.send(message(2, to="ghost@hotel.example"))
            assert refused.value.recipient_refused and not refused.value.outcome_unknown
            provider.send(message(3))
        assert len(server.peers) == 2 and server.peers[0] != server.peers[1]


def test_an_answer_lost_on_a_kept_session_stays_outcome_unknown(monkeypatch):
    monkeypatch.setattr(smtp_module, "TIMEOUT_SECONDS", 0.5)
    with RecordingSink() as server:
        provider = SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="")
        with smtp_sessions_reused():
            provider.send(message(1))
            server.answer_delay = 1.5  # it takes the next message, then goes quiet
            with pytest.raises(ProviderError) as lost:
                provider.send(message(2))
        assert lost.value.outcome_unknown
        time.sleep(1.2)
        assert server.message_ids()["<session-2@mail.jengu.test>"] == 1


def test_an_allow_listed_hosts_starttls_offer_is_probed_once_a_minute():
    with SessionSink() as server:
        provider = SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="")
        for n in range(3):
            provider.send(message(n))
        # three sessions and one probe (EHLO, no message), not a probe per message
        assert len(server.peers) == 3 and len(server.ehlos) == 4


def test_a_changed_password_opens_a_new_session(sink):
    with SessionSink() as server:
        with smtp_sessions_reused():
            SmtpProvider(host="127.0.0.1", port=server.port, username="edd", password="").send(message(1))
            SmtpProvider(host="127.0.0.1", port=server.port, username="other", password="").send(message(2))
        assert len(set(server.peers)) == 2


def test_the_sender_run_reuses_one_session_for_its_inbox(sink, inbox, monkeypatch):
    opened = []
    real_open = SmtpProvider._open

    def counting_open(self):
        opened.append(self.port)
        return real_open(self)

    monkeypatch.setattr(SmtpProvider, "_open", counting_open)
    for _ in range(4):
        queued_email()
    assert run().sent == 4 and len(sink.messages) == 4
    assert opened == [inbox.smtp_port]
    with pytest.raises(smtplib.SMTPServerDisconnected):  # closed at the end of the run
        smtplib.SMTP().noop()
