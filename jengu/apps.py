from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class JenguConfig(AppConfig):
    default = True
    name = "jengu"
    verbose_name = "Jengu CRM"

    def ready(self):
        from django.db.models.signals import post_migrate

        from infra.bulk import bulk_action_register
        from jengu import checks  # noqa: F401  (registers the demo-password deploy check)
        from jengu.erasure import prospect_erase
        from jengu.roles import sync_role_groups_after_migrate

        # the roles' permissions follow jengu.roles on every migrate, apps added later included
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)

        # a positive reply gives its prospect an owner (prospects.services.assignment), told by
        # the replies app's reply.classified / reply.corrected events
        from django.db.models.signals import post_save

        from infra.models import Event
        from jengu.prospect_actions import positive_reply_assign

        post_save.connect(positive_reply_assign, sender=Event, dispatch_uid="jengu.positive_reply_assign")

        # CSV exports of the admin's lists; the large ones run as bulk operations (jengu.exports)
        from jengu.exports import exports_register

        exports_register()

        # erasure touches every app, so its admin action is registered here, at the top
        bulk_action_register(
            "prospects.erase",
            "Erase personal data (GDPR)",
            "prospects.Prospect",
            lambda prospect, *, by: prospect_erase(prospect=prospect, by=by),
        )


class JenguAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with Jengu's own site (title, dashboard, sending control)."""

    default = False
    default_site = "jengu.admin_site.JenguAdminSite"
