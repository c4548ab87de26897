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


def _stage_again(prospect: Prospect, *, stage: str, waits_in: str, done: str, reset: str, what: str, by) -> None:
    """Queue ``stage`` again: a prospect in ``done`` goes back to ``waits_in`` first; others are refused."""
    if prospect.stage == done:
        transition(prospect, reset, by=by, reason=f"re-{what} requested")
    elif prospect.stage != waits_in:
        raise ApplicationError(
            f"{prospect} is '{prospect.stage}': only {waits_in} or {done} prospects can be {what}ed again."
        )
    stage_enqueue(stage, subject_id=prospect.pk, trace_id=prospect.trace_id)


def prospect_reenrich(*, prospect: Prospect, by) -> None:
    """Admin / operator: enrich again (the prospect goes back to `new` first if it is past it)."""
    _stage_again(prospect, stage="enrichment", waits_in=ProspectStage.NEW, done=ProspectStage.ENRICHED,
                 reset="reset_enrichment", what="enrich", by=by)  # fmt: skip


def prospect_reresearch(*, prospect: Prospect, by) -> None:
    """Admin / operator: research again (a ready prospect goes back to `enriched` first)."""
    _stage_again(prospect, stage="research", waits_in=ProspectStage.ENRICHED, done=ProspectStage.READY,
                 reset="reset_research", what="research", by=by)  # fmt: skip
