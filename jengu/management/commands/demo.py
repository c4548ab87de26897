"""``manage.py demo``: what ``make demo`` runs — a working Jengu on this machine, offline.

In order:

1. ``migrate`` (no questions asked);
2. ``ensure_admin --demo``: the admin / sales / ops users with the demo password;
3. ``seed_demo`` and a sandbox ``acquire`` run, only while there are no prospects at
   all, so a second ``make demo`` keeps whatever was done in the first;
   then ``install_schedules``;
4. one process group, one Ctrl-C stops all, log lines prefixed by process:

   * ``web``: ``runserver --insecure`` on 127.0.0.1:$PORT (default 8000, no autoreloader);
   * ``sink``: the local SMTP sink the demo inboxes send to (``SANDBOX_SMTP_PORT``, 1025);
   * ``workers``: the queues' workers and the scheduler (``run_workers``);
   * ``clock``: ``demo_clock``, which every ``--tick`` seconds composes, sends, polls
     replies and sweeps, instead of waiting for the production crons.

   The demo's processes run with ``JENGU_DEMO_PACING=1``: no random skips, 2–6 s between
   sends, business hours not enforced, so within a few minutes hotels are acquired,
   enriched, researched, emailed (into the sink) and replied to (the sandbox twin answers
   every second email). Outside the demo the production pacing is the default.
   They fetch through the same safe fetcher as production, private hosts refused (the
   sandbox hotel sites need no network at all), so the SSRF attacks of SECURITY.md fail
   against the demo too; set ``SAFE_FETCH_ALLOW_PRIVATE_HOSTS=1`` yourself (DEBUG only)
   to try a webhook receiver on this machine.

``--no-server`` does 1–3 and returns: the tests use it.
"""

import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from infra.processes import ChildSpec, ProcessGroup
from jengu.management.commands.ensure_admin import admin_url, default_addrport
from prospects.models import Prospect

DEMO_QUEUES = "enrichment,research,composition,reply"  # sending runs on the clock, not a queue


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, create the demo users, seed demo data the first time, then serve the admin "
        "on 127.0.0.1:$PORT (default 8000)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-server", action="store_true", help="prepare everything but don't start the server")
        parser.add_argument("--addrport", default=None, help="where to serve (default 127.0.0.1:$PORT, PORT=8000)")
        parser.add_argument("--tick", type=float, default=15.0, help="seconds between the demo clock's ticks")

    def handle(self, *args, no_server: bool = False, addrport: str | None = None, tick: float = 15.0, **options):
        addrport = addrport or default_addrport()
        self.tick_seconds = tick
        verbosity = options.get("verbosity", 1)

        self.heading(f"Database: migrating {settings.DATABASES['default'].get('NAME')}")
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)

        self.heading("Users")
        call_command("ensure_admin", addrport=addrport, demo=True, stdout=self.stdout, stderr=self.stderr)

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
        self.heading(f"Serving the admin at {admin_url(addrport)}, with the pipeline workers (Ctrl-C stops all)")
        # longer than run_workers' own stop timeout, so it can stop its clusters itself
        group = ProcessGroup(self.services(addrport), out=self.stdout, stop_timeout=45)
        group.start()
        code = group.wait()
        self.heading("Demo stopped.")
        if code:
            raise CommandError(f"a demo process exited with code {code}")

    def services(self, addrport: str) -> list[ChildSpec]:
        """The web server and the workers of the stages built so far, as one process group.

        One worker process per queue keeps SQLite's single writer from queueing up.
        """
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        # the demo's accounts log in with the README's password alone (no authenticator app)
        demo_env = {"JENGU_DEMO_PACING": "1", "Q_LOG_LEVEL": "WARNING", "ADMIN_2FA_REQUIRED": "0"}
        return [
            ChildSpec("web", [*manage, "runserver", addrport, "--insecure", "--noreload"], demo_env),
            ChildSpec("sink", [*manage, "run_smtp_sink", "--port", str(settings.SANDBOX_SMTP_PORT)]),
            ChildSpec(
                "workers",
                [*manage, "run_workers", "--queues", DEMO_QUEUES],
                {**demo_env, "JENGU_Q_WORKERS": "1"},
            ),
            ChildSpec("clock", [*manage, "demo_clock", "--every", str(self.tick_seconds)], demo_env),
        ]

    def heading(self, text: str):
        self.stdout.write(self.style.MIGRATE_HEADING(f"==> {text}"))
