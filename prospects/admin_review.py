"""Admin pages for the acquisition side: imports with progress, the duplicate review list."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from infra.admin_bulk import admin_apply
from prospects.imports import prospect_import_enqueue
from prospects.models import PossibleDuplicate, ProspectImport
from prospects.services.duplicates import possible_duplicate_dismiss, possible_duplicate_merge

REPORT_ROWS_SHOWN = 500


class ProspectImportForm(forms.ModelForm):
    class Meta:
        model = ProspectImport
        fields = ["file"]
        help_texts = {"file": "A CSV export (Sales Navigator, LinkedIn, Apollo…) with at least a Company column."}


@admin.register(ProspectImport)
class ProspectImportAdmin(admin.ModelAdmin):
    form = ProspectImportForm
    list_display = [
        "created_at",
        "original_name",
        "status",
        "progress",
        "created_count",
        "merged_count",
        "skipped_count",
        "created_by",
    ]
    list_filter = ["status"]

    def get_fields(self, request, obj=None):
        return (
            ["file"]
            if obj is None
            else ["original_name", "progress_panel", "report_table", "created_by", "created_at", "finished_at"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="progress")
    def progress(self, record):
        return format_html(
            '<progress max="100" value="{}"></progress> {}%', record.progress_percent, record.progress_percent
        )

    @admin.display(description="progress")
    def progress_panel(self, record):
        return render_to_string("admin/prospects/prospectimport/progress.html", {"record": record})

    @admin.display(description="row report")
    def report_table(self, record):
        remarkable = [e for e in record.report if e["outcome"] == "skipped" or e.get("reason")]
        entries = (remarkable or record.report)[:REPORT_ROWS_SHOWN]
        return render_to_string(
            "admin/prospects/prospectimport/report.html",
            {"entries": entries, "truncated": len(record.report) > len(entries), "total": len(record.report)},
        )

    def save_model(self, request, obj, form, change):
        obj.original_name = request.FILES["file"].name
        super().save_model(request, obj, form, change)
        prospect_import_enqueue(prospect_import=obj, by=request.user)
        self.message_user(request, "Import started; this page shows its progress.", messages.INFO)

    def response_add(self, request, obj, post_url_continue=None):
        # straight to the import's own page, where its progress bar and report are
        return HttpResponseRedirect(reverse("admin:prospects_prospectimport_change", args=[obj.pk]))


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ["kept", "other_one", "score", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["prospect", "other"]
    readonly_fields = ["prospect", "other", "score", "status", "decided_by", "decided_at", "created_at"]
    actions = ["merge", "not_duplicate"]

    def has_add_permission(self, request):
        return False

    def _link(self, prospect):
        url = reverse("admin:prospects_prospect_change", args=[prospect.pk])
        return format_html(
            '<a href="{}">#{} {} ({})</a>', url, prospect.pk, prospect.company_name, prospect.city or "?"
        )

    @admin.display(description="keep")
    def kept(self, pair):
        return self._link(pair.prospect)

    @admin.display(description="possible duplicate")
    def other_one(self, pair):
        return self._link(pair.other)

    def _apply(self, request, queryset, service, verb):
        by = f"user:{request.user.get_username()}"
        admin_apply(self, request, queryset, lambda pair: service(duplicate=pair, by=by), noun="pair(s)", verb=verb)

    @admin.action(description="Merge (keep the first, move everything over)", permissions=["change"])
    def merge(self, request, queryset):
        self._apply(request, queryset, possible_duplicate_merge, "merged")

    @admin.action(description="Not a duplicate", permissions=["change"])
    def not_duplicate(self, request, queryset):
        self._apply(request, queryset, possible_duplicate_dismiss, "marked as different hotels")
