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
from django.db import IntegrityError
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


def inbox_turn_give_back(inbox: Inbox, now: datetime.datetime) -> None:
    """A turn that sent nothing: the inbox may take the next one as soon as there is work."""
    Inbox.objects.filter(pk=inbox.pk).update(next_send_at=now)
    inbox.next_send_at = now


def inbox_day(inbox: Inbox, day: datetime.date) -> InboxDay:
    try:
        # the cap (a callable: computed only when the day's row is created) is stored with the first send
        row, _ = InboxDay.objects.get_or_create(
            inbox=inbox, day=day, defaults={"cap": lambda: inbox_cap_on(inbox, day)}
        )
    except IntegrityError:  # another sender created it a moment ago
        row = InboxDay.objects.get(inbox=inbox, day=day)
    return row


def inbox_slot_claim(inbox: Inbox, day: datetime.date) -> InboxDay | None:
    """Take one of the day's slots: one conditional UPDATE, so concurrent senders never pass the cap.

    Returns the day's row as it is after the claim (``sent`` counts this send), or None."""
    row = inbox_day(inbox, day)
    if not InboxDay.objects.filter(pk=row.pk, sent__lt=F("cap")).update(sent=F("sent") + 1):
        return None
    row.sent += 1  # what the UPDATE wrote, unless another sender took a slot in between: shown, not enforced
    return row


def inbox_slot_release(inbox: Inbox, day: datetime.date) -> None:
    InboxDay.objects.filter(inbox=inbox, day=day, sent__gt=0).update(sent=F("sent") - 1)
