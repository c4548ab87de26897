"""``manage.py run_smtp_sink``: the demo's local SMTP server; what it receives is listed in the admin."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from outreach.sink import sink_controller


class Command(BaseCommand):
    help = "Run the local SMTP sink (stores every message as a Sink message in the admin; relays nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.SANDBOX_SMTP_PORT)

    def handle(self, *args, host, port, **options):
        controller = sink_controller(host=host, port=port)
        controller.start()
        self.stdout.write(f"SMTP sink listening on {host}:{port} (messages: admin → Outreach → Sink messages)")
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        stopped.wait()
        controller.stop()
        self.stdout.write("SMTP sink stopped.")
