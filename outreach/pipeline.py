"""Stage four: composition (queue "composition").

``run_composition(prospect_id, trace_id=)`` claims a ready prospect (ready → composing),
composes its first email for the default campaign (``Campaign.is_default``, else the
oldest active one), saves it as a draft with its gate results, creates the prospect's
Sequence, and finishes (composing → composed). A draft that passed every gate in a
campaign that does not ask for approval is queued at once (and the prospect with it:
composed → queued); otherwise it waits in the admin's review queue.

A prospect without an address, or a day without any active campaign, is left in
``ready`` with a warning Event: nothing to claim, nothing to retry. The research stage
hands over to this one on commit (``prospects.pipeline.run_research``).
"""

from __future__ import annotations

from infra.events import event_record
from infra.stages import Claim, Stage, register_stage
from infra.statemachine import transition
from outreach import events
from prospects.models import Prospect, ProspectStage

ACTOR = "task:composition"


def run_composition(prospect_id: int, *, trace_id=None, providers: list | None = None) -> str:
    from outreach.selectors import campaign_for_new_prospects
    from outreach.services.composition import email_compose_first

    prospect = Prospect.objects.get(pk=prospect_id)
    campaign = campaign_for_new_prospects()
    problem = (
        "no active campaign"
        if campaign is None
        else ("the prospect has no email address" if not prospect.email else "")
    )
    if problem:
        if prospect.stage == ProspectStage.READY:
            event_record(
                events.COMPOSITION_SKIPPED,
                level="warning",
                message=f"{prospect}: {problem}; it stays ready",
                trace_id=prospect.trace_id,
            )
        return f"skipped: {problem}"
    transition(prospect, "start_composing", by=ACTOR)
    email = email_compose_first(prospect=prospect, campaign=campaign, by=ACTOR, providers=providers)
    if email is None:
        return "an email for step 1 already existed"
    return f"email #{email.pk} {email.status} ({email.written_by})"


COMPOSITION = register_stage(
    Stage(
        name="composition",
        func="outreach.pipeline.run_composition",
        queue="composition",
        timeout=180,  # up to three AI drafts, each bounded by the providers' 30 s timeouts
        claim=Claim("prospects.Prospect", ProspectStage.COMPOSING, release="release_composing"),
    )
)
