from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from outreach import pipeline  # noqa: F401  (registers the composition stage)
        from outreach.webhooks import connect as connect_tracking_webhooks

        connect_tracking_webhooks()
