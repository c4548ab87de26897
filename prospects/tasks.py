"""django-q2 entry points of the prospects app: load by id, call the service."""

import datetime

from prospects.acquisition import acquisition_page_queued
from prospects.imports import prospect_import_run
from prospects.models import ProspectImport


def prospect_import_task(import_id: int) -> str:
    record = prospect_import_run(prospect_import=ProspectImport.objects.get(pk=import_id))
    return (
        f"{record.status}: {record.created_count} created, {record.merged_count} merged, {record.skipped_count} skipped"
    )


def acquisition_page_task(run_id: int, source: str, query: str, location: str, page: int, today: str) -> str:
    """One page of one search of the acquisition run ``run_id`` (queued by acquisition_fan_out)."""
    summary = acquisition_page_queued(
        run_id=run_id,
        source=source,
        query=query,
        location=location,
        page=page,
        today=datetime.date.fromisoformat(today),
    )
    return f"{source} {query!r} page {page}: {summary}"
