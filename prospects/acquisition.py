"""The daily acquisition run: job boards → dedup → classify → extract → ingest → Prospect(new).

The unit of work is one page of one search (a source, a query, a location):
``acquisition_page`` fetches it, drops the postings already on record (the same source
and URL, or for an advert without a URL the same source, company, title and place) and
those judged not to be a hotel on an earlier run — *before* any AI call — classifies the
rest in batches (``classify_postings``: one AI call per page, the rules as fallback per
posting), extracts location and hiring signal, and ingests the hotels through
prospects.dedup, so a hotel seen on three boards is one prospect with three postings.
New prospects are handed to the enrichment stage. A source that fails (network, changed
layout) is counted and logged; the other searches carry on.

Two ways to run it:

* ``acquisition_fan_out()`` — the 07:00 schedule. It only records the run and queues one
  task per source and query on the ``enrichment`` queue; each task does one page and
  queues the next, until a page comes back empty or ``ACQUISITION_MAX_PAGES``. No task
  grows with the number of postings, so none outlives the queue's timeout. Each page
  adds its counts to the run's ``acquisition.run`` Event (a running total under a row
  lock; ``data.open`` is the number of its pages still queued).
* ``acquisition_run()`` — `manage.py acquire`, the demo and the tests: the same pages one
  after another in this process, with ``limit`` and a progress callback.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from infra.events import event_record
from infra.models import Event
from infra.stages import STAGES, stage_enqueue, task_enqueue
from prospects import events
from prospects.classification import PostingClassification, classify_posting, classify_postings
from prospects.dedup import prospect_ingest
from prospects.extraction import company_name_clean, hiring_tier, parse_location
from prospects.models import DataSourceKind, JobPosting
from prospects.provenance import data_source_fields
from prospects.providers import registry
from prospects.providers.base import PostingFound, ProviderError

logger = logging.getLogger(__name__)

QUEUE = "enrichment"  # acquisition feeds enrichment; its page tasks share that queue's workers
# a posting judged not to be a hotel is not sent to the classifier again for this long (in the
# cache: shared by every worker with REDIS_URL, per process otherwise)
NOT_A_HOTEL_MEMORY = 30 * 24 * 3600
ERROR_MESSAGES_KEPT = 50  # on the run's Event: enough to see which sources failed, bounded


@dataclass
class AcquisitionSummary:
    found: int = 0
    hospitality: int = 0
    new: int = 0
    merged: int = 0
    flagged: int = 0
    seen_before: int = 0  # on record already: not classified, not ingested again
    judged_before: int = 0  # judged not a hotel on an earlier run: not classified again
    classified: int = 0  # sent to the classifier (AI or rules)
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    new_prospect_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type == "int"}

    def __str__(self):
        return (
            f"found {self.found}, hospitality {self.hospitality}, new {self.new}, merged {self.merged}, "
            f"flagged {self.flagged}, already seen {self.seen_before + self.judged_before}, errors {self.errors}"
        )


def posting_fields(posting: PostingFound, classification, *, today: datetime.date) -> tuple[dict, dict]:
    """The Prospect fields and the JobPosting fields of one hospitality posting."""
    location = parse_location(posting.location)
    tier = hiring_tier(posting.title, posting.posted_at, today=today)
    company = company_name_clean(posting.company)
    fields = {
        "company_name": company,
        "city": location.city,
        "region": location.region,
        "country": location.country_code,
        "timezone": location.timezone,
        "market_tier": classification.market_tier or "",
        "company_type": classification.company_type,
        "tier": tier,
        "source": posting.source,
        # where the data came from (told in the first email): the advert, until enrichment
        # finds the person on the hotel's site (prospects.provenance)
        **data_source_fields(DataSourceKind.JOB_POSTING, posting.url),
    }
    job = {
        "source": posting.source,
        "title": posting.title[:200],
        "company_name": company,
        "location": posting.location[:200],
        "url": posting.url[:500],
        "posted_at": posting.posted_at,
        "snippet": posting.snippet[:2000],
        "tier": tier,
    }
    return fields, job


def ingest_posting(
    posting: PostingFound,
    *,
    today: datetime.date,
    summary: AcquisitionSummary,
    classification: PostingClassification | None = None,
) -> None:
    """Extract and ingest one posting (its own transaction); classified here unless given."""
    if classification is None:
        classification, _provider = classify_posting(posting)
        summary.classified += 1
    if not classification.is_hospitality:
        _remember_not_a_hotel([posting])
        return
    summary.hospitality += 1
    fields, job = posting_fields(posting, classification, today=today)
    company = fields["company_name"]
    with transaction.atomic():
        result = prospect_ingest(fields=fields, posting=job, by="task:acquisition")
        if result.created and "enrichment" in STAGES:
            stage_enqueue("enrichment", subject_id=result.prospect.pk, trace_id=result.prospect.trace_id)
    if result.created:
        summary.new += 1
        summary.new_prospect_ids.append(result.prospect.pk)
        event_record(
            events.ACQUISITION_FOUND,
            message=f"{posting.title} at {company} ({posting.source})",
            trace_id=result.prospect.trace_id,
            data={"url": posting.url},
        )
    elif result.posting is None:
        summary.seen_before += 1
    else:
        summary.merged += 1
    summary.flagged += len(result.flagged)


# --- seen before: what needs no classifier ------------------------------------------------


def posting_key(posting: PostingFound) -> tuple:
    """What identifies an advert: its source and URL, else its source, company, title and place
    (as a JobPosting stores them)."""
    if posting.url:
        return (posting.source, posting.url[:500])
    return (posting.source, "", company_name_clean(posting.company), posting.title[:200], posting.location[:200])


def _memory_key(key: tuple) -> str:
    return "acquisition:not-a-hotel:" + hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:40]


def _remember_not_a_hotel(postings: list[PostingFound]) -> None:
    if postings:
        cache.set_many({_memory_key(posting_key(p)): 1 for p in postings}, timeout=NOT_A_HOTEL_MEMORY)


def postings_unseen(postings: list[PostingFound], *, summary: AcquisitionSummary) -> list[PostingFound]:
    """The postings of a page that need the classifier: one query for those on record, one cache read for
    those judged before; the rest, each once, in the page's order."""
    unique: dict[tuple, PostingFound] = {}
    for posting in postings:
        unique.setdefault(posting_key(posting), posting)
    on_record = Q(pk__in=[])
    for key in unique:
        if key[1]:
            on_record |= Q(source=key[0], url=key[1])
        else:
            on_record |= Q(source=key[0], url="", company_name=key[2], title=key[3], location=key[4])
    stored = set()
    for source, url, company, title, location in JobPosting.objects.filter(on_record).values_list(
        "source", "url", "company_name", "title", "location"
    ):
        stored.add((source, url) if url else (source, "", company, title, location))
    judged = cache.get_many([_memory_key(key) for key in unique if key not in stored])
    fresh = []
    for key, posting in unique.items():
        if key in stored:
            summary.seen_before += 1
        elif _memory_key(key) in judged:
            summary.judged_before += 1
        else:
            fresh.append(posting)
    return fresh


def postings_ingest(
    postings: list[PostingFound], *, today: datetime.date, summary: AcquisitionSummary, providers=None
) -> None:
    """Skip what was seen before, classify the rest in batches, ingest the hotels."""
    fresh = postings_unseen(postings, summary=summary)
    verdicts = classify_postings(fresh, providers=providers)
    summary.classified += len(fresh)
    _remember_not_a_hotel([p for p, (verdict, _) in zip(fresh, verdicts, strict=True) if not verdict.is_hospitality])
    for posting, (classification, _provider) in zip(fresh, verdicts, strict=True):
        if classification.is_hospitality:
            ingest_posting(posting, today=today, summary=summary, classification=classification)


# --- one page ------------------------------------------------------------------------------


def _search_page(client, name: str, query: str, location: str, page: int, summary: AcquisitionSummary):
    """One page of a search, or None when the source failed (counted and logged, the run goes on)."""
    try:
        return client.search(query, location=location, page=page)
    except ProviderError as exc:  # includes LayoutChanged
        summary.errors += 1
        summary.error_messages.append(f"{name} page {page}: {exc}")
        event_record(events.ACQUISITION_SOURCE_FAILED, level="error", message=f"{name} page {page}: {exc}")
        return None


def acquisition_page(
    *, source: str, query: str, location: str, page: int, today: datetime.date, summary: AcquisitionSummary
) -> bool:
    """Fetch, dedup, classify and ingest one page of one search; True when a next page may have more."""
    client = registry.job_sources([source]).get(source)
    if client is None:  # dropped since the run was queued (google_jobs without its key)
        return False
    postings = _search_page(client, source, query, location, page, summary)
    if not postings:
        return False
    summary.found += len({posting_key(p) for p in postings})
    postings_ingest(postings, today=today, summary=summary)
    return True


# --- the 07:00 fan-out ----------------------------------------------------------------------


def acquisition_fan_out(*, sources: list[str] | None = None, today: datetime.date | None = None) -> Event:
    """Record the run and queue the first page of every search; the page tasks do the rest."""
    today = today or timezone.localdate()
    names = list(registry.job_sources(sources))  # refuses unknown sources here, not in a worker
    searches = [(name, query, location) for name in names for query, location in settings.ACQUISITION_QUERIES]
    with transaction.atomic():
        run = event_record(
            events.ACQUISITION_RUN,
            message=f"running: {len(searches)} searches queued",
            data={**AcquisitionSummary().counts(), "error_messages": [], "searches": len(searches), "pages": 0,
                  "open": len(searches), "status": "running" if searches else "finished"},
        )  # fmt: skip
        for name, query, location in searches:
            _page_enqueue(run.pk, name, query, location, 0, today)
    return run


def _page_enqueue(run_id: int, source: str, query: str, location: str, page: int, today: datetime.date) -> None:
    task_enqueue(
        "prospects.tasks.acquisition_page_task",
        run_id, source, query, location, page, today.isoformat(),
        queue=QUEUE,
        name=f"acquisition:{run_id}:{source}:{query[:40]}:page-{page}",
    )  # fmt: skip


def acquisition_page_queued(
    *, run_id: int, source: str, query: str, location: str, page: int, today: datetime.date
) -> AcquisitionSummary:
    """The page task: one page, its counts added to the run, the next page queued when there may be one."""
    summary = AcquisitionSummary()
    more = acquisition_page(source=source, query=query, location=location, page=page, today=today, summary=summary)
    more = more and page + 1 < settings.ACQUISITION_MAX_PAGES
    with transaction.atomic():
        run = Event.objects.select_for_update().filter(pk=run_id, name=events.ACQUISITION_RUN).first()
        if run is not None:
            _run_add(run, summary, next_page=more)
        if more:
            _page_enqueue(run_id, source, query, location, page + 1, today)
    return summary


def _run_add(run: Event, summary: AcquisitionSummary, *, next_page: bool) -> None:
    """Add one page's counts to the run's running total (the caller holds the row lock)."""
    data = dict(run.data)
    for name, value in summary.counts().items():
        data[name] = data.get(name, 0) + value
    data["error_messages"] = (data.get("error_messages", []) + summary.error_messages)[-ERROR_MESSAGES_KEPT:]
    data["pages"] = data.get("pages", 0) + 1
    data["open"] = max(0, data.get("open", 1) - 1 + (1 if next_page else 0))
    data["status"] = "running" if data["open"] else "finished"
    total = AcquisitionSummary(**{name: data.get(name, 0) for name in AcquisitionSummary().counts()})
    run.data = data
    run.message = str(total) + (f" ({data['open']} page(s) still queued)" if data["open"] else "")
    run.level = Event.Level.WARNING if total.errors else Event.Level.INFO
    run.save(update_fields=["data", "message", "level"])


# --- the whole run in this process -----------------------------------------------------------


def acquisition_run(
    *, sources: list[str] | None = None, limit: int | None = None, today=None, on_progress=None
) -> AcquisitionSummary:
    """Every page of every search, one after another in this process (`manage.py acquire`, the demo)."""
    today = today or timezone.localdate()
    summary = AcquisitionSummary()
    seen_in_run: set[tuple] = set()  # several queries find the same advert
    for name, client in registry.job_sources(sources).items():
        for query, location in settings.ACQUISITION_QUERIES:
            for page in range(settings.ACQUISITION_MAX_PAGES):
                if limit is not None and summary.found >= limit:
                    break
                postings = _search_page(client, name, query, location, page, summary)
                if not postings:
                    break
                new_here = []
                for posting in postings:
                    key = posting_key(posting)
                    if key not in seen_in_run and (limit is None or summary.found + len(new_here) < limit):
                        seen_in_run.add(key)
                        new_here.append(posting)
                summary.found += len(new_here)
                postings_ingest(new_here, today=today, summary=summary)
                if on_progress:
                    on_progress(summary)
    data = asdict(summary)
    data.pop("new_prospect_ids")
    event_record(
        events.ACQUISITION_RUN,
        message=str(summary),
        level="warning" if summary.errors else "info",
        data={**data, "status": "finished"},
    )
    return summary
