"""Real qcluster processes against PostgreSQL: named queues, SIGKILL mid-batch, recovery."""

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

import tests.support.stages  # noqa: F401  (registers the test stages)
from infra.models import Event
from infra.stages import STAGES, stage_enqueue, stale_claims_sweep
from infra.statemachine import transition
from prospects.models import Prospect, ProspectStage
from tests.factories import ProspectFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_cluster(queue: str, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "Q_CLUSTER_NAME": queue,
        "JENGU_Q_TIMEOUT": "5",
        "JENGU_Q_RETRY": "8",
        "JENGU_Q_WORKERS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def kill(process: subprocess.Popen, sig=signal.SIGKILL):
    """Signal the cluster's whole process group; make sure nothing outlives the test."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # forked workers may outlive the parent briefly
        os.killpg(process.pid, signal.SIGKILL)


def test_qcluster_survives_sigkill_mid_batch_and_every_task_happens_once(tmp_path):
    enrich = [ProspectFactory(research_report={"sleep": 0.4}) for _ in range(12)]
    research = [ProspectFactory() for _ in range(5)]
    for p in research:
        transition(p, "start_enrichment", by="test")
        transition(p, "finish_enrichment", by="test")
    for p in enrich:
        stage_enqueue("test_slow", subject_id=p.pk, trace_id=p.trace_id)
    for p in research:
        stage_enqueue("test_research", subject_id=p.pk, trace_id=p.trace_id)
    assert OrmQ.objects.filter(key="enrichment").count() == 12
    assert OrmQ.objects.filter(key="research").count() == 5

    log = tmp_path / "qcluster.log"
    research_cluster = start_cluster("research", log)
    enrichment_cluster = start_cluster("enrichment", log)
    try:
        # let the enrichment cluster get some, not all, of its batch done, then kill it
        wait_for(
            lambda: Prospect.objects.filter(pk__in=[p.pk for p in enrich], stage="enriched").count() >= 3,
            60,
            "a few enrichments",
        )
        kill(enrichment_cluster)
        killed_at = Prospect.objects.filter(pk__in=[p.pk for p in enrich], stage="enriched").count()
        assert killed_at < 12, "the batch finished before the kill; the test proves nothing"

        enrichment_cluster = start_cluster("enrichment", log)
        # q2 re-delivers the tasks that were in flight (after `retry`); their stage's
        # claim guard makes each a no-op, and the sweeper returns the claims they held
        wait_for(lambda: not OrmQ.objects.filter(key="enrichment").exists(), 90, "the queue to drain")
        later = timezone.now() + datetime.timedelta(seconds=10 + settings.STAGE_SWEEP_MARGIN + 1)
        stale_claims_sweep(now=later, stages=[STAGES["test_slow"]])
        wait_for(
            lambda: Prospect.objects.filter(pk__in=[p.pk for p in enrich], stage="enriched").count() == 12,
            90,
            "every enrichment to finish",
        )
        wait_for(
            lambda: Prospect.objects.filter(pk__in=[p.pk for p in research], stage="ready").count() == 5,
            30,
            "every research task",
        )
    finally:
        kill(enrichment_cluster, signal.SIGTERM)
        kill(research_cluster, signal.SIGTERM)

    for p in enrich + research:
        effects = Event.objects.filter(name="test.side_effect", trace_id=p.trace_id).count()
        assert effects == 1, f"prospect {p.pk}: side effect happened {effects} times\n{log.read_text()[-3000:]}"
    assert Prospect.objects.filter(stage=ProspectStage.ENRICHING).count() == 0
