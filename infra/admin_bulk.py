"""An admin action's body, for actions that call a service once per selected row.

Two shapes, one contract: the service is the only writer; a row it refuses raises an
``ApplicationError`` whose message the person reads; what succeeded is counted in one
success message.

- ``run_bulk_action(model_admin, request, queryset, name, verb)``: an action registered
  with ``infra.bulk.bulk_action_register``. Small selections finish inside the request;
  large ones become a ``BulkOperation`` and the response goes to its progress page.
- ``admin_apply(model_admin, request, objects, run_one, noun=..., verb=...)``: always
  inside the request (selections that stay small: duplicate pairs, inboxes, emails
  under review). Each refusal is its own error message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from infra.bulk import bulk_action_start
from infra.errors import ApplicationError

ERRORS_SHOWN = 10


def run_bulk_action(model_admin, request, queryset, name: str, verb: str):
    """An admin action's body: small selections finish now, large ones go to a worker."""
    result = bulk_action_start(name, queryset=queryset, by=request.user)
    if result.operation is not None:
        model_admin.message_user(
            request,
            f"{result.operation.total} rows: {verb} runs in the background; this page shows its progress.",
            messages.INFO,
        )
        return redirect(reverse("admin:infra_bulkoperation_change", args=[result.operation.pk]))
    if result.succeeded:
        model_admin.message_user(request, f"{result.succeeded} row(s): {verb}.", messages.SUCCESS)
    for error in result.errors[:ERRORS_SHOWN]:
        model_admin.message_user(request, error, messages.ERROR)
    if result.failed > ERRORS_SHOWN:
        model_admin.message_user(request, f"… and {result.failed - ERRORS_SHOWN} more refused.", messages.ERROR)
    return None


def admin_apply(
    model_admin,
    request,
    objects: Iterable,
    run_one: Callable,
    *,
    noun: str,
    verb: str,
    label: Callable | None = None,
) -> int:
    """Call ``run_one(obj)`` for each of ``objects``; report each refusal, then "N <noun> <verb>.".

    ``label(obj)``, when given, names the row in front of its refusal (an inbox's address).
    Returns how many succeeded.
    """
    done = 0
    for obj in objects:
        try:
            run_one(obj)
        except ApplicationError as exc:
            text = f"{label(obj)}: {exc.message}" if label else exc.message
            model_admin.message_user(request, text, messages.ERROR)
            continue
        done += 1
    if done:
        model_admin.message_user(request, f"{done} {noun} {verb}.", messages.SUCCESS)
    return done
