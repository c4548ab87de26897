from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class JenguConfig(AppConfig):
    default = True
    name = "jengu"
    verbose_name = "Jengu CRM"


class JenguAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with Jengu's own site (title, dashboard, sending control)."""

    default = False
    default_site = "jengu.admin_site.JenguAdminSite"
