"""The *Alerts* pages: the rules Operations edits, what fired and resolved, and what holds now."""

import re

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from infra.alert_rules import PLACEHOLDERS
from infra.metrics import discover, heartbeats
from infra.models import AlertNotice, AlertRule, AlertState


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["name", "metric", "comparison", "threshold", "duration_minutes", "scope", "severity",
                  "message", "runbook", "repeat_minutes", "enabled"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        metrics = discover()
        self.fields["metric"] = forms.ChoiceField(
            choices=[(key, f"{key} — {metric.description}") for key, metric in sorted(metrics.items())],
            help_text="what the rule watches; scopes are named by the metric (queue, stage, provider, domain …)",
        )

    def clean_message(self):
        message = self.cleaned_data["message"]
        unknown = sorted(set(re.findall(r"\{(\w*)\}", message)) - PLACEHOLDERS)
        if unknown:
            known = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
            raise forms.ValidationError(f"Unknown placeholder {{{unknown[0]}}}: use {known}.")
        return message


class AlertStateInline(admin.TabularInline):
    model = AlertState
    extra = 0
    can_delete = False
    fields = ["scope", "state", "since", "last_value", "last_detail", "last_notified_at"]
    readonly_fields = fields
    verbose_name_plural = "state per scope"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = ["name", "condition", "severity", "repeat_minutes", "enabled", "now"]
    list_filter = ["enabled", "severity", "metric"]
    list_editable = ["enabled"]
    search_fields = ["name", "metric", "message"]
    inlines = [AlertStateInline]
    fieldsets = [
        ("Condition", {"fields": ["name", "metric", "comparison", "threshold", "duration_minutes", "scope"]}),
        ("Alert", {"fields": ["severity", "message", "repeat_minutes", "enabled", "runbook"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("states")

    @admin.display(description="condition")
    def condition(self, rule):
        return rule.condition_text() + (f" (only {rule.scope})" if rule.scope else "")

    @admin.display(description="now")
    def now(self, rule):
        firing = [state.scope or "all" for state in rule.states.all() if state.state == AlertState.State.FIRING]
        pending = [state.scope or "all" for state in rule.states.all() if state.state == AlertState.State.PENDING]
        if firing:
            return format_html('<strong style="color:#ba2121">firing</strong>: {}', ", ".join(firing)[:200])
        if pending:
            return format_html("pending: {}", ", ".join(pending)[:200])
        return "ok"


@admin.register(AlertNotice)
class AlertNoticeAdmin(admin.ModelAdmin):
    """The Alerts page: every alert that went to the team, newest first, with what holds now above it."""

    list_display = ["created_at", "kind", "severity", "key", "short_text", "value", "delivered"]
    list_filter = ["kind", "severity", "delivered", "rule"]
    search_fields = ["key", "text"]
    readonly_fields = ["created_at", "kind", "severity", "rule", "key", "scope", "value", "text", "delivered", "error"]
    fields = readonly_fields
    list_select_related = ["rule"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="text")
    def short_text(self, notice):
        return notice.text[:160]

    def changelist_view(self, request, extra_context=None):
        active = (
            AlertState.objects.filter(state__in=[AlertState.State.FIRING, AlertState.State.PENDING])
            .select_related("rule")
            .order_by("-state", "since")
        )
        evaluated = heartbeats().get("alerts_evaluate")
        context = {
            "active_states": active,
            "last_evaluated": evaluated,
            "evaluation_late": evaluated is None or (timezone.now() - evaluated.at).total_seconds() > 180,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)
