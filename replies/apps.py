from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "replies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from replies import pipeline  # noqa: F401  (registers the reply_processing stage)
        from replies.inbound import webhooks

        webhooks.connect()
