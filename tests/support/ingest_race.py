"""A q2 task for the dedup race on real workers: wait for every party, then ingest.

``ingest_after_barrier(jobs, barrier_dir, parties)`` leaves a file in ``barrier_dir`` and
waits until ``parties`` files are there (each worker process is one party), so the workers
start ingesting the same hotels at the same moment, then calls ``prospect_ingest`` for each
``(company, city, url)``. Returns how many it ingested.
"""

import os
import time
import uuid
from pathlib import Path

from prospects.dedup import prospect_ingest


def ingest_after_barrier(jobs: list, barrier_dir: str, parties: int) -> int:
    barrier = Path(barrier_dir)
    (barrier / f"{os.getpid()}-{uuid.uuid4().hex}").touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.iterdir())) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(list(barrier.iterdir()))} of {parties} workers arrived")
        time.sleep(0.005)
    for name, city, url in jobs:
        prospect_ingest(
            fields={"company_name": name, "city": city},
            posting={"source": "linkedin", "title": "GM", "company_name": name, "url": url},
        )
    return len(jobs)
