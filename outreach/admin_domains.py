"""The *Domains* admin page: each sending domain's DNS checks, their records, and *Check now*.

Read-only: rows are written by outreach.services.domain_auth only. Whoever may see the
inboxes sees their domains; whoever may change inboxes may re-check a domain (the
changelist action, or the button on a domain's page, a POST to ``…/<id>/check/``).
A domain that fails holds its inboxes; the inbox list says so (outreach/admin.py).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from outreach.models import SendingDomain
from outreach.selectors import sending_domain_hold_reason
from outreach.services.domain_auth import CHECK_TITLES, CHECKS, domain_check, domain_inboxes, domain_report_lines

VERDICT_COLOURS = {"pass": "var(--message-success-bg)", "warn": "var(--message-warning-bg)",
                   "fail": "var(--message-error-bg)", "unknown": "var(--message-warning-bg)"}  # fmt: skip


def _verdict_column(name: str):
    @admin.display(description=CHECK_TITLES[name])
    def column(row: SendingDomain):
        verdict = (row.verdicts or {}).get(name, {}).get("verdict", "")
        if not verdict:
            return "—"
        return format_html(
            '<span style="padding: 0 4px; background: {}">{}</span>', VERDICT_COLOURS.get(verdict, "none"), verdict
        )

    column.__name__ = f"{name}_verdict"
    return column


@admin.register(SendingDomain)
class SendingDomainAdmin(admin.ModelAdmin):
    list_display = [
        "domain",
        "state_and_hold",
        *[_verdict_column(name) for name in CHECKS],
        "last_checked_at",
        "failure_reason",
    ]
    list_filter = ["state"]
    search_fields = ["domain"]
    actions = ["check_now"]
    fields = ["domain", "state_and_hold", "last_checked_at", "last_passed_at", "inboxes", "report"]
    readonly_fields = fields

    # --- who may do what: the inbox permissions ------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("outreach.view_inbox") or super().has_view_permission(request, obj)

    def has_check_permission(self, request):
        return request.user.has_perm("outreach.change_inbox")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- what it shows -------------------------------------------------------------------------

    @admin.display(description="state", ordering="state")
    def state_and_hold(self, row: SendingDomain):
        reason = sending_domain_hold_reason(row)
        if not reason:
            return row.get_state_display()
        return format_html("{}<br><small>its inboxes are held</small>", row.get_state_display())

    @admin.display(description="inboxes")
    def inboxes(self, row: SendingDomain):
        found = domain_inboxes(row.domain)
        if not found:
            return "no inbox uses it any more"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            ((reverse("admin:outreach_inbox_change", args=[inbox.pk]), inbox.email, inbox.state) for inbox in found),
        )

    @admin.display(description="report")
    def report(self, row: SendingDomain):
        """The same text as ``manage.py domain_report``: each check, its reasons, the records it read."""
        lines = domain_report_lines(row)
        reason = sending_domain_hold_reason(row)
        if reason:
            lines.append(f"HELD: its inboxes send nothing: {reason}")
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', "\n".join(lines))

    # --- check now -----------------------------------------------------------------------------

    def _check(self, request, row: SendingDomain) -> None:
        report = domain_check(domain=row.domain, by=request.user)
        level = messages.SUCCESS if report.state in ("ok", "sandbox") else messages.ERROR
        text = f"{report.domain}: {SendingDomain.State(report.state).label}"
        self.message_user(request, f"{text}: {report.failure_reason}" if report.failure_reason else text, level)

    @admin.action(description="Check now (read DNS)", permissions=["check"])
    def check_now(self, request, queryset):
        for row in queryset:
            self._check(request, row)

    def get_urls(self):
        view = self.admin_site.admin_view(self.check_view)
        return [path("<int:pk>/check/", view, name="outreach_sendingdomain_check"), *super().get_urls()]

    def check_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_check_permission(request):
            raise PermissionDenied
        row = get_object_or_404(SendingDomain, pk=pk)
        self._check(request, row)
        return redirect("admin:outreach_sendingdomain_change", row.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_check": self.has_check_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)
