"""``manage.py ensure_admin``: the demo's three staff accounts, with the demo password.

Creates, or resets the password and role of, ``admin`` (superuser), ``sales`` (group
Sales) and ``ops`` (group Operations), all with the password ``jengu-demo`` (printed,
and in the README). Running it again only puts them back as described. It is meant for
the demo and for development: the password is public, so with DEBUG off it refuses
unless ``--demo`` says this database is a throwaway demo (``manage.py demo`` passes it),
and the deploy check ``jengu.E021`` fails while any active user has that password.
"""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jengu.roles import OPERATIONS, SALES

DEMO_PASSWORD = "jengu-demo"
# username, group (None: superuser), what the account is for
DEMO_USERS = [
    ("admin", None, "superuser: everything"),
    ("sales", SALES, "Sales: prospects and replies"),
    ("ops", OPERATIONS, "Operations: inboxes, campaigns, live settings, emergency stop"),
]


def default_addrport() -> str:
    return f"127.0.0.1:{os.environ.get('PORT') or 8000}"


def admin_url(addrport: str | None = None) -> str:
    """The admin's address for an addrport as runserver takes it ('8000', '0.0.0.0:8000')."""
    host, _, port = (addrport or default_addrport()).rpartition(":")
    return f"http://{host or '127.0.0.1'}:{port}/admin/"


class Command(BaseCommand):
    help = (
        f"Create (or reset) the demo users admin, sales and ops, all with the password '{DEMO_PASSWORD}', "
        "and print how to log in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--addrport", default=None, help="where the server listens, for the printed URL (default 127.0.0.1:$PORT)"
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="this database is a throwaway demo: create the accounts even with DEBUG off",
        )

    def handle(self, *args, addrport: str | None = None, demo: bool = False, **options):
        if not settings.DEBUG and not demo:
            raise CommandError(
                f"DEBUG is off: ensure_admin would create admin, sales and ops with the public password "
                f"'{DEMO_PASSWORD}'. For a real installation create your own superuser (manage.py createsuperuser); "
                "for a throwaway demo database pass --demo."
            )
        groups = {name: Group.objects.filter(name=name).first() for name in (SALES, OPERATIONS)}
        missing = [name for name, group in groups.items() if group is None]
        if missing:
            raise CommandError(f"The {' and '.join(missing)} group(s) are missing: run 'manage.py migrate' first.")
        User = get_user_model()
        with transaction.atomic():
            for username, group, _ in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"email": f"{username}@jengu.example"}
                )
                user.is_active = user.is_staff = True
                user.is_superuser = group is None
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.set([groups[group]] if group else [])
                self.stdout.write(f"  {'created' if created else 'reset':8} {username}")

        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    f"DEBUG is off. These accounts have a public password ('{DEMO_PASSWORD}'): "
                    "never run ensure_admin against a production database."
                )
            )
        self.stdout.write(f"Log in at {admin_url(addrport)} with password '{DEMO_PASSWORD}':")
        for username, _, role in DEMO_USERS:
            self.stdout.write(f"  {username:6} {role}")
