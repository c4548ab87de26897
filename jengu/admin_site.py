"""Jengu's admin site: the product's face for sales and operations staff."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from infra.errors import ApplicationError
from outreach.services.sending_control import sending_emergency_stop, sending_enabled, sending_resume


def duration_text(delta) -> str:
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // 1440} days"


class JenguAdminSite(admin.AdminSite):
    site_header = "Jengu CRM"
    site_title = "Jengu CRM"
    index_title = "Pipeline"
    index_template = "admin/jengu_index.html"

    def get_urls(self):
        return [
            path("sending-control/", self.admin_view(require_POST(self.sending_control_view)), name="sending_control"),
            path("pipeline-health/", self.admin_view(self.pipeline_health_view), name="pipeline_health"),
            # the second factor after the password (jengu.admin_login): staff only, reached
            # while the rest of the admin still redirects here
            path("two-factor/", self.admin_view(self.two_factor_view), name="two_factor"),
        ] + super().get_urls()

    def two_factor_view(self, request):
        from jengu.admin_login import two_factor_view

        return two_factor_view(request, site=self)

    def index(self, request, extra_context=None):
        from infra.models import Event
        from jengu.dashboard import dashboard
        from prospects.events import ACQUISITION_RUN

        board = dashboard()
        context = {
            "board": board,
            # the signed-in person's own work, first on the page (jengu.dashboard.people_work)
            "my_work": next((p for p in board.people if p.user_id == request.user.pk), None),
            "last_acquisition": Event.objects.filter(name=ACQUISITION_RUN).order_by("-created_at").first(),
            "open_dead_letters": board.dead_letters,
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)

    def pipeline_health_view(self, request):
        """Per stage: in flight, waiting, done today, failed; and the dead letters to decide on."""
        from infra.models import DeadLetter
        from jengu.dashboard import pipeline_health

        stages = pipeline_health()
        for stage in stages:
            stage.average_wait_text = duration_text(stage.average_wait)
        context = {
            **self.each_context(request),
            "title": "Pipeline health",
            "stages": stages,
            "dead_letters": DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).order_by("-created_at")[:100],
        }
        return TemplateResponse(request, "admin/pipeline_health.html", context)

    def each_context(self, request):
        context = super().each_context(request)
        context["sending_enabled"] = sending_enabled()
        context["can_control_sending"] = request.user.has_perm("outreach.control_sending")
        return context

    def sending_control_view(self, request):
        """The emergency stop / resume button (a POST from the index page)."""
        if not request.user.has_perm("outreach.control_sending"):
            raise PermissionDenied("You may not stop or resume sending.")
        try:
            if request.POST.get("action") == "stop":
                sending_emergency_stop(by=request.user, reason=request.POST.get("reason", ""))
                messages.warning(request, "Emergency stop: no new email will be sent until you resume.")
            elif request.POST.get("action") == "resume":
                sending_resume(by=request.user)
                messages.success(request, "Sending resumed.")
            else:
                messages.error(request, "Unknown action.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        # back to the page the button was on, when ``next`` is a path on this site; a
        # crafted form's https://evil.example/, //evil.example or /\\evil.example goes home
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(back)
        return redirect(reverse("admin:index", current_app=self.name))
