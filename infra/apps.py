from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "infra"
    verbose_name = "Infrastructure"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from infra import (
            checks,  # noqa: F401  (registers the configuration check)
            metrics,  # noqa: F401  (counts q2's finished tasks: its post_execute receiver)
            webhooks_outbound,  # noqa: F401  (connects the outbound webhook receivers)
        )
