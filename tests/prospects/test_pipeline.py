"""Enrichment and research end to end in sandbox mode, and with the search service down."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from infra.models import DeadLetter, Event, StateTransition
from infra.stages import stage_enqueue, stale_claims_sweep
from prospects.acquisition import acquisition_run
from prospects.models import EnrichmentStatus, Prospect, ProspectStage, ResearchReport

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def sandbox(settings, tmp_path):
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]
    settings.SEARCH_PROVIDER = "sandbox"
    settings.MEDIA_ROOT = tmp_path
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.MILLIONVERIFIER_API_KEY = settings.HUNTER_API_KEY = ""


def test_sandbox_prospects_flow_from_new_to_ready_with_findings(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = acquisition_run(sources=["sandbox"], limit=40, today=TODAY)
    prospects = Prospect.objects.filter(pk__in=summary.new_prospect_ids)
    assert prospects.count() == summary.new > 10
    stages = set(prospects.values_list("stage", flat=True))
    assert stages == {ProspectStage.READY}, stages
    with_site = prospects.exclude(company_website="")
    assert with_site.count() >= summary.new * 0.6
    assert prospects.filter(email_verified=True).exists()
    assert prospects.filter(enrichment_status=EnrichmentStatus.COMPLETED).exists()
    assert all(0 <= p.enrichment_score <= 1 for p in prospects)
    sample = with_site.exclude(website_analysis={}).first()
    assert sample.website_analysis["schema_version"] == 1
    assert {"contact", "technology", "content", "design", "seo"} <= set(sample.website_analysis)
    assert ResearchReport.objects.filter(prospect__in=prospects).count() == summary.new
    assert prospects.exclude(pain_signals=[]).exists()
    # the whole story is on record under each prospect's trace id
    p = sample
    path = list(
        StateTransition.objects.filter(object_id=p.pk, content_type__model="prospect")
        .order_by("id")
        .values_list("target", flat=True)
    )
    assert path == ["enriching", "enriched", "researching", "ready"]
    assert Event.objects.filter(trace_id=p.trace_id, name="enrichment.done").exists()


def test_a_prospect_without_a_findable_website_still_moves_on(django_capture_on_commit_callbacks):
    from tests.factories import ProspectFactory

    prospect = ProspectFactory(
        company_name="Pension Nirgendwo", city="Kleinkleckersdorf", email="", name="", company_website="", timezone=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.READY
    assert prospect.enrichment_status in (EnrichmentStatus.FAILED, EnrichmentStatus.PARTIAL)
    assert prospect.enrichment_score < 0.5


def test_search_down_retries_then_dead_letters_and_nothing_is_stuck(monkeypatch, django_capture_on_commit_callbacks):
    from prospects import website
    from prospects.providers.base import ProviderError
    from tests.factories import ProspectFactory

    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise ProviderError("duckduckgo answered HTTP 503")

    monkeypatch.setattr(website, "find_website", down)
    prospect = ProspectFactory(company_website="", email="")
    with pytest.raises(ProviderError), django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    assert len(calls) == 4  # the first attempt and three retries (infra.stages.MAX_RETRIES)
    letter = DeadLetter.objects.get(stage="enrichment")
    assert letter.trace_id == prospect.trace_id and "503" in letter.error
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.NEW  # the claim was given back, not stranded in `enriching`
    # and the cron does not hammer it again while it waits in the dead letters
    from jengu.jobs import enrichment_run

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrichment_run()
    assert callbacks == []


def test_a_verifier_outage_retries_instead_of_finishing_without_an_address(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infra.circuit import CircuitOpen
    from prospects import emails
    from tests.factories import ProspectFactory

    def verifier_down(**kwargs):
        raise CircuitOpen("verify:millionverifier")

    monkeypatch.setattr(emails, "find_email", verifier_down)
    prospect = ProspectFactory(company_website="https://hotel-adlon.example", email="", name="Anna Weber")
    with pytest.raises(CircuitOpen), django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.NEW  # not `ready` with no address: it is enriched again later
    assert DeadLetter.objects.get(stage="enrichment").trace_id == prospect.trace_id


def test_a_claim_stranded_by_a_dead_worker_is_returned_by_the_sweeper(django_capture_on_commit_callbacks):
    from infra.statemachine import transition
    from tests.factories import ProspectFactory

    prospect = ProspectFactory(company_website="", email="")
    transition(prospect, "start_enrichment", by="task:enrichment", at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert stale_claims_sweep() == 1
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.READY


def test_reenrich_and_reresearch_from_the_admin(admin_client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.factories import ProspectFactory

    prospect = ProspectFactory(company_website="", email="")
    with django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    url = reverse("admin:prospects_prospect_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "reresearch", "_selected_action": [prospect.pk]})
    assert ResearchReport.objects.filter(prospect=prospect).count() == 2
    page = admin_client.get(reverse("admin:prospects_prospect_change", args=[prospect.pk])).content.decode()
    assert "No research yet" not in page and "research-report" in page
    response = admin_client.post(url, {"action": "reenrich", "_selected_action": [prospect.pk]}, follow=True)
    assert "only new or enriched prospects" in response.content.decode()


def test_enrich_and_backfill_commands(capsys, django_capture_on_commit_callbacks):
    from tests.factories import ProspectFactory

    ProspectFactory(company_website="", email="", city="Lisbon", region="", country="PT", timezone="")
    call_command("backfill_timezones")
    assert "1 time zone(s) set" in capsys.readouterr().out
    assert Prospect.objects.get().timezone == "Europe/Lisbon"
    call_command("enrich", "--now", "--limit", "5")
    out = capsys.readouterr().out
    assert "1 enriched" in out


def test_the_enrich_command_queues_the_new_prospects_but_not_those_parked_in_the_dead_letters(monkeypatch, capsys):
    from infra import stages
    from tests.factories import ProspectFactory

    queued = []
    monkeypatch.setattr(stages, "stage_enqueue", lambda name, *, subject_id, trace_id: queued.append(subject_id))
    waiting = ProspectFactory.create_batch(3, stage=ProspectStage.NEW)
    DeadLetter.objects.create(stage="enrichment", func="x.y", subject_id=str(waiting[0].pk), attempts=3, error="e")
    call_command("enrich", "--limit", "5")
    assert queued == [waiting[1].pk, waiting[2].pk]
    assert "2 prospect(s) queued for enrichment." in capsys.readouterr().out
