"""Whose prospect is it: assigning owners, and the rule for new positive replies.

Contract:

- ``prospect_assign(prospect=..., owner=..., by=...)`` gives a prospect to an active user
  (or to nobody, ``owner=None``), records ``prospect.assigned`` and tells the new owner
  (``assignment_notify``) unless they assigned it to themselves. ``prospects_assign``
  does the same for a whole selection with one UPDATE (the admin's reassign action).
- ``owner_for_new_positive_reply(prospect=...)`` says who should answer a positive
  reply (interest, a meeting request), by the rule Operations sets in the live settings
  (``REPLY_ASSIGNMENT``):

  * the prospect's own owner, while that user is active, whatever the rule;
  * ``hotel_owner`` (the default): else the active owner of another prospect at the same
    hotel (prospects.dedup's keys: website domain, or name and city), so one hotel talks
    to one salesperson; else the round-robin;
  * ``round_robin``: else the next active member of the Sales group after the last one
    given a reply (``round_robin_next``: a stored cursor, taken under a row lock, so two
    replies arriving together go to two people and the turns stay even);
  * ``off``: nobody (the reply waits in the shared inbox).

- ``prospect_assign_for_positive_reply(prospect=..., reply_id=...)`` is the hook the
  replies side calls (jengu.apps subscribes it to the ``reply.classified`` and
  ``reply.corrected`` events): it assigns by the rule and notifies the owner.

Notifications (``ASSIGNMENT_NOTIFY``): ``alert`` posts to the team's alert channel
(infra.alerts, ``ALERT_WEBHOOK_URL``) with an ``@username`` mention; ``email`` sends the
user an email through Django's mail settings (``EMAIL_*``); ``both``; ``none``. A
notification is sent after the commit and never rolls an assignment back: a mail server
that refuses is logged as ``assignment.notify_failed``.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from infra.alerts import alert_send
from infra.errors import ApplicationError
from infra.events import event_record
from prospects import events
from prospects.models import AssignmentCursor, Prospect
from prospects.selectors import (
    hotel_owner,
    round_robin_candidates,
)

logger = logging.getLogger(__name__)

POSITIVE_REPLIES_CURSOR = "positive_replies"
RULES = ("hotel_owner", "round_robin", "off")
NOTIFY_CHOICES = ("alert", "email", "both", "none")
SYSTEM_ACTOR = "system:assignment"


@dataclass(frozen=True)
class Assignment:
    owner: AbstractBaseUser | None
    how: str  # owner (kept), hotel (the hotel's other prospects), round_robin, off, nobody


def _live(name: str, default: str, allowed: tuple[str, ...]) -> str:
    from constance import config

    value = str(getattr(config, name, default) or default).strip().lower()
    if value not in allowed:
        logger.warning("live setting %s=%r is not one of %s; using %s", name, value, allowed, default)
        return default
    return value


def assignment_rule() -> str:
    return _live("REPLY_ASSIGNMENT", "hotel_owner", RULES)


def _user_label(user) -> str:
    return user.get_username() if user is not None else "nobody"


def _check_assignable(owner) -> None:
    if owner is not None and not owner.is_active:
        raise ApplicationError(f"{owner.get_username()} is not an active user: choose someone who can work it.")


def prospect_assign(*, prospect: Prospect, owner, by, reason: str = "", notify: bool = True) -> Prospect:
    """Give ``prospect`` to ``owner`` (None: to nobody); the new owner is told."""
    _check_assignable(owner)
    previous = prospect.owner_id
    new = owner.pk if owner is not None else None
    if previous == new:
        return prospect
    with transaction.atomic():
        Prospect.objects.filter(pk=prospect.pk).update(owner=owner, updated_at=timezone.now())
        prospect.owner = owner
        event_record(
            events.PROSPECT_ASSIGNED,
            message=f"prospect #{prospect.pk} assigned to {_user_label(owner)}" + (f" ({reason})" if reason else ""),
            data={"prospect_id": prospect.pk, "owner_id": new, "previous_owner_id": previous, "reason": reason[:100]},
            trace_id=prospect.trace_id,
            by=by,
        )
        if notify and owner is not None and not _is_same_user(owner, by):
            why = reason or f"assigned by {_user_label(by) if isinstance(by, AbstractBaseUser) else by}"
            transaction.on_commit(lambda: assignment_notify(user=owner, prospects=[prospect], why=why))
    return prospect


def prospects_assign(*, prospects, owner, by) -> int:
    """Give every prospect of ``prospects`` (a queryset) to ``owner`` in one UPDATE; returns how many changed."""
    _check_assignable(owner)
    new = owner.pk if owner is not None else None
    changing = prospects.exclude(owner=owner) if owner is not None else prospects.exclude(owner__isnull=True)
    with transaction.atomic():
        ids = list(changing.values_list("pk", flat=True))
        if not ids:
            return 0
        Prospect.objects.filter(pk__in=ids).update(owner=owner, updated_at=timezone.now())
        event_record(
            events.PROSPECT_ASSIGNED,
            message=f"{len(ids)} prospect(s) assigned to {_user_label(owner)}",
            data={"prospect_ids": ids[:1000], "count": len(ids), "owner_id": new},
            by=by,
        )
        if owner is not None and not _is_same_user(owner, by):
            first = list(Prospect.objects.filter(pk__in=ids[:5]))
            why = f"assigned by {_user_label(by) if isinstance(by, AbstractBaseUser) else by}"
            transaction.on_commit(lambda: assignment_notify(user=owner, prospects=first, why=why, count=len(ids)))
    return len(ids)


def _is_same_user(owner, by) -> bool:
    return isinstance(by, AbstractBaseUser) and by.pk == owner.pk


# --- the rule for new positive replies ----------------------------------------------------


def round_robin_next(*, cursor: str = POSITIVE_REPLIES_CURSOR):
    """The next user in turn, or None when nobody is in the group; advances the cursor.

    The cursor row is locked for the read and the write (``select_for_update``), so
    replies handled at the same moment by several workers each get the next person.
    """
    with transaction.atomic():
        row, _ = AssignmentCursor.objects.select_for_update().get_or_create(name=cursor)
        candidates = list(round_robin_candidates())
        if not candidates:
            return None
        after = row.last_user_id or 0
        chosen = next((user for user in candidates if user.pk > after), candidates[0])
        AssignmentCursor.objects.filter(pk=row.pk).update(last_user_id=chosen.pk, turns=row.turns + 1)
    return chosen


def owner_for_new_positive_reply(*, prospect: Prospect, rule: str | None = None) -> Assignment:
    """Who answers a positive reply of ``prospect`` (see the module docstring); advances the
    round-robin only when it is the round-robin that decides."""
    rule = rule or assignment_rule()
    if prospect.owner_id is not None and prospect.owner.is_active:
        return Assignment(prospect.owner, "owner")
    if rule == "off":
        return Assignment(None, "off")
    if rule == "hotel_owner" and (owner := hotel_owner(prospect)) is not None:
        return Assignment(owner, "hotel")
    owner = round_robin_next()
    return Assignment(owner, "round_robin" if owner else "nobody")


def prospect_assign_for_positive_reply(
    *, prospect: Prospect, reply_id: int, by=SYSTEM_ACTOR, notify_owner: bool = True
) -> Assignment:
    """The replies side's hook: a positive reply of ``prospect`` arrived (or was corrected to
    one); give the prospect an owner by the rule and tell them. ``notify_owner`` False: an
    owner already in place is not told again (a correction of a reply they were told of)."""
    prospect = Prospect.objects.select_related("owner").get(pk=prospect.pk)
    assignment = owner_for_new_positive_reply(prospect=prospect)
    why = f"a positive reply (#{reply_id})"
    if assignment.owner is None:
        return assignment
    if assignment.how == "owner":
        if notify_owner:
            owner = assignment.owner
            transaction.on_commit(lambda: assignment_notify(user=owner, prospects=[prospect], why=why))
        return assignment
    prospect_assign(prospect=prospect, owner=assignment.owner, by=by, reason=f"{why}, {assignment.how}")
    return assignment


# --- telling the owner ---------------------------------------------------------------------


def _prospect_url(prospect: Prospect) -> str:
    path = reverse("admin:prospects_prospect_change", args=[prospect.pk])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def assignment_notify(*, user, prospects: list[Prospect], why: str, count: int | None = None) -> None:
    """Tell ``user`` they have new prospects, by the live setting ASSIGNMENT_NOTIFY (after the commit)."""
    how = _live("ASSIGNMENT_NOTIFY", "alert", NOTIFY_CHOICES)
    if how == "none" or not prospects:
        return
    count = count or len(prospects)
    first = prospects[0]
    subject = f"Jengu: {first.company_name} is yours" if count == 1 else f"Jengu: {count} prospects are yours"
    lines = [f"{p} — {_prospect_url(p)}" for p in prospects[:5]]
    more = [f"… and {count - len(lines)} more"] if count > len(lines) else []
    if how in ("alert", "both"):
        text = f"@{user.get_username()} {subject.removeprefix('Jengu: ')} ({why}): {lines[0]}"
        key = f"assignment:{user.pk}:{first.pk}:{why}"[:200]
        alert_send(key=key, text=text)
    if how in ("email", "both"):
        if not user.email:
            logger.info("assignment: %s has no email address; not emailed", user.get_username())
            return
        body = "\n".join([f"Hello {user.get_short_name() or user.get_username()},", "", f"{why}:", "", *lines, *more])
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("assignment: email to %s failed: %s", user.get_username(), type(exc).__name__)
            event_record(
                events.ASSIGNMENT_NOTIFY_FAILED,
                level="warning",
                message=f"could not email {user.get_username()} about an assignment ({type(exc).__name__})",
                data={"user_id": user.pk, "prospect_id": first.pk},
                by=SYSTEM_ACTOR,
            )
