"""A person's verdict on a possible duplicate: merge the pair, or say they are two hotels.

Contract: ``possible_duplicate_merge(duplicate=..., by=...)`` merges the newer prospect
into the older (every row of any app that points at it moves over; the merged one is
closed as lost, "merged into #<id>"), and returns the prospect kept;
``possible_duplicate_dismiss(duplicate=..., by=...)`` records "not a duplicate". Both
refuse a pair already reviewed (``ApplicationError``), so two reviewers acting together
decide once. The pairs are flagged by prospects.dedup (near-duplicate names) and the
enrichment stage (the same website).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.statemachine import transition
from prospects.models import OPEN_STAGES, PossibleDuplicate, Prospect


def possible_duplicate_merge(*, duplicate: PossibleDuplicate, by) -> Prospect:
    """Merge the newer prospect into the older one, keeping every posting, email and reply.

    Rows of any app that point at the merged prospect are moved over (found through
    Django's relation registry, so this module needs no knowledge of outreach/replies).
    The merged prospect is closed as lost with the reason "merged into #<id>" — on record
    in its transition history — and stops counting for the uniqueness constraints.
    """
    # imported here: prospects.dedup re-exports this module's functions at its end
    from prospects.dedup import prospect_fill_in

    with transaction.atomic():
        row = PossibleDuplicate.objects.select_for_update().get(pk=duplicate.pk)
        if row.status != PossibleDuplicate.Status.OPEN:
            raise ApplicationError(f"This pair was already reviewed ({row.get_status_display()}).")
        # either side may have been merged by another pair of the same cluster (A~B, A~C, B~C):
        # merge what survives of each, the newer into the older
        survivors = sorted({_survivor(row.prospect), _survivor(row.other)}, key=lambda p: p.pk)
        keep, gone = survivors[0], survivors[-1]
        if keep.pk == gone.pk:  # already one prospect
            row.status, row.decided_by, row.decided_at = PossibleDuplicate.Status.MERGED, str(by), timezone.now()
            row.save()
            return keep
        for relation in Prospect._meta.related_objects:
            if relation.one_to_many and relation.field.model is not PossibleDuplicate and relation.remote_field:
                if relation.related_model is Prospect:
                    continue
                relation.related_model._base_manager.filter(**{relation.field.name: gone}).update(
                    **{relation.field.name: keep}
                )
        if gone.stage in OPEN_STAGES:
            transition(gone, "mark_lost", by=by, reason=f"merged into #{keep.pk}")
        gone.lost_reason = f"merged into #{keep.pk}"
        gone.merged_into = keep
        gone.save(update_fields=["lost_reason", "merged_into", "updated_at"])
        prospect_fill_in(keep, {f: getattr(gone, f) for f in ("name", "email", "phone", "title", "company_website")})
        row.status = PossibleDuplicate.Status.MERGED
        row.decided_by, row.decided_at = str(by), timezone.now()
        row.save()
    return keep


def _survivor(prospect: Prospect) -> Prospect:
    """The prospect ``prospect`` was merged into, following the chain (itself if not merged)."""
    seen = set()
    while prospect.merged_into_id and prospect.pk not in seen:
        seen.add(prospect.pk)
        prospect = Prospect.objects.get(pk=prospect.merged_into_id)
    return prospect


def possible_duplicate_dismiss(*, duplicate: PossibleDuplicate, by) -> None:
    """The pair are two hotels: the flag is closed and never raised again for them."""
    updated = PossibleDuplicate.objects.filter(pk=duplicate.pk, status=PossibleDuplicate.Status.OPEN).update(
        status=PossibleDuplicate.Status.NOT_DUPLICATE, decided_by=str(by), decided_at=timezone.now()
    )
    if not updated:
        raise ApplicationError("This pair was already reviewed.")
