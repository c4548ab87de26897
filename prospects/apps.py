from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "prospects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from infra.bulk import bulk_action_register
        from prospects import pipeline  # noqa: F401  (registers the enrichment and research stages)
        from prospects.services import prospect_mark_lost, prospect_transition
        from prospects.services.enrichment import prospect_reenrich, prospect_reresearch

        # admin actions that may cover thousands of prospects run in the background
        bulk_action_register(
            "prospects.reenrich",
            "Enrich again",
            "prospects.Prospect",
            lambda prospect, *, by: prospect_reenrich(prospect=prospect, by=by),
        )
        bulk_action_register(
            "prospects.reresearch",
            "Research again",
            "prospects.Prospect",
            lambda prospect, *, by: prospect_reresearch(prospect=prospect, by=by),
        )
        for transition_name, description in (("book_meeting", "Meeting booked"), ("mark_won", "Mark won")):
            bulk_action_register(
                f"prospects.{transition_name}", description, "prospects.Prospect",
                lambda prospect, *, by, name=transition_name: prospect_transition(
                    prospect=prospect, name=name, by=by, reason="from the admin"
                ),
            )  # fmt: skip
        bulk_action_register(
            "prospects.mark_lost", "Mark lost", "prospects.Prospect",
            lambda prospect, *, by: prospect_mark_lost(prospect=prospect, by=by, reason="marked lost from the admin"),
        )  # fmt: skip
