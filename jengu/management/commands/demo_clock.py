"""``manage.py demo_clock``: the demo's stand-in for the cron, on a short tick.

Every ``--every`` seconds it runs what the schedules run in production, in pipeline
order: composition for ready prospects, one sender run (with the demo's pacing, set by
``JENGU_DEMO_PACING``), the reply poll (the sandbox twin answers what the local SMTP
sink received) and the sweeper; then prints one line of what moved. The production
crons stay installed, but the demo does not wait for 10:00 on a weekday.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from jengu import jobs


class Command(BaseCommand):
    help = "Run composition, sending, the reply poll and the sweeper every few seconds (the demo's clock)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=20.0, help="seconds between ticks (default 20)")
        parser.add_argument("--ticks", type=int, default=0, help="stop after this many ticks (0: until Ctrl-C)")

    def handle(self, *args, every: float, ticks: int, **options):
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        tick = 0
        while not stopped.is_set():
            tick += 1
            parts = [
                f"composition: {jobs.composition_run()} queued",
                f"sender: {jobs.sender_run(fan_out=False)}",
                f"replies: {jobs.reply_poll()}",
                f"sweeper: {jobs.sweep_stale_claims()}",
            ]
            self.stdout.write(f"tick {tick}: " + " | ".join(parts))
            if ticks and tick >= ticks:
                break
            stopped.wait(every)
