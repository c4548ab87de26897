"""Reads over prospects: one prospect's page, the prospects holding a hotel's website or
address, who may own a prospect, and the prospects waiting in a stage.

Contract: functions here only read (no writes, no locks), are named for what they
return, and take keyword arguments where more than one; services, pipeline stages, the
API and the admin call them. "Live" means not merged into another prospect
(``merged_into`` empty): a merged prospect holds nothing for the uniqueness rules.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from infra.models import StateTransition
from prospects.models import Prospect

# the role whose members take turns (jengu.roles.SALES; tests/prospects/test_assignment.py
# checks the two names agree: prospects may not import jengu)
ASSIGNEE_GROUP = "Sales"
DETAIL_TRANSITIONS = 200  # the latest stage changes a prospect's detail shows


def prospect_detail(*, prospect_id: int) -> Prospect:
    """One prospect (404 when unknown) with its emails (newest first), replies (latest
    received first), consents, and ``transitions``: its latest stage changes.

    The emails and replies come through the reverse relations, so prospects needs no
    import of outreach or replies."""
    from django.apps import apps

    Email = apps.get_model("outreach", "Email")  # noqa: N806  (a face may show other apps' rows)
    Reply = apps.get_model("replies", "Reply")  # noqa: N806
    prospect = get_object_or_404(
        Prospect.objects.prefetch_related(
            Prefetch("emails", queryset=Email.objects.order_by("-id")),
            Prefetch("replies", queryset=Reply.objects.order_by("-received_at", "-id")),
            "consents",
        ),
        pk=prospect_id,
    )
    prospect.transitions = list(
        StateTransition.objects.filter(
            content_type=ContentType.objects.get_for_model(Prospect), object_id=prospect.pk
        ).order_by("-created_at", "-id")[:DETAIL_TRANSITIONS]
    )
    return prospect


def prospect_holding_website(*, prospect: Prospect, website: str) -> Prospect | None:
    """Another live prospect of the same contact whose website is ``website``'s domain, or
    None (also when ``website`` is the prospect's own domain)."""
    from prospects.dedup import website_domain

    domain = website_domain(website)
    if not domain or domain == prospect.website_domain:
        return None
    return (
        Prospect.objects.filter(website_domain=domain, contact_key=prospect.contact_key, merged_into__isnull=True)
        .exclude(pk=prospect.pk)
        .first()
    )


def prospect_holding_email(*, prospect: Prospect, email: str) -> Prospect | None:
    """Another live prospect with the address ``email``, or None."""
    if not email:
        return None
    return Prospect.objects.filter(email=email, merged_into__isnull=True).exclude(pk=prospect.pk).first()


def prospects_waiting_in_stage(*, stage: str, limit: int) -> list[tuple[int, object]]:
    """(id, trace_id) of the first ``limit`` prospects in ``stage``, oldest first."""
    return list(Prospect.objects.filter(stage=stage).order_by("id").values_list("id", "trace_id")[:limit])


def assignable_users():
    """Everyone a prospect may be given to: active staff, by name."""
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


def round_robin_candidates():
    """Who takes turns: the active members of the Sales group, in a fixed order (their id)."""
    return get_user_model().objects.filter(is_active=True, groups__name=ASSIGNEE_GROUP).distinct().order_by("pk")


def hotel_owner(prospect: Prospect):
    """The active owner of another prospect at the same hotel (the most recently assigned one), or None."""
    same = Q()
    if prospect.website_domain:
        same |= Q(website_domain=prospect.website_domain)
    if prospect.company_key:
        same |= Q(company_key=prospect.company_key, city_key=prospect.city_key)
    if not same:
        return None
    other = (
        Prospect.objects.filter(same, owner__isnull=False, owner__is_active=True)
        .exclude(pk=prospect.pk)
        .select_related("owner")
        .order_by("-updated_at", "-pk")
        .first()
    )
    return other.owner if other else None
