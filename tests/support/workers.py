"""Real ``manage.py qcluster`` processes for the multi-process tests, on the test database.

``start_cluster(queue, log, broker)`` starts one cluster serving a named queue, in its own
process group, on the test's PostgreSQL database and broker (tests.support.brokers).
``kill`` sends a signal to the whole group (SIGKILL: the machine lost power);
``stop`` asks the cluster to stop as an operator's SIGTERM does: it finishes the tasks it
holds, then exits. Nothing a test starts outlives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_cluster(
    queue: str, log: Path, broker, *, workers: int = 2, timeout: int = 5, retry: int = 8, env: dict | None = None
) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        **broker.env,
        "Q_CLUSTER_NAME": queue,
        "JENGU_Q_TIMEOUT": str(timeout),
        "JENGU_Q_RETRY": str(retry),
        "JENGU_Q_WORKERS": str(workers),
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    tail = f"\n{log.read_text(errors='replace')[-3000:]}" if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


def group_alive(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that still run (a zombie waiting to be reaped does not)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(stat.parent.name))
    return alive


def kill(process: subprocess.Popen, sig=signal.SIGKILL):
    """Signal the cluster's whole process group; make sure nothing outlives the test.

    Returns only once no process of the group runs: on a loaded machine a killed cluster's
    pusher, still blocked on Redis for a moment, could otherwise take the next task queued
    and die with it (a task the next cluster then never sees)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 15
    while group_alive(process.pid) and time.monotonic() < deadline:  # forked workers may outlive the parent
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.05)


def stop(process: subprocess.Popen, timeout: float = 60):
    """A graceful stop: SIGTERM to the cluster's main process only, which lets its workers finish
    every task the cluster took from the broker (q2's workers die on a SIGTERM of their own)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    finally:
        kill(process)
