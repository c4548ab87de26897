"""Admin actions over many rows run in the background, with progress the admin shows.

An app registers what one row's work is (a service call), e.g.::

    bulk_action_register("prospects.reenrich", "Enrich again", "prospects.Prospect",
                         prospect_reenrich_by_id)

``bulk_action_start`` runs a small selection inline (the admin reports at once) and
hands a large one to a worker as a BulkOperation: the worker takes the rows in chunks,
records progress after each chunk, and keeps the first errors for the person who
started it. A worker that dies mid-way leaves ``processed`` where it stopped; running
the operation again continues from there (each row's service is itself idempotent).

Mechanism only: the apps register their actions (in ``AppConfig.ready``), and an admin
action's body is ``infra.admin_bulk.run_bulk_action``. The smaller loop for actions that
always run inline (a service per row, refusals reported) is ``infra.admin_bulk.admin_apply``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from infra.errors import ApplicationError
from infra.models import BulkOperation

INLINE_LIMIT = 100  # selections up to this size run inside the admin request
CHUNK = 200
MAX_ERRORS_KEPT = 20


@dataclass(frozen=True)
class BulkAction:
    name: str
    description: str
    model: str  # "app_label.Model"
    run_one: Callable  # (obj, *, by) -> None; raises ApplicationError for a row it refuses
    # a chunk at a time instead, for work that writes one result for the whole operation
    # (a CSV export): (operation, queryset of the chunk, by, errors) -> (succeeded, failed)
    run_chunk: Callable | None = None


BULK_ACTIONS: dict[str, BulkAction] = {}


def bulk_action_register(
    name: str, description: str, model: str, run_one: Callable | None = None, *, run_chunk: Callable | None = None
) -> BulkAction:
    BULK_ACTIONS[name] = BulkAction(name, description, model, run_one, run_chunk)
    return BULK_ACTIONS[name]


@dataclass
class BulkResult:
    succeeded: int
    failed: int
    errors: list[str]
    operation: BulkOperation | None = None  # set when the work went to the background


def _actor(by) -> str:
    return by.get_username() if isinstance(by, AbstractBaseUser) else str(by)


def _run_rows(action: BulkAction, objects, by, errors: list[str]) -> tuple[int, int]:
    succeeded = failed = 0
    for obj in objects:
        try:
            action.run_one(obj, by=by)
            succeeded += 1
        except ApplicationError as exc:
            failed += 1
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append(exc.message)
    return succeeded, failed


def bulk_action_start(name: str, *, queryset, by) -> BulkResult:
    """Run action ``name`` on every row of ``queryset``: inline when small, else in the background."""
    action = BULK_ACTIONS[name]
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    if len(ids) <= INLINE_LIMIT and action.run_chunk is None:  # a chunked action's caller chose the background
        errors: list[str] = []
        succeeded, failed = _run_rows(action, queryset.order_by("pk"), by, errors)
        return BulkResult(succeeded, failed, errors)
    operation = BulkOperation.objects.create(
        action=name, description=action.description, object_ids=ids, total=len(ids), created_by=_actor(by)
    )
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "infra.bulk.bulk_operation_run",
            operation.pk,
            task_name=f"bulk:{operation.pk}",
            sync=getattr(settings, "JENGU_TASKS_SYNC", False),
        )
    )
    return BulkResult(0, 0, [], operation)


def bulk_operation_run(operation_id: int) -> str:
    """The worker's side: process the remaining rows chunk by chunk, recording progress."""
    operation = BulkOperation.objects.get(pk=operation_id)
    if operation.status in (BulkOperation.Status.FINISHED, BulkOperation.Status.FAILED):
        return operation.status
    action = BULK_ACTIONS.get(operation.action)
    if action is None:
        BulkOperation.objects.filter(pk=operation_id).update(
            status=BulkOperation.Status.FAILED,
            errors=[f"unknown action {operation.action}"],
            finished_at=timezone.now(),
        )
        return "failed"
    BulkOperation.objects.filter(pk=operation_id).update(status=BulkOperation.Status.RUNNING)
    model = apps.get_model(action.model)
    by = f"user:{operation.created_by}"
    errors = list(operation.errors)
    remaining = operation.object_ids[operation.processed :]
    for start in range(0, len(remaining), CHUNK):
        chunk = remaining[start : start + CHUNK]
        objects = model.objects.filter(pk__in=chunk).order_by("pk")
        if action.run_chunk is not None:
            succeeded, failed = action.run_chunk(operation, objects, by, errors)
        else:
            succeeded, failed = _run_rows(action, objects, by, errors)
        vanished = len(chunk) - succeeded - failed  # deleted since the action started
        BulkOperation.objects.filter(pk=operation_id).update(
            processed=F("processed") + len(chunk),
            succeeded=F("succeeded") + succeeded,
            failed=F("failed") + failed + vanished,
            errors=errors,
        )
    BulkOperation.objects.filter(pk=operation_id).update(
        status=BulkOperation.Status.FINISHED, finished_at=timezone.now()
    )
    return "finished"
