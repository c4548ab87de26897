from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "prospects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from prospects import pipeline  # noqa: F401  (registers the enrichment and research stages)
