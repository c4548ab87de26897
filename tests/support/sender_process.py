"""A sender worker as its own OS process, for the concurrency and crash tests.

    python tests/support/sender_process.py <limit> <delay_min> <delay_max> <seed>

DATABASE_URL names the test database. Business hours are off (the test's clock is the
real one), random skips are off; everything else is the production send path.
"""

import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")

import django  # noqa: E402

django.setup()

from outreach.services.sending import Pacing, sender_run  # noqa: E402

limit, delay_min, delay_max, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
pacing = Pacing(skip_probability=0.0, delay_min=delay_min, delay_max=delay_max, business_hours=False)
report = sender_run(limit=limit, pacing=pacing, rng=random.Random(seed))
print(report, flush=True)
