"""Asking for a prospect's enrichment or research, the first time or again.

- ``prospect_enrichment_enqueue`` is what acquisition, imports and the API call when
  they have created a prospect: the enrichment stage picks it up after the caller's
  transaction commits (``infra.stages.stage_enqueue``), instead of waiting for the
  off-hours cron that sweeps the prospects still in ``new``.
- ``prospect_reenrich`` / ``prospect_reresearch`` (the admin's "Enrich again",
  "Research again") take an enriched or ready prospect back one stage and queue the
  stage again; any other stage is refused with an ``ApplicationError``.
"""

from __future__ import annotations

from infra.errors import ApplicationError
from infra.stages import STAGES, stage_enqueue
from infra.statemachine import transition
from prospects.models import Prospect, ProspectStage


def prospect_enrichment_enqueue(*, prospect: Prospect) -> bool:
    """Queue ``prospect`` for enrichment on commit; False when no enrichment stage is
    registered (a process that has not loaded prospects.pipeline)."""
    if "enrichment" not in STAGES:
        return False
    stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    return True


def prospect_reenrich(*, prospect: Prospect, by) -> None:
    """Admin / operator: enrich again (the prospect goes back to `new` first if it is past it)."""
    if prospect.stage == ProspectStage.ENRICHED:
        transition(prospect, "reset_enrichment", by=by, reason="re-enrich requested")
    elif prospect.stage != ProspectStage.NEW:
        raise ApplicationError(
            f"{prospect} is '{prospect.stage}': only new or enriched prospects can be enriched again."
        )
    stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)


def prospect_reresearch(*, prospect: Prospect, by) -> None:
    """Admin / operator: research again (a ready prospect goes back to `enriched` first)."""
    if prospect.stage == ProspectStage.READY:
        transition(prospect, "reset_research", by=by, reason="re-research requested")
    elif prospect.stage != ProspectStage.ENRICHED:
        raise ApplicationError(
            f"{prospect} is '{prospect.stage}': only enriched or ready prospects can be researched again."
        )
    stage_enqueue("research", subject_id=prospect.pk, trace_id=prospect.trace_id)
