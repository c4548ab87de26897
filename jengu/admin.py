"""Admin pages of project-level records: background bulk operations and their progress."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from jengu.bulk import bulk_action_start
from jengu.models import BulkOperation


@admin.register(BulkOperation)
class BulkOperationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "description", "status", "processed", "total", "succeeded", "failed", "created_by"]
    list_filter = ["status", "action"]
    fields = ["progress", "description", "status", "created_by", "created_at", "finished_at", "errors"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, operation):
        return render_to_string("admin/jengu/bulkoperation/progress.html", {"operation": operation})


def run_bulk_action(model_admin, request, queryset, name: str, verb: str):
    """An admin action's body: small selections finish now, large ones go to a worker."""
    result = bulk_action_start(name, queryset=queryset, by=request.user)
    if result.operation is not None:
        model_admin.message_user(
            request,
            f"{result.operation.total} rows: {verb} runs in the background; this page shows its progress.",
            messages.INFO,
        )
        return redirect(reverse("admin:jengu_bulkoperation_change", args=[result.operation.pk]))
    if result.succeeded:
        model_admin.message_user(request, f"{result.succeeded} row(s): {verb}.", messages.SUCCESS)
    for error in result.errors[:10]:
        model_admin.message_user(request, error, messages.ERROR)
    if result.failed > 10:
        model_admin.message_user(request, f"… and {result.failed - 10} more refused.", messages.ERROR)
    return None
