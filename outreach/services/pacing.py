"""Each inbox sends like one person: its own turns, its own gaps, its own skips, its own cap.

An inbox takes a *turn* when its ``next_send_at`` has come. The turn is claimed with one
conditional UPDATE (``next_send_at`` still due), so however many sender workers run, one
of them gets it; the claim also sets the next turn a random gap later. A turn may pass
without a send (``skip_probability``): a person does not send at machine-regular times.

The gap spreads the inbox's day over the hours it serves: its mean is
``spread_hours × (1 − skip) / (cap × weight)`` — with the default 8 hours, 30 % skips and
a warmed cap of 20, about 17 minutes — drawn uniformly between half and one and a half
times that, and never shorter than ``delay_min``. ``weight`` is the inbox's health ×
reputation (outreach.services.inbox_health): a weak inbox takes fewer turns, so it sends
less before anything pauses it. Inboxes do not wait for each other: every inbox whose
turn has come sends, so the pool's volume grows with the number of inboxes.

A turn that found nothing to send is given back (the inbox is due again at once); a
day's sends are counted on the inbox's ``InboxDay`` row, whose slot is taken with one
conditional UPDATE (``sent < cap``), so no number of concurrent workers passes a cap.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from constance import config
from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import F, Q

from outreach.models import Inbox, InboxDay, InboxState
from outreach.selectors import inbox_cap_on


@dataclass
class Pacing:
    """How each inbox spaces its sends; the demo shortens it, tests set it exactly.

    ``delay_min``: the shortest gap between two sends of one inbox (seconds). With
    ``spread_hours`` the gap spreads the day's cap over that many hours; without, it is
    drawn between ``delay_min`` and ``delay_max``.
    """

    skip_probability: float
    delay_min: float
    delay_max: float
    business_hours: bool = True
    spread_hours: float = 0.0

    @classmethod
    def live(cls) -> Pacing:
        if settings.DEMO_PACING:
            return cls(skip_probability=0.0, delay_min=2.0, delay_max=6.0, business_hours=False)
        return cls(
            skip_probability=float(config.RANDOM_SKIP_PROBABILITY),
            delay_min=float(config.INBOX_MIN_GAP_SECONDS),
            delay_max=float(config.INBOX_MIN_GAP_SECONDS),
            business_hours=settings.SENDING_BUSINESS_HOURS == "enforced",
            spread_hours=float(config.INBOX_SPREAD_HOURS),
        )

    def gap(self, rng: random.Random, *, cap: int, weight: float = 1.0) -> datetime.timedelta:
        """The wait before this inbox's next turn."""
        if self.spread_hours > 0 and cap > 0:
            mean = self.spread_hours * 3600 * (1 - self.skip_probability) / (cap * max(weight, 0.05))
            seconds = max(self.delay_min, rng.uniform(0.5 * mean, 1.5 * mean))
        else:
            seconds = rng.uniform(self.delay_min, max(self.delay_min, self.delay_max))
        return datetime.timedelta(seconds=seconds)


def inbox_weight(inbox: Inbox) -> float:
    """How much of its cap an inbox is trusted to use: health × reputation, never below 0.05."""
    return max(0.05, float(inbox.health_score) * float(inbox.reputation_score))


def inbox_turn_claim(inbox: Inbox, now: datetime.datetime, gap: datetime.timedelta) -> bool:
    """Take the inbox's turn if it has come (one conditional UPDATE: one worker wins) and set the next."""
    due = Q(next_send_at__isnull=True) | Q(next_send_at__lte=now)
    claimed = Inbox.objects.filter(due, pk=inbox.pk, state=InboxState.ACTIVE).update(next_send_at=now + gap)
    if claimed:
        inbox.next_send_at = now + gap
    return bool(claimed)


@dataclass
class TurnClaim:
    """An inbox's turn, claimed by the turn's first write: in the transaction that claims
    the email when the turn sends, just before the decision when it does not (a turn that
    finds nothing to do writes nothing)."""

    inbox: Inbox
    now: datetime.datetime
    gap: datetime.timedelta
    claimed: bool = False
    _before: datetime.datetime | None = None

    def claim(self) -> bool:
        """Claim the turn (once); False when another worker has it."""
        if not self.claimed:
            self._before = self.inbox.next_send_at
            self.claimed = inbox_turn_claim(self.inbox, self.now, self.gap)
        return self.claimed

    def rolled_back(self, claimed_before: bool) -> None:
        """The transaction that claimed the turn was rolled back, and the claim with it."""
        if self.claimed and not claimed_before:
            self.claimed = False
            self.inbox.next_send_at = self._before


def inbox_turn_give_back(inbox: Inbox, now: datetime.datetime) -> None:
    """A turn that sent nothing: the inbox may take the next one as soon as there is work."""
    Inbox.objects.filter(pk=inbox.pk).update(next_send_at=now)
    inbox.next_send_at = now


def inbox_day(inbox: Inbox, day: datetime.date) -> InboxDay:
    # the cap (a callable: computed only when the day's row is created) is stored with the
    # first send; a turn that computed it a moment ago left it on the inbox (``cap_new_day``)
    known = getattr(inbox, "cap_new_day", None)
    cap = known[1] if known and known[0] == day else None
    try:
        row, _ = InboxDay.objects.get_or_create(
            inbox=inbox, day=day, defaults={"cap": lambda: cap if cap is not None else inbox_cap_on(inbox, day)}
        )
    except IntegrityError:  # another sender created it a moment ago
        row = InboxDay.objects.get(inbox=inbox, day=day)
    return row


def inbox_slot_claim(inbox: Inbox, day: datetime.date) -> InboxDay | None:
    """Take one of the day's slots: one conditional UPDATE, so concurrent senders never pass the cap.

    Returns the day's row as the UPDATE left it (``sent`` counts this send), or None. The
    UPDATE comes first; the day's row is created (its cap computed) only when it matched
    nothing, which is once a day per inbox, or when the cap is used up."""
    taken = _slot_update(inbox.pk, day)
    if taken is None:
        inbox_day(inbox, day)  # the first send of the day creates the row; at the cap this reads it
        taken = _slot_update(inbox.pk, day)
    if taken is None:
        return None
    pk, sent, cap = taken
    return InboxDay(pk=pk, inbox=inbox, day=day, sent=sent, cap=cap)


def _slot_update(inbox_id: int, day: datetime.date) -> tuple[int, int, int] | None:
    """``sent + 1`` where ``sent < cap``, returning the row's id, sent and cap (PostgreSQL and
    SQLite 3.35+ both return them; the ORM's update() gives only a count)."""
    quote = connection.ops.quote_name
    table, sent, cap = quote(InboxDay._meta.db_table), quote("sent"), quote("cap")
    sql = (
        f"UPDATE {table} SET {sent} = {sent} + 1 "  # noqa: S608 (our table's and columns' names)
        f"WHERE {quote('inbox_id')} = %s AND {quote('day')} = %s AND {sent} < {cap} "
        f"RETURNING {quote('id')}, {sent}, {cap}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [inbox_id, connection.ops.adapt_datefield_value(day)])
        return cursor.fetchone()


def inbox_slot_release(inbox: Inbox, day: datetime.date) -> None:
    InboxDay.objects.filter(inbox=inbox, day=day, sent__gt=0).update(sent=F("sent") - 1)
