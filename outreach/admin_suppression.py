"""The suppression list's admin pieces: the add form and the CSV import page.

``SuppressionAdmin`` (outreach/admin.py) mixes in ``SuppressionImportUrls``; the
import itself is ``suppressions_import_csv`` (outreach/services/suppression_import.py).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from infra.errors import ApplicationError
from outreach.models import Suppression, suppression_hash
from outreach.services.suppression import suppression_value_clean
from outreach.services.suppression_import import suppressions_import_csv


class SuppressionForm(forms.ModelForm):
    """Checks the value the way ``suppression_add`` will, so a mistake is a form error, not a crash."""

    class Meta:
        model = Suppression
        fields = ["kind", "value", "reason", "source"]
        help_texts = {
            "value": "an address (gm@hotel.example) or, for kind 'domain', a whole domain (hotel.example)",
            "source": "blank: admin:<your username>",
        }

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if self.instance.pk or not kind or not value:
            return cleaned
        try:
            cleaned["value"] = suppression_value_clean(kind, value)
        except ApplicationError as exc:
            self.add_error("value", exc.message)
            return cleaned
        existing = Suppression.objects.filter(value_hash=suppression_hash(cleaned["value"])).first()
        if existing:
            self.add_error(
                "value",
                f"Already suppressed since {existing.created_at:%Y-%m-%d} ({existing.get_reason_display()}).",
            )
        return cleaned


class SuppressionImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="header: email or domain, optional reason")


class SuppressionImportUrls:
    """Adds ``…/suppression/import/`` (the changelist's *Import CSV* button) to the ModelAdmin."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_csv_view)
        return [path("import/", view, name="outreach_suppression_import"), *super().get_urls()]

    def import_csv_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SuppressionImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.IMPORT_MAX_BYTES:
                limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
                form.add_error("file", f"The file is larger than {limit} MB (IMPORT_MAX_MB).")
            else:
                source = f"csv import by {request.user.get_username()}: {upload.name}"[:120]
                try:
                    report = suppressions_import_csv(raw=upload.read(), source=source, by=request.user)
                except ApplicationError as exc:
                    form.add_error("file", exc.message)
                else:
                    self._import_report(request, report)
                    return redirect("admin:outreach_suppression_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import suppressions from CSV",
            "form": form,
            "reasons": Suppression.Reason.values,
        }
        return TemplateResponse(request, "admin/outreach/suppression/import.html", context)

    def _import_report(self, request, report) -> None:
        level = messages.WARNING if report.invalid else messages.SUCCESS
        self.message_user(
            request,
            f"Imported: {report.created} added, {report.existing} already there, {report.invalid} invalid.",
            level,
        )
        if report.problems:
            untold = report.invalid - len(report.problems)
            more = f" (and {untold} more)" if untold else ""
            self.message_user(request, "Invalid rows — " + "; ".join(report.problems) + more, messages.WARNING)
