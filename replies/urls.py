"""/webhooks/…: the booking services' webhooks (replies.webhooks)."""

from django.urls import path

from replies import webhooks

app_name = "replies"
urlpatterns = [
    path("calcom/", webhooks.calcom_webhook, name="calcom_webhook"),
    path("calendly/", webhooks.calendly_webhook, name="calendly_webhook"),
]
