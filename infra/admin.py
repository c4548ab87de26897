"""Read-only views of the transition log and the Event log, and the base for big tables."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html
from django.utils.translation import gettext as _

from infra.admin_filters import DistinctValuesFilter, KnownValuesFilter
from infra.models import Event, StateTransition
from infra.pagination import EstimatedCountPaginator
from infra.statemachine import StateMachineModel


class LargeTableChangeList(ChangeList):
    """Builds the rows' links once per page instead of once per row.

    Django's result list passes each row's change URL through ``add_preserved_filters``,
    which resolves the URL to find out whether it is the changelist itself. A change
    URL never is, so the query string it appends is the same for every row: it is
    worked out once here, and the attribute that makes the template tag redo it per
    row is emptied. The links come out identical.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_link_filters, self.preserved_filters = self.preserved_filters, ""
        self._row_link_query = None

    def url_for_result(self, result):
        url = super().url_for_result(result)
        if not self.row_link_filters:
            return url
        if self._row_link_query is None:
            context = {"preserved_filters": self.row_link_filters, "opts": self.opts}
            self._row_link_query = add_preserved_filters(context, url).removeprefix(url)
        return url + self._row_link_query


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for tables of a million rows.

    No COUNT(*) over the table (infra.pagination), no facet counts (each one would read
    the table), and a result list that costs less per row to render.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList

    def action_checkbox(self, obj):
        # Django renders this checkbox through the form-widget templates, once per row;
        # the markup is the same
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


class ReadOnlyAdmin(LargeTableAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _state_machines():
    return [model.state_machine for model in apps.get_models() if issubclass(model, StateMachineModel)]


def _state_names():
    return [
        value
        for model in apps.get_models()
        if issubclass(model, StateMachineModel)
        for value, _label in model._meta.get_field(model.state_machine.field).flatchoices
    ]


# Only infra.statemachine.transition() writes the log, so its field, transition and
# state columns hold declared names: the filters list them without reading the log.
StateFieldFilter = KnownValuesFilter.of(lambda: [machine.field for machine in _state_machines()])
TransitionNameFilter = KnownValuesFilter.of(lambda: [name for m in _state_machines() for name in m.transitions])
StateNameFilter = KnownValuesFilter.of(_state_names)


@admin.register(StateTransition)
class StateTransitionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "field", "source", "target", "transition", "actor"]
    list_filter = [
        "content_type",
        ("field", StateFieldFilter),
        ("target", StateNameFilter),
        ("transition", TransitionNameFilter),
    ]
    search_fields = ["=trace_id", "=object_id", "actor"]
    list_select_related = ["content_type"]


class EventNameFilter(DistinctValuesFilter):
    title = "name"
    parameter_name = field_name = "name"


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "level", "name", "message", "actor", "trace_id"]
    list_filter = ["level", EventNameFilter]
    search_fields = ["=trace_id", "name", "message"]


from infra import (  # noqa: E402,F401  (runtime pages; API keys and webhooks)
    admin_alerts,  # noqa: E402,F401  (the Alerts pages)
    admin_api,
    admin_bulk,  # (the bulk operations' progress pages)
    admin_runtime,
)
