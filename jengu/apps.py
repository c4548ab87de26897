from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class JenguConfig(AppConfig):
    default = True
    name = "jengu"
    verbose_name = "Jengu CRM"

    def ready(self):
        from jengu.bulk import bulk_action_register
        from jengu.erasure import prospect_erase

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
