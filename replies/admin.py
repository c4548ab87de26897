"""The replies sales staff triage."""

from django.contrib import admin

from infra.admin import LargeTableAdmin
from replies.models import CalibrationHistory, Reply


@admin.register(Reply)
class ReplyAdmin(LargeTableAdmin):
    list_display = [
        "received_at",
        "from_email",
        "prospect",
        "subject",
        "intent",
        "sentiment",
        "confidence",
        "behavioral_score",
    ]
    list_filter = ["intent", "sentiment", ("confidence", admin.EmptyFieldListFilter), "processed_at"]
    search_fields = ["from_email", "subject", "prospect__company_name", "body"]
    date_hierarchy = "received_at"
    list_select_related = ["prospect", "email"]
    autocomplete_fields = ["email", "prospect"]
    fieldsets = [
        (None, {"fields": ["prospect", "email", "from_email", "subject", "body", "message_id", "received_at"]}),
        (
            "Interpretation",
            {"fields": ["intent", "sentiment", "confidence", "reasoning", "suggested_action", "processed_at"]},
        ),
        (
            "Extracted",
            {
                "fields": [
                    "delegated_to_name",
                    "delegated_to_email",
                    "delegated_to_title",
                    "meeting_preference",
                    "questions",
                ]
            },
        ),
        ("Behavior", {"fields": ["behavioral_score", "engagement_velocity", "intent_strength"]}),
    ]


@admin.register(CalibrationHistory)
class CalibrationHistoryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "reply",
        "predicted_intent",
        "predicted_confidence",
        "corrected_intent",
        "corrected_by",
    ]
    list_filter = ["predicted_intent", "corrected_intent"]
    list_select_related = ["reply", "corrected_by"]
    autocomplete_fields = ["reply"]
