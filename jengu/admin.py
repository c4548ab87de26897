"""The admin page of background bulk operations (infra.bulk): their progress, and a finished
CSV export's file (jengu.exports), which is why it is registered here, at the top."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from infra.models import BulkOperation


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
        """A finished CSV export's file (jengu.exports), for the person who started it."""
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

        from jengu.exports import CSV_EXPORTS, export_file

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
