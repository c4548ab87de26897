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


def kill(process: subprocess.Popen, sig=signal.SIGKILL):
    """Signal the cluster's whole process group; make sure nothing outlives the test."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # forked workers may outlive the parent briefly
        os.killpg(process.pid, signal.SIGKILL)


def stop(process: subprocess.Popen, timeout: float = 60):
    """A graceful stop: SIGTERM to the cluster's main process only, which lets its workers finish
    every task the cluster took from the broker (q2's workers die on a SIGTERM of their own)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    finally:
        kill(process)
