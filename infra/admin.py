"""Read-only views of the transition log and the Event log."""

from django.contrib import admin

from infra.models import Event, StateTransition
from infra.pagination import EstimatedCountPaginator


class ReadOnlyAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StateTransition)
class StateTransitionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "field", "source", "target", "transition", "actor"]
    list_filter = ["content_type", "field", "target", "transition"]
    search_fields = ["=trace_id", "=object_id", "actor"]
    list_select_related = ["content_type"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "level", "name", "message", "actor", "trace_id"]
    list_filter = ["level", "name"]
    search_fields = ["=trace_id", "name", "message"]
