"""django-q2 entry points of the prospects app: load by id, call the service."""

from prospects.imports import prospect_import_run
from prospects.models import ProspectImport


def prospect_import_task(import_id: int) -> str:
    record = prospect_import_run(prospect_import=ProspectImport.objects.get(pk=import_id))
    return (
        f"{record.status}: {record.created_count} created, {record.merged_count} merged, {record.skipped_count} skipped"
    )
