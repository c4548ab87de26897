"""Asking for a prospect's enrichment: the one way a new prospect is queued for it.

``prospect_enrichment_enqueue`` is what acquisition, imports and the API call when they
have created a prospect: the enrichment stage picks it up after the caller's
transaction commits (``infra.stages.stage_enqueue``), instead of waiting for the
off-hours cron that sweeps the prospects still in ``new``.
"""

from __future__ import annotations

from infra.stages import STAGES, stage_enqueue
from prospects.models import Prospect


def prospect_enrichment_enqueue(*, prospect: Prospect) -> bool:
    """Queue ``prospect`` for enrichment on commit; False when no enrichment stage is
    registered (a process that has not loaded prospects.pipeline)."""
    if "enrichment" not in STAGES:
        return False
    stage_enqueue("enrichment", subject_id=prospect.pk, trace_id=prospect.trace_id)
    return True
