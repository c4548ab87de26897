"""Storage limitation: prospects idle past PERSONAL_DATA_RETENTION_MONTHS are anonymised by the
erasure service, their address kept only as a suppression hash (jengu.retention)."""

import datetime

import pytest
from constance import config
from django.core.management import call_command
from django.core.management.base import CommandError

from infra.models import Event
from jengu import jobs
from jengu.retention import months_before, retention_run
from outreach.models import Suppression, suppression_hash
from outreach.services.suppression import suppression_blocks
from prospects.models import Consent, Prospect, ProspectStage
from tests.factories import EmailFactory, ProspectFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 5, 3, 30, tzinfo=UTC)


def months_ago(months: int, days: int = 0) -> datetime.datetime:
    return months_before(NOW, months) - datetime.timedelta(days=days)


def idle_prospect(months: int, **fields) -> Prospect:
    """A prospect whose every activity is ``months`` ago (updated_at is auto_now: set it with an UPDATE)."""
    at = months_ago(months)
    fields.setdefault("stage", ProspectStage.CONTACTED)
    prospect = ProspectFactory(created_at=at, stage_changed_at=at, last_email_sent_at=at, **fields)
    Prospect.objects.filter(pk=prospect.pk).update(updated_at=at)
    return prospect


@pytest.fixture(autouse=True)
def two_years():
    config.PERSONAL_DATA_RETENTION_MONTHS = 24


def test_a_25_month_idle_prospect_is_anonymised_and_a_23_month_one_is_kept():
    old = idle_prospect(25, name="Greta Idle", email="greta@alt.example", phone="+49 30 1234567")
    EmailFactory(prospect=old, to_email="greta@alt.example", body="Hallo Greta, …")
    kept = idle_prospect(23, name="Karl Recent", email="karl@neu.example")
    report = retention_run(now=NOW)
    assert (report.due, report.anonymised, report.failed, report.remaining) == (1, 1, 0, 0)
    assert report.prospect_ids == [old.pk]
    old.refresh_from_db()
    assert (old.name, old.email, old.phone) == ("", "", "")
    assert old.stage == ProspectStage.LOST and old.erased_at is not None
    assert old.lost_reason == "no activity for 24 months: personal data anonymised"
    assert not old.emails.filter(body__icontains="greta").exists()
    kept.refresh_from_db()
    assert (kept.name, kept.email, kept.erased_at) == ("Karl Recent", "karl@neu.example", None)


def test_the_address_is_kept_only_as_a_suppression_hash():
    idle_prospect(25, email="greta@alt.example")
    retention_run(now=NOW)
    entry = Suppression.objects.get(value_hash=suppression_hash("greta@alt.example"))
    assert entry.value == "" and entry.reason == Suppression.Reason.ERASURE
    assert not Suppression.objects.filter(value__icontains="greta").exists()
    assert suppression_blocks("Greta@Alt.example")  # still never written to again


def test_any_activity_inside_the_period_keeps_a_prospect():
    replied = idle_prospect(30, email="a@x.example")
    Prospect.objects.filter(pk=replied.pk).update(last_reply_at=months_ago(3))
    edited = idle_prospect(30, email="b@x.example")
    Prospect.objects.filter(pk=edited.pk).update(updated_at=months_ago(1))
    moved = idle_prospect(30, email="c@x.example")
    Prospect.objects.filter(pk=moved.pk).update(stage_changed_at=months_ago(2))
    consented = idle_prospect(30, email="d@x.example")
    Consent.objects.create(prospect=consented, source="email", given_at=months_ago(30), evidence="x",
                           recorded_at=months_ago(6))  # fmt: skip
    idle_prospect(30, email="e@x.example", stage=ProspectStage.WON)  # a customer
    hotel_only = idle_prospect(30, name="", email="", phone="", title="", linkedin_url="")
    report = retention_run(now=NOW)
    assert report.due == 0 and report.anonymised == 0
    assert Prospect.objects.filter(erased_at__isnull=False).count() == 0
    assert Prospect.objects.get(pk=hotel_only.pk).stage == ProspectStage.CONTACTED  # only the hotel: kept


def test_a_dry_run_changes_nothing_and_a_run_reports_what_it_did():
    first, second, third = (idle_prospect(26, email=f"p{n}@old.example") for n in range(3))
    dry = retention_run(now=NOW, dry_run=True, limit=2)
    assert dry.prospect_ids == [first.pk, second.pk] and dry.due == 3 and dry.remaining == 1
    assert not Prospect.objects.filter(erased_at__isnull=False).exists()
    assert not Event.objects.filter(name="retention.run").exists()
    report = retention_run(now=NOW, limit=2)
    assert (report.due, report.anonymised, report.remaining) == (3, 2, 1)
    event = Event.objects.get(name="retention.run")
    assert event.data["anonymised"] == 2 and event.data["remaining"] == 1 and event.data["months"] == 24
    assert event.data["prospect_ids"] == [first.pk, second.pk]
    assert "2 prospect(s) anonymised, 1 left for the next runs" in event.message
    assert retention_run(now=NOW).prospect_ids == [third.pk]  # the next day's run takes the rest
    assert retention_run(now=NOW).due == 0  # an anonymised prospect is never due again


def test_the_period_is_a_live_setting_and_zero_turns_the_job_off():
    idle_prospect(13, email="x@y.example")
    config.PERSONAL_DATA_RETENTION_MONTHS = 12
    assert retention_run(now=NOW, dry_run=True).due == 1
    config.PERSONAL_DATA_RETENTION_MONTHS = 0
    report = retention_run(now=NOW)
    assert report.anonymised == 0 and "off" in str(report)


def test_the_daily_job_and_the_command_report_what_they_did(capsys):
    idle_prospect(25, email="job@old.example")
    config.PERSONAL_DATA_RETENTION_MONTHS = 24
    call_command("retention_run", "--dry-run")
    out = capsys.readouterr().out
    assert "would anonymise prospects: #" in out and "1 prospect(s) due" in out
    assert "1 prospect(s) anonymised" in jobs.retention_run()
    with pytest.raises(CommandError):
        call_command("retention_run", "--limit", "-1")


def test_months_before_keeps_the_day_or_takes_the_months_last():
    march_31 = datetime.datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    assert months_before(march_31, 1) == datetime.datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert months_before(march_31, 24) == datetime.datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    assert months_before(datetime.datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime.datetime(2024, 12, 15, tzinfo=UTC)
