"""An admin action's body, for actions that call a service once per selected row; the
page of a background bulk operation (its progress, a finished CSV export's file).

Two shapes, one contract: the service is the only writer; a row it refuses raises an
``ApplicationError`` whose message the person reads; what succeeded is counted in one
success message.

- ``run_bulk_action(model_admin, request, queryset, name, verb)``: an action registered
  with ``infra.bulk.bulk_action_register``. Small selections finish inside the request;
  large ones become a ``BulkOperation`` and the response goes to its progress page.
- ``admin_apply(model_admin, request, objects, run_one, noun=..., verb=...)``: always
  inside the request (selections that stay small: duplicate pairs, inboxes, emails
  under review). Each refusal is its own error message.

``BulkOperationAdmin`` is where a large action's response goes: the operation's progress
(refreshing itself while it runs) and, for a CSV export, the link to its file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from infra.bulk import bulk_action_start
from infra.errors import ApplicationError
from infra.models import BulkOperation

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


@admin.register(BulkOperation)
class BulkOperationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "description", "status", "processed", "total", "succeeded", "failed", "created_by"]
    list_filter = ["status", "action"]
    fields = ["progress", "download", "description", "status", "created_by", "created_at", "finished_at", "errors"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, operation):
        return render_to_string("admin/jengu/bulkoperation/progress.html", {"operation": operation})

    @admin.display(description="file")
    def download(self, operation):
        """A finished CSV export's file (infra.exports), for the person who started it."""
        if not operation.action.startswith("export."):
            return "—"
        if operation.status != BulkOperation.Status.FINISHED:
            return "being written…"
        url = reverse("admin:infra_bulkoperation_download", args=[operation.pk])
        return format_html('<a href="{}" id="export-download">Download the CSV</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/", view, name="infra_bulkoperation_download"), *super().get_urls()]

    def download_view(self, request, pk):
        """Only the person who started the export (or a superuser), while they may still view what it lists."""
        from django.apps import apps

        from infra.exports import CSV_EXPORTS, export_file

        operation = get_object_or_404(BulkOperation, pk=pk, action__startswith="export.")
        export = CSV_EXPORTS.get(operation.action)
        own = operation.created_by == request.user.get_username()
        if export is None or not (own or request.user.is_superuser):
            raise PermissionDenied
        model = apps.get_model(export.model)
        if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            raise PermissionDenied
        target = export_file(operation)
        if operation.status != BulkOperation.Status.FINISHED or not target.exists():
            raise Http404("The export is not finished, or its file was removed.")
        stamp = operation.created_at.strftime("%Y%m%d-%H%M")
        return FileResponse(
            target.open("rb"), as_attachment=True, filename=f"{export.filename}-{stamp}.csv", content_type="text/csv"
        )
