"""Admin pages of the JSON API: API keys (shown once), webhook subscribers and their delivery log."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from infra.api_auth import api_key_issue, api_key_revoke
from infra.models import WEBHOOK_EVENTS, ApiKey, ApiScope, WebhookDelivery, WebhookSubscriber
from infra.webhooks_outbound import webhook_delivery_retry, webhook_subscriber_enable


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="read: every GET · write: create/update/transitions/suppression · "
        "operate: pause/resume inboxes, emergency stop · erase: GDPR erasure (irreversible) · admin: all",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "rate_limit_per_minute", "expires_at", "revoked"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "expires_at", "last_used_at", "revoked", "created_by"]
    list_filter = ["revoked"]
    search_fields = ["name", "=prefix"]
    readonly_fields = ["prefix", "last_used_at", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(key.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # kept on this request only, for response_add to show; never in a message (the
        # default message storage is a readable cookie) nor in the session
        request._new_api_key = api_key_issue(key=obj, by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        """The full key, once, in the body of the answer to the add form (no redirect carries it)."""
        raw = getattr(request, "_new_api_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "opts": self.opts,
            "key": obj,
            "raw_key": raw,
        }
        return TemplateResponse(request, "admin/infra/apikey/key_created.html", context)

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)


class WebhookSubscriberForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in WEBHOOK_EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscriber
        fields = ["name", "url", "events", "active", "disabled_reason"]


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(admin.ModelAdmin):
    form = WebhookSubscriberForm
    list_display = ["name", "url", "active", "consecutive_failures", "disabled_reason"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["signing_secret", "consecutive_failures", "disabled_at", "created_at"]
    actions = ["enable"]

    @admin.display(description="signing secret")
    def signing_secret(self, subscriber):
        # encrypted at rest and shown once, on the page that answers the add form
        if not subscriber.pk:
            return "generated when you save, and shown once on the next page"
        return "set: shown once, when the subscriber was created (lost it? delete the subscriber and add it again)"

    def response_add(self, request, obj, post_url_continue=None):
        """The signing secret, once, in the body of the answer to the add form (no redirect, no message)."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Webhook subscriber created",
            "opts": self.opts,
            "subscriber": obj,
            "secret": obj.secret,
        }
        return TemplateResponse(request, "admin/infra/webhooksubscriber/secret_created.html", context)

    @admin.action(description="Enable selected (and reset their failure count)", permissions=["change"])
    def enable(self, request, queryset):
        for subscriber in queryset:
            webhook_subscriber_enable(subscriber=subscriber)
        self.message_user(request, f"{queryset.count()} subscriber(s) enabled.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subscriber", "event", "status", "attempts", "response_code", "error", "delivered_at"]
    list_filter = ["status", "event", "subscriber"]
    list_select_related = ["subscriber"]
    search_fields = ["=delivery_id"]
    readonly_fields = [
        "subscriber",
        "event",
        "delivery_id",
        "payload",
        "status",
        "attempts",
        "response_code",
        "error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Deliver selected again now", permissions=["change"])
    def retry(self, request, queryset):
        for delivery in queryset:
            webhook_delivery_retry(delivery=delivery)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.", messages.SUCCESS)
