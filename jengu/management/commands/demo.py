"""``manage.py demo``: what ``make demo`` runs — a working Jengu on this machine, offline.

In order:

1. ``migrate`` (no questions asked);
2. ``ensure_admin``: the admin / sales / ops users with the demo password;
3. ``seed_demo`` and a sandbox ``acquire`` run, only while there are no prospects at
   all, so a second ``make demo`` keeps whatever was done in the first;
   then ``install_schedules``;
4. background services (``start_services``: nothing yet; the local SMTP sink and the
   pipeline workers will start there, and be stopped when the server stops);
5. ``runserver --insecure`` on 127.0.0.1:$PORT (default 8000), without the autoreloader
   (a reload would run all of the above again in a child process).

``--no-server`` does 1–3 and returns: the tests use it.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jengu.management.commands.ensure_admin import admin_url, default_addrport
from prospects.models import Prospect


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, create the demo users, seed demo data the first time, then serve the admin "
        "on 127.0.0.1:$PORT (default 8000)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-server", action="store_true", help="prepare everything but don't start the server")
        parser.add_argument("--addrport", default=None, help="where to serve (default 127.0.0.1:$PORT, PORT=8000)")

    def handle(self, *args, no_server: bool = False, addrport: str | None = None, **options):
        addrport = addrport or default_addrport()
        verbosity = options.get("verbosity", 1)

        self.heading(f"Database: migrating {settings.DATABASES['default'].get('NAME')}")
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)

        self.heading("Users")
        call_command("ensure_admin", addrport=addrport, stdout=self.stdout, stderr=self.stderr)

        existing = Prospect.objects.count()
        if existing:
            self.heading(
                f"Demo data: {existing} prospects already there, not seeding again "
                "('manage.py seed_demo' adds another batch)"
            )
        else:
            self.heading("Demo data: none yet, generating it (manage.py seed_demo)")
            call_command("seed_demo", stdout=self.stdout, stderr=self.stderr)
            self.heading("Acquisition: today's hiring hotels from the sandbox job boards (manage.py acquire)")
            call_command("acquire", sources=["sandbox"], stdout=self.stdout, stderr=self.stderr)

        self.heading("Schedules (manage.py install_schedules)")
        call_command("install_schedules", stdout=self.stdout, stderr=self.stderr)

        if no_server:
            self.heading("Ready (--no-server: not starting the server)")
            return
        self.start_services()
        self.heading(f"Serving the admin at {admin_url(addrport)} (Ctrl-C stops)")
        call_command("runserver", addrport, insecure_serving=True, use_reloader=False)

    def start_services(self):
        """Background processes the demo needs besides the web server.

        None yet. The local SMTP sink (so sends land somewhere you can read) and the
        pipeline workers (``run_workers``) belong here, started as child processes
        that stop with the server.
        """
        self.heading("Background services: none yet (workers and the SMTP sink will start here)")

    def heading(self, text: str):
        self.stdout.write(self.style.MIGRATE_HEADING(f"==> {text}"))
