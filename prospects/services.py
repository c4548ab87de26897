"""Writers for prospects. Admin actions, the API, tasks and commands call these."""

from infra.errors import ApplicationError
from infra.statemachine import transition
from prospects.models import Prospect


def prospect_transition(*, prospect: Prospect, name: str, by, reason: str = "", trace_id=None) -> Prospect:
    """Apply a declared stage transition (the generic entry point of the API and admin)."""
    return transition(prospect, name, by=by, reason=reason, trace_id=trace_id)


def prospect_mark_lost(*, prospect: Prospect, by, reason: str) -> Prospect:
    """Close a prospect as lost, with the reason sales will read later."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the prospect is lost (e.g. 'chose a competitor').")
    transition(prospect, "mark_lost", by=by, reason=reason)
    prospect.lost_reason = reason[:200]
    prospect.save(update_fields=["lost_reason", "updated_at"])
    return prospect
