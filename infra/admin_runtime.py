"""Admin pages of the pipeline runtime: dead letters, circuit breakers, alerts."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from infra.circuit import circuit_reset
from infra.errors import ApplicationError
from infra.models import Alert, CircuitState, DeadLetter
from infra.stages import dead_letter_discard, dead_letter_retry


class NoAddAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(NoAddAdmin):
    list_display = ["created_at", "stage", "subject_link", "attempts", "short_error", "status", "trace_id"]
    list_filter = ["status", "stage"]
    search_fields = ["=trace_id", "=subject_id", "error"]
    readonly_fields = [
        "stage",
        "func",
        "subject_id",
        "trace_id",
        "attempts",
        "error",
        "traceback",
        "status",
        "created_at",
        "resolved_at",
        "resolved_by",
    ]
    actions = ["retry", "discard"]

    @admin.display(description="subject")
    def subject_link(self, letter):
        # the prospect stages' subject is a prospect; later stages (sending) name theirs
        if letter.func.startswith("prospects.") and letter.subject_id.isdigit():
            url = reverse("admin:prospects_prospect_change", args=[letter.subject_id])
            return format_html('<a href="{}">prospect #{}</a>', url, letter.subject_id)
        return letter.subject_id

    @admin.display(description="error")
    def short_error(self, letter):
        return letter.error[:120]

    def _apply(self, request, queryset, service, verb):
        done = 0
        for letter in queryset:
            try:
                service(dead_letter=letter, by=f"user:{request.user.get_username()}")
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if done:
            self.message_user(request, f"{done} dead letter(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Retry selected (same trace id)", permissions=["change"])
    def retry(self, request, queryset):
        self._apply(request, queryset, dead_letter_retry, "sent back to their queue")

    @admin.action(description="Discard selected", permissions=["change"])
    def discard(self, request, queryset):
        self._apply(request, queryset, dead_letter_discard, "discarded")


@admin.register(CircuitState)
class CircuitStateAdmin(NoAddAdmin):
    list_display = ["key", "state", "consecutive_failures", "opened_at", "last_error", "updated_at"]
    list_filter = ["state"]
    search_fields = ["key"]
    readonly_fields = ["key", "state", "consecutive_failures", "opened_at", "last_error", "updated_at"]
    actions = ["reset"]

    @admin.action(description="Reset (close) selected circuits", permissions=["change"])
    def reset(self, request, queryset):
        for circuit in queryset:
            circuit_reset(key=circuit.key)
        self.message_user(request, f"{queryset.count()} circuit(s) closed.", messages.SUCCESS)


@admin.register(Alert)
class AlertAdmin(NoAddAdmin):
    list_display = ["key", "last_sent_at", "suppressed_count", "last_text"]
    search_fields = ["key", "last_text"]
    readonly_fields = ["key", "last_text", "last_sent_at", "suppressed_count", "created_at"]
