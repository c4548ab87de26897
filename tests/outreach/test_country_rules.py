"""The law of the prospect's country, at the moment of sending (outreach.compliance).

A real SMTP server (aiosmtpd) receives what is sent. The country rules table is the one
the migration ships, edited here as Operations would.
"""

import datetime
import random

import pytest
import time_machine
from constance import config
from django.urls import reverse
from django.utils import timezone

from infra.models import Event, StateTransition
from jengu import jobs
from outreach.compliance import (
    consent_record_and_release,
    country_rule_check,
    country_rule_for,
    held_back_by_rule,
    held_emails_recheck,
)
from outreach.models import CountryRule, Email, EmailStatus, SendDecision, Sequence
from outreach.services.sending import Pacing, sender_run
from prospects.models import Consent, Prospect, ProspectStage
from prospects.provenance import consent_record
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Tuesday 1 December 2026, 10:00 UTC: 11:00 in Berlin and Vienna, 05:00 in Toronto, 03:00 in Denver
BERLIN_MORNING = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# the same Tuesday, 17:00 UTC: 12:00 in Toronto, 10:00 in Denver, 11:00 in Mexico City
AMERICAS_MORNING = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0)
GERMANY = {"country": "DE", "city": "Berlin", "region": "Berlin", "timezone": "Europe/Berlin"}
CANADA = {"country": "CA", "city": "Toronto", "region": "Ontario", "timezone": "America/Toronto"}


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


def queued_email(**prospect_fields) -> Email:
    prospect = ProspectFactory(stage=ProspectStage.QUEUED, **prospect_fields)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    return EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)


def run(at, **kwargs):
    return sender_run(clock=lambda: at, rng=random.Random(7), pacing=NO_PACING, **kwargs)


def consent(prospect, source=Consent.Source.EMAIL, evidence="Her email of 3 Nov 2026: 'yes, send me details'"):
    return consent_record(prospect=prospect, source=source, evidence=evidence, by="user:sally",
                          given_at=BERLIN_MORNING - datetime.timedelta(days=20))  # fmt: skip


# --- the shipped table --------------------------------------------------------------------


def test_the_defaults_ship_with_the_migration_and_an_unlisted_country_is_legitimate_interest():
    basis = dict(CountryRule.objects.values_list("country", "basis"))
    assert basis["DE"] == basis["AT"] == CountryRule.Basis.CONSENT_REQUIRED
    assert basis["CA"] == CountryRule.Basis.CONSPICUOUS_PUBLICATION
    assert basis["US"] == CountryRule.Basis.LEGITIMATE_INTEREST
    assert "postal_address" in CountryRule.objects.get(country="US").footer_requirements
    assert "privacy_line" in CountryRule.objects.get(country="DE").footer_requirements
    assert "UWG" in CountryRule.objects.get(country="DE").note
    japan = country_rule_for("JP")
    assert japan.pk is None and japan.basis == CountryRule.Basis.LEGITIMATE_INTEREST
    assert japan.footer_requirements == ["postal_address", "unsubscribe_link"]


# --- consent required (Germany) -----------------------------------------------------------


def test_a_german_prospect_without_a_recorded_consent_is_held_with_that_reason(sink, inbox):
    email = queued_email(**GERMANY)
    report = run(BERLIN_MORNING)
    assert report.sent == 0 and sink.messages == []
    assert [(o.outcome, o.reason) for o in report.outcomes] == [("held", "consent_required")]
    email.refresh_from_db()
    assert email.status == EmailStatus.HELD  # out of the queue: visible, not failed
    decision = email.send_decisions.get()
    assert (decision.outcome, decision.reason) == (SendDecision.Outcome.HELD, "consent_required")
    assert decision.detail == "consent required in DE: none recorded"
    assert Event.objects.filter(name="email.held", data__email_id=email.pk).exists()
    # the runs after it do not look at it again: no new decision, nothing sent
    later = run(BERLIN_MORNING + datetime.timedelta(minutes=5))
    assert later.outcomes == [] and email.send_decisions.count() == 1 and sink.messages == []


def test_a_german_prospect_with_a_recorded_consent_is_sent(sink, inbox):
    email = queued_email(**GERMANY)
    consent(email.prospect)
    assert run(BERLIN_MORNING).sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(sink.messages) == 1


def test_a_published_address_is_no_consent_where_express_consent_is_required(sink, inbox):
    email = queued_email(**GERMANY)
    consent(email.prospect, source=Consent.Source.PUBLISHED, evidence="https://hotel.example/kontakt")
    run(BERLIN_MORNING)
    email.refresh_from_db()
    assert email.status == EmailStatus.HELD and sink.messages == []


def test_recording_a_consent_releases_the_held_email_and_the_next_run_sends_it(sink, inbox):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    _consent, report = consent_record_and_release(
        prospect=email.prospect, source=Consent.Source.IN_PERSON, evidence="ITB Berlin booth, 2026-11-05",
        by="user:sally",
    )  # fmt: skip
    assert report.released == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.send_decisions.last().reason == "released"
    assert run(BERLIN_MORNING + datetime.timedelta(minutes=5)).sent == 1
    assert len(sink.messages) == 1


def test_a_consent_recorded_through_the_api_path_is_released_by_the_next_sender_job(sink, inbox, settings):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    consent(email.prospect)  # prospects.provenance only: outreach is not told
    assert Email.objects.get(pk=email.pk).status == EmailStatus.HELD
    assert held_emails_recheck().released == 1  # what jengu.jobs.sender_run does first
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED


def test_the_recheck_leaves_an_unchanged_held_email_alone_and_looks_again_after_an_edit(sink, inbox):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    transitions = StateTransition.objects.filter(object_id=email.pk, field="status").count()
    assert held_emails_recheck().released == 0
    assert StateTransition.objects.filter(object_id=email.pk, field="status").count() == transitions
    # the prospect is edited (say, its country corrected): checked once, then left alone again
    prospect = Prospect.objects.get(pk=email.prospect_id)
    prospect.country, prospect.timezone = "US", "America/Denver"
    prospect.save()
    assert held_emails_recheck().released == 1
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED


def test_a_still_forbidden_email_is_held_again_and_not_rechecked_until_something_changes(sink, inbox):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    prospect = Prospect.objects.get(pk=email.prospect_id)
    prospect.city = "Potsdam"  # an edit that changes nothing for the rule
    prospect.save()
    report = held_emails_recheck()
    assert (report.released, report.still_held) == (0, 1)
    assert Email.objects.get(pk=email.pk).status == EmailStatus.HELD
    assert email.send_decisions.filter(outcome="held").count() == 1  # same reason: the row is refreshed
    assert held_emails_recheck().still_held == 0  # dated anew: not examined again


def test_the_sender_job_releases_then_sends_in_one_tick(sink, inbox, monkeypatch):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    consent(email.prospect)
    monkeypatch.setattr("outreach.services.sending.Pacing.live", classmethod(lambda cls: NO_PACING))
    with time_machine.travel(BERLIN_MORNING, tick=False):
        result = jobs.sender_run()
    # the cron hands the inbox's turn to the sending queue (run inline here), which sends it
    assert "1 held email(s) released" in result and "1 inbox turn(s) queued" in result
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_a_dry_run_says_it_would_hold_and_changes_nothing(sink, inbox):
    email = queued_email(**GERMANY)
    report = run(BERLIN_MORNING, dry_run=True)
    assert [(o.outcome, o.detail) for o in report.outcomes] == [("would_hold", "consent required in DE: none recorded")]
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED and not email.send_decisions.exists()


def test_our_answer_to_a_reply_is_not_held(sink, inbox):
    """They wrote to us: an answer is no cold email."""
    prospect = ProspectFactory(stage=ProspectStage.REPLIED, **GERMANY)
    answer = EmailFactory(prospect=prospect, inbox=inbox, status=EmailStatus.QUEUED, type=Email.Type.REPLY)
    assert run(BERLIN_MORNING).sent == 1
    assert Email.objects.get(pk=answer.pk).status == EmailStatus.SENT


def test_a_stopped_sequence_cancels_a_held_email_once_it_is_released(sink, inbox):
    """Held is no way around the other checks: released later, the sender still cancels what must not go."""
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    Sequence.objects.filter(prospect=email.prospect).update(state="stopped")
    consent_record_and_release(prospect=email.prospect, source="email", evidence="asked for it", by="user:sally")
    run(BERLIN_MORNING + datetime.timedelta(minutes=5))
    assert Email.objects.get(pk=email.pk).status == EmailStatus.CANCELLED and sink.messages == []


def test_a_held_email_is_cancelled_when_the_sequence_stops_or_the_prospect_is_lost(sink, inbox):
    from outreach.services.sequences import sequence_stop
    from prospects.services import prospect_mark_lost

    unsubscribed = queued_email(**GERMANY)
    lost = queued_email(**GERMANY, email="other@hotel.example")
    run(BERLIN_MORNING)
    assert set(Email.objects.values_list("status", flat=True)) == {EmailStatus.HELD}
    assert sequence_stop(prospect=unsubscribed.prospect, reason="unsubscribed", by="test") == 1
    assert Email.objects.get(pk=unsubscribed.pk).status == EmailStatus.CANCELLED
    prospect_mark_lost(prospect=Prospect.objects.get(pk=lost.prospect_id), by="user:sally", reason="closed down")
    report = held_emails_recheck()
    assert report.cancelled == 1 and Email.objects.get(pk=lost.pk).status == EmailStatus.CANCELLED
    assert lost.send_decisions.last().detail == "the prospect is lost"


# --- conspicuous publication (Canada) -------------------------------------------------------


def test_a_canadian_prospect_with_a_guessed_address_and_no_consent_is_held(sink, inbox):
    email = queued_email(**CANADA)
    run(AMERICAS_MORNING)
    email.refresh_from_db()
    assert email.status == EmailStatus.HELD
    assert email.send_decisions.get().reason == "conspicuous_publication"
    assert "consent or a conspicuously published address required in CA" in email.send_decisions.get().detail


def test_a_canadian_address_published_on_the_hotels_site_is_sent(sink, inbox):
    email = queued_email(**CANADA, email="gm@lakeshore.example",
                         website_analysis={"contact": {"emails": ["GM@lakeshore.example"]}})  # fmt: skip
    verdict = country_rule_check(email.prospect, campaign=email.campaign)
    assert verdict.ok and "conspicuously published" in verdict.detail
    assert run(AMERICAS_MORNING).sent == 1


def test_a_canadian_address_in_a_job_posting_or_a_recorded_published_consent_is_enough(sink, inbox):
    from tests.factories import JobPostingFactory

    posted = queued_email(**CANADA, email="hr@maple.example")
    JobPostingFactory(
        prospect=posted.prospect, snippet="Send your CV to HR@maple.example", url="https://jobs.example/1"
    )
    recorded = queued_email(**CANADA, email="anne@birch.example")
    consent(recorded.prospect, source=Consent.Source.PUBLISHED, evidence="https://birch.example/team lists it")
    assert (
        country_rule_check(posted.prospect, campaign=posted.campaign).detail
        == "CA: address conspicuously published on https://jobs.example/1"
    )
    assert run(AMERICAS_MORNING).sent == 2


# --- legitimate interest, unknown country, footer ---------------------------------------------


def test_a_country_not_in_the_table_is_sent_on_legitimate_interest(sink, inbox):
    email = queued_email(country="MX", city="Mexico City", region="CDMX", timezone="America/Mexico_City")
    assert not CountryRule.objects.filter(country="MX").exists()
    assert run(AMERICAS_MORNING).sent == 1
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_a_prospect_of_unknown_country_is_held_until_its_country_is_known(sink, inbox):
    email = queued_email(country="")
    run(AMERICAS_MORNING)
    assert Email.objects.get(pk=email.pk).status == EmailStatus.HELD
    assert email.send_decisions.get().reason == "country_unknown"


def test_a_rule_requiring_a_postal_address_holds_an_email_whose_campaign_has_none(sink, inbox):
    email = queued_email()  # Denver, US: CAN-SPAM's postal address
    email.campaign.postal_address = "  "
    email.campaign.save()
    run(AMERICAS_MORNING)
    email.refresh_from_db()
    assert email.status == EmailStatus.HELD
    assert (
        email.send_decisions.get().detail == "a postal address is required in the footer in US: campaign 'C' has none"
    )


# --- Operations edits the table ---------------------------------------------------------------


def test_operations_edit_the_table_and_the_countrys_held_emails_are_released(client, ops_user, sink, inbox):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    client.force_login(ops_user)
    page = client.get(reverse("admin:outreach_countryrule_changelist"))
    assert page.status_code == 200 and "Not legal advice" in page.text and "Germany" in page.text
    rule = CountryRule.objects.get(country="DE")
    response = client.post(
        reverse("admin:outreach_countryrule_change", args=[rule.pk]),
        {"country": "DE", "basis": "legitimate_interest", "footer_requirements": ["postal_address", "privacy_line"],
         "note": "counsel says: fine for this product"},
    )  # fmt: skip
    assert response.status_code == 302, response.text
    rule.refresh_from_db()
    assert rule.basis == "legitimate_interest" and rule.updated_by == "user:oscar-ops"
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    assert Event.objects.filter(name="country_rule.saved", data__country="DE").exists()


def test_sales_read_the_table_but_cannot_change_it(client, sales_user):
    client.force_login(sales_user)
    rule = CountryRule.objects.get(country="DE")
    assert client.get(reverse("admin:outreach_countryrule_changelist")).status_code == 200
    response = client.post(
        reverse("admin:outreach_countryrule_change", args=[rule.pk]),
        {"country": "DE", "basis": "legitimate_interest", "footer_requirements": [], "note": ""},
    )
    assert response.status_code == 403
    assert CountryRule.objects.get(country="DE").basis == "consent_required"


def test_a_consent_added_on_the_prospect_page_releases_the_held_email(client, sales_user, sink, inbox):
    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    prospect = Prospect.objects.get(pk=email.prospect_id)
    client.force_login(sales_user)
    url = reverse("admin:prospects_prospect_change", args=[prospect.pk])
    page = client.get(url)
    assert page.status_code == 200 and "consents" in page.text
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(country="DE", stage=prospect.stage)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
    prefix = next(f.formset.prefix for f in page.context["inline_admin_formsets"] if f.formset.model is Consent)
    data.update({
        f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-source": "email", f"{prefix}-0-given_at_0": "2026-11-03",
        f"{prefix}-0-given_at_1": "09:30:00", f"{prefix}-0-evidence": "Her email of 3 Nov: 'please send details'",
    })  # fmt: skip
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(url, data)
    assert response.status_code == 302, [f.errors for f in response.context["inline_admin_formsets"][0].formset]
    recorded = Consent.objects.get(prospect=prospect)
    assert recorded.recorded_by == "user:sally-sales" and recorded.source == "email"
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED


# --- what the rules hold back: dashboard and campaign preview -------------------------------------


def test_the_dashboard_and_the_preview_count_what_each_rule_holds_back(admin_client, sink, inbox):
    held = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    ProspectFactory(stage=ProspectStage.READY, country="AT", timezone="Europe/Vienna")  # not yet written to
    consented = ProspectFactory(stage=ProspectStage.READY, country="AT", timezone="Europe/Vienna")
    consent(consented)
    ProspectFactory(stage=ProspectStage.CONTACTED, country="AT", email_sent_count=1)  # written to before
    rows = {row.country: row for row in held_back_by_rule()}
    assert (rows["DE"].waiting_prospects, rows["DE"].held_emails) == (1, 1)
    assert (rows["AT"].waiting_prospects, rows["AT"].held_emails) == (1, 0)
    assert "US" not in rows
    index = admin_client.get(reverse("admin:index")).text
    assert "Held back by country rules" in index and "Germany: Prior consent required" in index
    assert "1 without consent, 1 email(s) held" in index
    preview = admin_client.get(
        reverse("admin:outreach_campaign_preview", args=[held.campaign.pk]), {"prospect": held.prospect_id}
    ).text
    assert "Country rule: the sender would hold this email" in preview
    assert "consent required in DE: none recorded" in preview
    assert "Prospects not yet emailed, no consent recorded" in preview and "Austria" in preview
    other = CampaignFactory(name="Other")
    assert held_back_by_rule(campaign=other)[0].held_emails == 0  # the held email is campaign C's


def test_the_retention_of_a_held_email_ends_with_erasure(sink, inbox):
    """An erased prospect's held email is cancelled, never left waiting for a consent."""
    from jengu.erasure import prospect_erase

    email = queued_email(**GERMANY)
    run(BERLIN_MORNING)
    prospect_erase(prospect=email.prospect, by="test")
    assert Email.objects.get(pk=email.pk).status == EmailStatus.CANCELLED
    assert Prospect.objects.get(pk=email.prospect_id).erased_at is not None
    assert timezone.now() >= Prospect.objects.get(pk=email.prospect_id).erased_at
