"""Admin flows of the runtime and acquisition: dead letters, circuits, imports, duplicates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import tests.support.stages  # noqa: F401  (registers the test stages)
from infra.circuit import CircuitBreaker
from infra.models import CircuitState, DeadLetter
from infra.stages import stage_enqueue
from prospects.dedup import prospect_ingest
from prospects.models import PossibleDuplicate, Prospect, ProspectImport, ProspectStage
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_tasks(settings, tmp_path):
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]
    settings.MEDIA_ROOT = tmp_path


def test_dead_letter_list_shows_the_failure_and_retry_runs_it_again(admin_client, django_capture_on_commit_callbacks):
    prospect = ProspectFactory(research_report={"fail_times": 4})  # the first attempt and three retries fail
    with pytest.raises(ConnectionError), django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("test_flaky", subject_id=prospect.pk, trace_id=prospect.trace_id)
    letter = DeadLetter.objects.get()
    page = admin_client.get(reverse("admin:infra_deadletter_changelist")).content.decode()
    assert "search service down (call 4)" in page and str(prospect.trace_id) in page
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:infra_deadletter_changelist"), {"action": "retry", "_selected_action": [letter.pk]}
        )
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.ENRICHED
    letter.refresh_from_db()
    assert letter.status == "retried" and letter.resolved_by == "user:root-admin"


def test_an_open_circuit_is_shown_and_reset_from_the_admin(admin_client):
    breaker = CircuitBreaker("search:duckduckgo")
    for _ in range(3):
        breaker.record_failure("timeout")
    circuit = CircuitState.objects.get(key="search:duckduckgo")
    assert "search:duckduckgo" in admin_client.get(reverse("admin:infra_circuitstate_changelist")).content.decode()
    admin_client.post(
        reverse("admin:infra_circuitstate_changelist"), {"action": "reset", "_selected_action": [circuit.pk]}
    )
    assert breaker.state() == "closed"


def test_upload_page_imports_in_the_background_and_shows_progress_and_report(
    admin_client, django_capture_on_commit_callbacks
):
    csv = (
        b"First Name,Last Name,Company,City,Country\n"
        b"Sarah,Johnson,Hotel Sacher,Wien,Austria\n"
        b"No,Company,,Wien,Austria\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:prospects_prospectimport_add"),
            {"file": SimpleUploadedFile("contacts.csv", csv, content_type="text/csv")},
        )
    record = ProspectImport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "admin:prospects_prospectimport_change", args=[record.pk]
    )
    assert (record.status, record.created_count, record.skipped_count) == ("done", 1, 1)
    assert record.original_name == "contacts.csv" and record.created_by == "root-admin"
    page = admin_client.get(response.url).content.decode()
    assert '<progress max="100" value="100"' in page
    assert "missing company" in page and "Created: <strong>1</strong>" in page
    assert Prospect.objects.filter(name="Sarah Johnson").exists()


def test_duplicate_review_merge_and_not_a_duplicate(admin_client):
    keep = prospect_ingest(fields={"company_name": "Marriott Courtyard Denver", "city": "Denver"}).prospect
    twin = prospect_ingest(fields={"company_name": "Courtyard by Marriott Denver Downtown", "city": "Denver"}).prospect
    other = prospect_ingest(fields={"company_name": "Westin Denver Downtown", "city": "Denver"}).prospect
    lookalike = prospect_ingest(fields={"company_name": "The Westin Denver", "city": "Denver"}).prospect
    merge_pair = PossibleDuplicate.objects.get(other=twin)
    keep_pair = PossibleDuplicate.objects.get(prospect=other, other=lookalike)
    url = reverse("admin:prospects_possibleduplicate_changelist")
    page = admin_client.get(url).content.decode()
    assert "Courtyard by Marriott Denver Downtown" in page
    admin_client.post(url, {"action": "merge", "_selected_action": [merge_pair.pk]})
    admin_client.post(url, {"action": "not_duplicate", "_selected_action": [keep_pair.pk]})
    twin.refresh_from_db()
    assert twin.merged_into == keep and twin.stage == ProspectStage.LOST
    keep_pair.refresh_from_db()
    assert keep_pair.status == "not_duplicate"
    assert Prospect.objects.get(pk=lookalike.pk).stage == ProspectStage.NEW


def test_index_shows_the_last_acquisition_run_and_open_dead_letters(admin_client):
    from prospects.acquisition import acquisition_run

    acquisition_run(sources=["sandbox"], limit=30)
    DeadLetter.objects.create(stage="enrichment", func="x.y", subject_id="1", attempts=3, error="boom")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Last acquisition run" in page and "found 30" in page
    assert '?status__exact=open" id="dead-letter-count"><strong>1</strong>' in page
