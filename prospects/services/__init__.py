"""Writers for prospects. Admin actions, the API, tasks and commands call these.

Owners and the assignment rule live in ``prospects.services.assignment``; notes and
tasks in ``prospects.services.notes``.
"""

from django.db import IntegrityError, transaction

from infra.errors import ApplicationError
from infra.events import event_record
from infra.statemachine import actor_label, transition
from prospects import events
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


def prospect_mark_won(*, prospect: Prospect, by, reason: str = "") -> Prospect:
    """Close a prospect as won (from a meeting, or straight from a reply)."""
    return transition(prospect, "mark_won", by=by, reason=reason.strip() or "won")


def prospect_book_meeting(*, prospect: Prospect, by, starts_at=None, title: str = "") -> Prospect:
    """A person booked a meeting outside the booking links (a phone call, an email): the
    prospect moves to ``meeting`` and, when the time is known, the meeting becomes a task
    of its owner (or of whoever booked it) on the timeline and in *My tasks*.

    Moving to ``meeting`` is what stops the follow-ups: they go only to prospects still
    waiting for an answer (outreach.selectors)."""
    from prospects.services.notes import task_add

    with transaction.atomic():
        when = f" for {starts_at:%Y-%m-%d %H:%M} UTC" if starts_at else ""
        transition(prospect, "book_meeting", by=by, reason=f"meeting booked by hand{when}")
        if starts_at is not None:
            task_add(
                prospect=prospect,
                title=title.strip() or f"Meeting with {prospect.name or prospect.company_name}",
                due_at=starts_at,
                kind="meeting",
                assignee=prospect.owner if prospect.owner_id and prospect.owner.is_active else None,
                by=by,
            )
    return prospect


# What a person (admin form or API client) may change on a prospect. The stage changes
# only through transitions; dedup keys, scores, counters and analyses are derived.
EDITABLE_FIELDS = (
    "name",
    "email",
    "phone",
    "title",
    "linkedin_url",
    "company_name",
    "company_website",
    "company_type",
    "country",
    "region",
    "city",
    "timezone",
    "market_tier",
    "tier",
    "referral_note",
)


def prospect_create(*, fields: dict, by) -> tuple[Prospect, bool]:
    """Create a prospect through dedup; returns (prospect, created). A new one is queued
    for enrichment when the caller's transaction commits.

    When the hotel (or the address) is already on record the existing prospect is
    returned, filled in with what it lacked: two programs adding the same hotel get one
    prospect.
    """
    from prospects.dedup import prospect_ingest
    from prospects.services.enrichment import prospect_enrichment_enqueue

    unknown = set(fields) - set(EDITABLE_FIELDS) - {"source"}
    if unknown:
        raise ApplicationError(f"Not a field you can set: {', '.join(sorted(unknown))}.")
    candidate = Prospect(**fields)
    candidate.full_clean(exclude=["stage"], validate_unique=False, validate_constraints=False)
    result = prospect_ingest(fields=fields, by=actor_label(by))
    if result.created:
        prospect_enrichment_enqueue(prospect=result.prospect)  # as acquisition and imports do
    event_record(
        events.PROSPECT_CREATED if result.created else events.PROSPECT_MERGED,
        message=f"{result.prospect.company_name} ({'new' if result.created else 'already on record'})",
        data={"prospect_id": result.prospect.pk},
        trace_id=result.prospect.trace_id,
        by=by,
    )
    return result.prospect, result.created


def prospect_update(*, prospect: Prospect, changes: dict, by) -> Prospect:
    """Change editable fields only; a clash with another prospect's hotel or address is refused."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Not a field you can change: {', '.join(sorted(unknown))}.")
    changed = [name for name, value in changes.items() if getattr(prospect, name) != value]
    if not changed:
        return prospect
    for name in changed:
        setattr(prospect, name, changes[name])
    prospect.full_clean(exclude=["stage"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            prospect.save()
            event_record(
                events.PROSPECT_UPDATED,
                message=f"changed: {', '.join(sorted(changed))}",  # names only: values may be personal
                data={"prospect_id": prospect.pk, "fields": sorted(changed)},
                trace_id=prospect.trace_id,
                by=by,
            )
    except IntegrityError:
        prospect.refresh_from_db()
        raise ApplicationError(
            "Another prospect already has this hotel (name and city, or website) or this email address.",
            extra={"conflict": True},
        ) from None
    return prospect
