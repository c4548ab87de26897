"""Pipeline stages used only by the runtime tests.

They follow the stage contract: claim the prospect with a transition (a failed claim
makes a duplicate run a no-op), do the work, finish. Failures are scripted through the
prospect's ``research_report`` JSON so the script survives across worker processes.
"""

import time

from django.db import transaction

from infra.events import event_record
from infra.stages import Claim, Stage, register_stage
from infra.statemachine import transition
from prospects.models import Prospect, ProspectStage


def flaky_enrichment(prospect_id, *, trace_id=None):
    """Fails ``fail_times`` times (counted on the row), then enriches."""
    prospect = Prospect.objects.get(pk=prospect_id)
    script = prospect.research_report
    calls = script.get("calls", 0) + 1
    Prospect.objects.filter(pk=prospect_id).update(research_report={**script, "calls": calls})
    if calls <= script.get("fail_times", 0):
        raise ConnectionError(f"search service down (call {calls})")
    if prospect.stage == ProspectStage.NEW:
        transition(prospect, "start_enrichment", by="task:enrichment")
    transition(prospect, "finish_enrichment", by="task:enrichment")
    return "enriched"


def slow_enrichment(prospect_id, *, trace_id=None):
    """Claims, records its side effect once per claim, sleeps, finishes (for kill tests)."""
    prospect = Prospect.objects.get(pk=prospect_id)
    transition(prospect, "start_enrichment", by="task:enrichment")  # AlreadyMoved/NotAllowed → no-op
    time.sleep(float(prospect.research_report.get("sleep", 0.5)))
    with transaction.atomic():  # the effect and the hand-off commit together, or neither
        event_record("test.side_effect", message=f"enriched {prospect_id}", trace_id=prospect.trace_id)
        transition(prospect, "finish_enrichment", by="task:enrichment")


def quick_research(prospect_id, *, trace_id=None):
    prospect = Prospect.objects.get(pk=prospect_id)
    transition(prospect, "start_research", by="task:research")
    with transaction.atomic():
        event_record("test.side_effect", message=f"researched {prospect_id}", trace_id=prospect.trace_id)
        transition(prospect, "finish_research", by="task:research")


ENRICH_CLAIM = Claim("prospects.Prospect", ProspectStage.ENRICHING, release="release_enrichment")

register_stage(
    Stage(
        name="test_flaky",
        func="tests.support.stages.flaky_enrichment",
        queue="enrichment",
        timeout=30,
        claim=ENRICH_CLAIM,
    )
)
register_stage(
    Stage(
        name="test_slow",
        func="tests.support.stages.slow_enrichment",
        queue="enrichment",
        timeout=10,
        claim=ENRICH_CLAIM,
    )
)
register_stage(Stage(name="test_research", func="tests.support.stages.quick_research", queue="research", timeout=10))
