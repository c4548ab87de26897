"""Deployment checks that need the top layer (they read the apps): no staff account keeps the
demo's public password; a campaign's booking link has its webhook's secret."""

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError


@register("jengu", deploy=True)
def check_demo_passwords(app_configs=None, **kwargs):
    """An active user whose password is ``jengu-demo`` (README, ensure_admin) fails the deploy.

    One password hash per active user: staff accounts are a handful. Before the first
    ``migrate`` (``manage.py setup`` checks first) there is no user table and nothing to say.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password

    from jengu.management.commands.ensure_admin import DEMO_PASSWORD

    try:
        users = list(get_user_model().objects.filter(is_active=True).order_by("pk"))
    except DatabaseError:
        return []
    # hashers.check_password, not user.check_password: a check never re-saves a hash
    exposed = [user.get_username() for user in users if check_password(DEMO_PASSWORD, user.password)]
    if not exposed:
        return []
    return [
        Error(
            f"Active user(s) with the demo password published in the README: {', '.join(exposed)}.",
            hint="Give each a password of its own (manage.py changepassword <user>) or deactivate it. "
            "ensure_admin creates these accounts for the demo only.",
            id="jengu.E021",
        )
    ]


# A campaign's booking link tells prospects to book through Cal.com or Calendly; without
# the webhook's secret every booking call is refused and no meeting reaches the pipeline.
@register("jengu", deploy=True)
def check_booking_webhook_secrets(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    from django.db import DatabaseError

    from outreach.models import Campaign
    from replies.services.meetings import booking_provider

    try:
        links = list(Campaign.objects.exclude(booking_url="").values_list("booking_url", flat=True))
    except DatabaseError:
        return []  # before the first migrate: no campaign yet
    providers = {booking_provider(url) for url in links}
    errors = []
    if "calcom" in providers and not settings.CALCOM_WEBHOOK_SECRET:
        errors.append(
            Error(
                "A campaign's booking link is a Cal.com link, but CALCOM_WEBHOOK_SECRET is not set: "
                "/webhooks/calcom/ refuses every booking.",
                hint="Add a webhook in Cal.com (Settings → Developer → Webhooks) pointing at "
                "https://<your host>/webhooks/calcom/ with a secret, and set CALCOM_WEBHOOK_SECRET to it.",
                id="jengu.E050",
            )
        )
    if "calendly" in providers and not settings.CALENDLY_WEBHOOK_SIGNING_KEY:
        errors.append(
            Error(
                "A campaign's booking link is a Calendly link, but CALENDLY_WEBHOOK_SIGNING_KEY is not set: "
                "/webhooks/calendly/ refuses every booking.",
                hint="Create the webhook subscription with a signing_key (invitee.created, invitee.canceled) "
                "pointing at https://<your host>/webhooks/calendly/ and set CALENDLY_WEBHOOK_SIGNING_KEY to it.",
                id="jengu.E051",
            )
        )
    return errors
