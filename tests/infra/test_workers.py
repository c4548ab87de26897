"""Real qcluster processes against PostgreSQL, on both brokers: named queues, SIGKILL mid-batch, recovery.

What a SIGKILL costs differs by broker (LIBRARY-NOTES): the database broker keeps a task
until its worker acknowledges it and hands it out again after ``retry``; Redis hands a
task out by popping it, so whatever the killed cluster held (its workers' tasks and the
few it had fetched ahead) is gone. Jengu does not rely on either: a stage's claim makes a
re-delivered task a no-op, the sweeper returns claims older than their stage's timeout
and re-enqueues them, and the stage crons re-enqueue subjects still waiting in their
stage (``jengu.jobs.enrichment_run`` for ``new``). The test asserts only what is the same
on both brokers — each effect happened exactly once, every subject finished, q2 recorded
a success for each and no failure — plus which recovery each broker needed.
"""

import datetime
import signal

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import Task

import tests.support.stages  # noqa: F401  (registers the test stages)
from infra.models import Event
from infra.stages import STAGES, stage_enqueue, stale_claims_sweep
from infra.statemachine import transition
from jengu import jobs
from prospects.models import Prospect, ProspectStage
from tests.factories import ProspectFactory
from tests.support.brokers import broker_fixture  # noqa: F401  (`broker`: each test on the database and on Redis)
from tests.support.workers import kill, start_cluster, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def stages_of(prospects) -> dict[str, int]:
    counts: dict[str, int] = {}
    for stage in Prospect.objects.filter(pk__in=[p.pk for p in prospects]).values_list("stage", flat=True):
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def test_qcluster_survives_sigkill_mid_batch_and_every_task_happens_once(tmp_path, broker, monkeypatch):
    enrich = [ProspectFactory(research_report={"sleep": 0.4}) for _ in range(12)]
    research = [ProspectFactory() for _ in range(5)]
    for p in research:
        transition(p, "start_enrichment", by="test")
        transition(p, "finish_enrichment", by="test")
    for p in enrich:
        stage_enqueue("test_slow", subject_id=p.pk, trace_id=p.trace_id)
    for p in research:
        stage_enqueue("test_research", subject_id=p.pk, trace_id=p.trace_id)
    assert (broker.queue_size("enrichment"), broker.queue_size("research")) == (12, 5)

    log = tmp_path / "qcluster.log"
    research_cluster = start_cluster("research", log, broker)
    enrichment_cluster = start_cluster("enrichment", log, broker)
    try:
        # let the enrichment cluster get some, not all, of its batch done, then kill it
        wait_for(lambda: stages_of(enrich).get("enriched", 0) >= 3, 60, "a few enrichments", log)
        kill(enrichment_cluster)
        killed_at = stages_of(enrich).get("enriched", 0)
        assert killed_at < 12, "the batch finished before the kill; the test proves nothing"

        # a new cluster takes what the broker still has (the database broker: also, after
        # `retry`, the tasks the dead cluster held), then stops once it has finished them
        enrichment_cluster = start_cluster("enrichment", log, broker)
        wait_for(lambda: broker.drained("enrichment"), 90, "the queue to drain", log)
        stop(enrichment_cluster)
        stuck = stages_of(enrich)
        waiting, held = stuck.get("new", 0), stuck.get("enriching", 0)
        if broker.name == "orm":
            # every task came back: none is still waiting; a claim the dead worker held blocks its own re-delivery
            assert waiting == 0, stuck
        else:
            # Redis lost what the killed cluster held: claims it took, and tasks it had fetched but not begun
            assert waiting + held > 0, f"nothing was lost, so the test proves nothing on Redis: {stuck}"

        # what runs in production every few minutes: the sweeper returns stale claims, and the
        # enrichment cron re-enqueues prospects still waiting in `new`
        later = timezone.now() + datetime.timedelta(
            seconds=STAGES["test_slow"].timeout + settings.STAGE_SWEEP_MARGIN + 1
        )
        assert stale_claims_sweep(now=later, stages=[STAGES["test_slow"]]) == held
        monkeypatch.setitem(STAGES, "enrichment", STAGES["test_slow"])
        assert jobs.enrichment_run() == waiting + held  # the returned claims are `new` again, too

        enrichment_cluster = start_cluster("enrichment", log, broker)
        wait_for(lambda: stages_of(enrich) == {"enriched": 12}, 90, "every enrichment to finish", log)
        wait_for(lambda: stages_of(research) == {"ready": 5}, 30, "every research task", log)
        wait_for(lambda: broker.drained("enrichment"), 30, "the queue to drain", log)
    finally:
        kill(enrichment_cluster, signal.SIGTERM)
        kill(research_cluster, signal.SIGTERM)

    for p in enrich + research:
        effects = Event.objects.filter(name="test.side_effect", trace_id=p.trace_id).count()
        assert effects == 1, f"prospect {p.pk}: side effect happened {effects} times\n{log.read_text()[-3000:]}"
    assert Prospect.objects.filter(stage=ProspectStage.ENRICHING).count() == 0
    # q2's own record, the same on both brokers: a success for every subject, no failure
    done = Task.objects.filter(func="infra.stages.stage_execute", success=True)
    unrecorded = [p.pk for p in enrich if not done.filter(name__startswith=f"test_slow:{p.pk}:").exists()]
    if broker.name == "orm":
        assert unrecorded == []
    else:
        # Redis: a task whose work committed just before the kill can lose q2's result row (the
        # cluster's monitor saves it after the worker): only among those done by the kill
        assert len(unrecorded) <= killed_at, unrecorded
    for p in research:
        assert done.filter(name__startswith=f"test_research:{p.pk}:").exists(), p.pk
    assert not Task.objects.filter(success=False).exists(), list(Task.objects.filter(success=False).values("result"))


def test_a_qcluster_on_the_broker_runs_a_task_queued_from_another_process(tmp_path, broker):
    """The set-up the README's "At scale" section describes starts and works on this broker."""
    from django_q.tasks import async_task

    log = tmp_path / "qcluster.log"
    cluster = start_cluster("reply", log, broker)
    try:
        task_id = async_task("math.floor", 7.9, cluster="reply", task_name="at-scale-smoke")
        wait_for(lambda: Task.objects.filter(id=task_id).exists(), 60, "the task's result", log)
    finally:
        stop(cluster)
    task = Task.objects.get(id=task_id)
    assert task.success and task.result == 7
    assert broker.queue_size("reply") == 0
