"""The daily acquisition run: job boards → classify → extract → dedup → Prospect(new).

``acquisition_run()`` is what the 07:00 schedule and `manage.py acquire` call. Each
source is asked for each configured query; every posting is classified (AI gateway,
rule fallback), its location and hiring signal extracted, and ingested through
prospects.dedup, so a hotel seen on three boards is one prospect with three postings.
New prospects are handed to the enrichment stage. A source that fails (network,
changed layout) is counted and logged; the others carry on. The summary is an Event.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infra.events import event_record
from infra.stages import STAGES, stage_enqueue
from prospects.classification import classify_posting
from prospects.dedup import prospect_ingest
from prospects.extraction import company_name_clean, hiring_tier, parse_location
from prospects.models import DataSourceKind
from prospects.provenance import data_source_fields
from prospects.providers.base import PostingFound, ProviderError

logger = logging.getLogger(__name__)


@dataclass
class AcquisitionSummary:
    found: int = 0
    hospitality: int = 0
    new: int = 0
    merged: int = 0
    flagged: int = 0
    seen_before: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    new_prospect_ids: list[int] = field(default_factory=list)


def source_clients(names: list[str] | None = None) -> dict:
    """The clients for the configured sources (sandbox unless live ones are configured)."""
    from prospects.providers.google_jobs import GoogleJobsClient
    from prospects.providers.indeed import IndeedJobsClient
    from prospects.providers.linkedin import LinkedInJobsClient
    from prospects.providers.sandbox_jobs import SandboxJobsClient

    factories = {
        "sandbox": SandboxJobsClient,
        "linkedin": LinkedInJobsClient,
        "indeed": IndeedJobsClient,
        "google_jobs": lambda: GoogleJobsClient(api_key=settings.SERPAPI_API_KEY),
    }
    names = names or settings.ACQUISITION_SOURCES
    unknown = set(names) - set(factories)
    if unknown:
        from infra.errors import ApplicationError

        raise ApplicationError(f"Unknown source(s): {', '.join(sorted(unknown))}. Known: {', '.join(factories)}.")
    if "google_jobs" in names and not settings.SERPAPI_API_KEY:
        names = [n for n in names if n != "google_jobs"]
        logger.warning("google_jobs skipped: SERPAPI_API_KEY is not set")
    return {name: factories[name]() for name in names}


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


def ingest_posting(posting: PostingFound, *, today: datetime.date, summary: AcquisitionSummary) -> None:
    """Classify, extract and ingest one posting (its own transaction)."""
    classification, _provider = classify_posting(posting)
    if not classification.is_hospitality:
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
            "acquisition.found",
            message=f"{posting.title} at {company} ({posting.source})",
            trace_id=result.prospect.trace_id,
            data={"url": posting.url},
        )
    elif result.posting is None:
        summary.seen_before += 1
    else:
        summary.merged += 1
    summary.flagged += len(result.flagged)


def _paged(client, name: str, query: str, location: str, summary: AcquisitionSummary):
    """Every posting of a query, page after page, until a page comes back empty."""
    for page in range(settings.ACQUISITION_MAX_PAGES):
        try:
            postings = client.search(query, location=location, page=page)
        except ProviderError as exc:  # includes LayoutChanged: counted, logged, the run goes on
            summary.errors += 1
            summary.error_messages.append(f"{name} page {page}: {exc}")
            event_record("acquisition.source_failed", level="error", message=f"{name} page {page}: {exc}")
            return
        if not postings:
            return
        yield from postings


def acquisition_run(
    *, sources: list[str] | None = None, limit: int | None = None, today=None, on_progress=None
) -> AcquisitionSummary:
    today = today or timezone.localdate()
    summary = AcquisitionSummary()
    seen_in_run: set[tuple[str, str]] = set()  # several queries find the same advert
    for name, client in source_clients(sources).items():
        for query, location in settings.ACQUISITION_QUERIES:
            if limit is not None and summary.found >= limit:
                break
            for posting in _paged(client, name, query, location, summary):
                if limit is not None and summary.found >= limit:
                    break
                key = (posting.source, posting.url or f"{posting.company}|{posting.title}|{posting.location}")
                if key in seen_in_run:
                    continue
                seen_in_run.add(key)
                summary.found += 1
                ingest_posting(posting, today=today, summary=summary)
                if on_progress:
                    on_progress(summary)
    data = asdict(summary)
    data.pop("new_prospect_ids")
    event_record(
        "acquisition.run",
        message=(
            f"found {summary.found}, hospitality {summary.hospitality}, new {summary.new}, merged {summary.merged}, "
            f"flagged {summary.flagged}, errors {summary.errors}"
        ),
        level="warning" if summary.errors else "info",
        data=data,
    )
    return summary
