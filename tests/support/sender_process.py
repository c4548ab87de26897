"""A sender run as a q2 task, or as its own OS process, for the concurrency and crash tests.

As a task on the ``sending`` queue (what the broker tests enqueue)::

    async_task("tests.support.sender_process.sender_task", limit, delay_min, delay_max, seed, cluster="sending")

As a process::

    python tests/support/sender_process.py <limit> <delay_min> <delay_max> <seed>

DATABASE_URL names the test database. Business hours are off (the test's clock is the
real one), random skips are off; everything else is the production send path.
"""

import os
import random
import sys
from pathlib import Path


def sender_task(limit: int, delay_min: float, delay_max: float, seed: int) -> str:
    from outreach.services.sending import Pacing, sender_run

    pacing = Pacing(skip_probability=0.0, delay_min=delay_min, delay_max=delay_max, business_hours=False)
    return str(sender_run(limit=limit, pacing=pacing, rng=random.Random(seed)))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")

    import django

    django.setup()
    limit, delay_min, delay_max, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    print(sender_task(limit, delay_min, delay_max, seed), flush=True)
