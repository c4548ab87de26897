from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from infra.metrics import metrics_view
from jengu import esp_webhooks
from jengu.api import api
from outreach.urls import privacy_urlpatterns

# Provider webhooks, only for the ESPs Jengu sends through: anymail's paths and URL names
# (``anymail:resend_tracking_webhook``…), never ``anymail.urls``, which mounts every ESP
# anymail knows. Each refuses requests until its secret is set (jengu/esp_webhooks.py).
esp_webhook_urls = (
    [
        path("resend/tracking/", esp_webhooks.ResendTracking.as_view(), name="resend_tracking_webhook"),
        path("resend/inbound/", esp_webhooks.ResendInbound.as_view(), name="resend_inbound_webhook"),
        path("sendgrid/tracking/", esp_webhooks.SendGridTracking.as_view(), name="sendgrid_tracking_webhook"),
        path("sendgrid/inbound/", esp_webhooks.SendGridInbound.as_view(), name="sendgrid_inbound_webhook"),
    ],
    "anymail",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Prometheus: a bearer token (METRICS_TOKEN); without one a 404 outside DEBUG (infra.metrics)
    path("metrics", metrics_view, name="metrics"),
    path("anymail/", include(esp_webhook_urls)),  # tracking and inbound mail
    path("u/", include("outreach.urls")),  # unsubscribe links in every email
    path("webhooks/", include("replies.urls")),  # Cal.com and Calendly bookings (signed)
    path("privacy/", include(privacy_urlpatterns)),  # the notice a first email's privacy line links to
]
