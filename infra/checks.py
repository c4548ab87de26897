"""System checks: report malformed settings by name, never as a traceback."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from infra.config import CONFIG_ERRORS


@register("jengu")
def check_configuration(app_configs=None, **kwargs):
    """Malformed environment values, by variable name."""
    return [
        Error(f"{variable}: {problem}.", hint="See .env.example for the expected form.", id="jengu.E001")
        for variable, problem in CONFIG_ERRORS
    ]


@register("jengu", deploy=True)
def check_production_secrets(app_configs=None, **kwargs):
    if settings.SECRET_KEY.startswith("insecure-dev-key"):
        return [Warning("SECRET_KEY is the development default.", hint="Set SECRET_KEY.", id="jengu.W001")]
    return []
