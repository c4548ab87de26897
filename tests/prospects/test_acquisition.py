"""The daily acquisition run end to end on the sandbox source."""

import collections
import datetime
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import OrmQ

from infra.models import Event
from infra.stages import STAGES, Stage
from prospects.acquisition import acquisition_run
from prospects.models import JobPosting, Prospect, ProspectStage
from prospects.providers.sandbox.jobs import DATASET

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture
def enrichment_stage(monkeypatch):
    """Stands in for the enrichment stage (issue 5) so hand-offs can be observed."""
    monkeypatch.setitem(STAGES, "enrichment", Stage(name="enrichment", func="math.floor", queue="enrichment"))


def test_sandbox_run_creates_new_prospects_and_enqueues_their_enrichment(
    enrichment_stage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        summary = acquisition_run(sources=["sandbox"], today=TODAY)
    assert summary.found > 250 and summary.errors == 0
    assert 0 < summary.hospitality < summary.found  # the non-hotel jobs were filtered out
    assert summary.new == Prospect.objects.count() > 50
    assert summary.merged > 0  # the same hotel on several boards
    assert set(Prospect.objects.values_list("stage", flat=True)) == {ProspectStage.NEW}
    assert JobPosting.objects.count() == summary.new + summary.merged
    assert OrmQ.objects.filter(key="enrichment").count() == summary.new
    assert Prospect.objects.filter(country="", timezone="").count() < summary.new / 4
    assert Prospect.objects.exclude(timezone="").exists()
    run = Event.objects.get(name="acquisition.run")
    assert run.data["new"] == summary.new and run.data["found"] == summary.found
    # the sandbox's ground truth: postings of kind "other" (hospital front desks, airlines…) are not hotels
    kinds = {p["url"]: p["kind"] for p in json.loads(Path(DATASET).read_text())["postings"]}
    taken = [kinds.get(url, "?") for url in JobPosting.objects.values_list("url", flat=True)]
    # (a chain's head office is a hospitality employer too: company_type chain_hq)
    assert (taken.count("hotel") + taken.count("chain_hq")) / len(taken) >= 0.95, collections.Counter(taken)
    assert taken.count("other") <= 2, collections.Counter(taken)

    again = acquisition_run(sources=["sandbox"], today=TODAY)
    assert (again.new, again.merged) == (0, 0)
    assert again.seen_before == summary.new + summary.merged
    assert Prospect.objects.count() == summary.new


def test_acquire_command_prints_the_summary(capsys):
    call_command("acquire", "--source", "sandbox", "--limit", "40")
    out = capsys.readouterr().out
    assert "found 40" in out and "new " in out
    assert Prospect.objects.count() > 0


def test_acquire_refuses_an_unknown_source():
    with pytest.raises(CommandError, match="Unknown source"):
        call_command("acquire", "--source", "monster")


def test_a_failing_source_is_counted_and_the_run_goes_on(monkeypatch):
    from prospects.providers.base import LayoutChanged
    from prospects.providers.sandbox.jobs import SandboxJobsClient

    def broken(self, query, location="", page=0):
        raise LayoutChanged("sandbox: no result cards found")

    monkeypatch.setattr(SandboxJobsClient, "search", broken)
    summary = acquisition_run(sources=["sandbox"], today=TODAY)
    assert summary.errors == 4 and summary.found == 0
    assert Event.objects.filter(name="acquisition.source_failed", level="error").count() == 4


def test_postings_on_record_or_judged_before_never_reach_the_classifier(monkeypatch):
    from prospects import acquisition

    sent = []

    def counting(postings, **kwargs):
        sent.extend(postings)
        return real(postings, **kwargs)

    real = acquisition.classify_postings
    monkeypatch.setattr(acquisition, "classify_postings", counting)
    first = acquisition_run(sources=["sandbox"], today=TODAY)
    assert len(sent) == first.found == first.classified > 250  # each advert once, though queries overlap
    assert len({(p.source, p.url) for p in sent}) == len(sent)

    sent.clear()
    calls = Event.objects.filter(name="ai.call").count()
    again = acquisition_run(sources=["sandbox"], today=TODAY)
    assert sent == [] and again.classified == 0
    assert Event.objects.filter(name="ai.call").count() == calls  # not one AI call
    # the hotels are on record; the others were judged not to be hotels on the first run
    assert (again.seen_before, again.judged_before) == (first.new + first.merged, first.found - first.hospitality)


def test_an_advert_without_a_url_is_known_by_its_company_title_and_place():
    from prospects.acquisition import AcquisitionSummary, postings_ingest, postings_unseen
    from prospects.providers.base import PostingFound

    advert = PostingFound(source="indeed", title="Night Auditor", company="Hotel Adler - Careers",
                          location="Munich, Germany", snippet="Balance the day for our 60 rooms.")  # fmt: skip
    summary = AcquisitionSummary()
    postings_ingest([advert, advert], today=TODAY, summary=summary)
    assert (summary.classified, summary.new) == (1, 1)  # the same advert twice on a page: once
    again = AcquisitionSummary()
    assert postings_unseen([advert], summary=again) == [] and again.seen_before == 1
    elsewhere = PostingFound(source="indeed", title="Night Auditor", company="Hotel Adler", location="Berlin")
    assert postings_unseen([elsewhere], summary=again) == [elsewhere]  # another place: another advert
