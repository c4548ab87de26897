"""Deployment checks that need the top layer: no staff account keeps the demo's public password."""

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
