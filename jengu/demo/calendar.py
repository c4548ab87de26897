"""When the demo's things happened: sends in the sender's hours with warmup room, replies in waking hours.

Contract: ``solve(story, …)`` walks a story back from now and gives each step its
moment. A send (first email, follow-up, our answer to a reply) is placed at the latest
moment not after where the walk stands that

* the sender would send at: local business hours where the prospect is (Mon–Sat
  08:00–18:00 local), and
* an inbox had room for, under its warmup cap on the day of the claim, counted in the
  project's time zone exactly as the sender counts it (``InboxSlots``).

A reply from a person lands between 07:00 and 21:00 local; an automatic one whenever.
``solve`` returns False (and gives its slots back) when the inbox had no room early
enough; the batch then tries another inbox.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from django.utils import timezone

from jengu.demo.dice import HOUR, Dice
from jengu.demo.stories import Story
from outreach.models import Inbox, InboxDay
from outreach.selectors import inbox_warmup_cap


def open_now(now: dt.datetime, tz: str) -> bool:
    """Whether a send claimed at ``now`` would fall in the prospect's business hours."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz))
    return 8 <= local.hour < 17 and local.weekday() < 6


class InboxSlots:
    """Which inbox had a free slot on which day, so no generated day passes its warmup cap.

    A slot is counted on the inbox's day of the claim (queued→sending), in the project's
    time zone, exactly as the sender counts it.
    """

    def __init__(self, inboxes: list[Inbox], rows: list[InboxDay], dice: Dice):
        self.dice = dice
        self.sent: Counter = Counter()
        self.caps: dict[tuple[int, dt.date], int] = {}
        self.existing = {(row.inbox_id, row.day): row for row in rows}
        for row in rows:
            self.sent[(row.inbox_id, row.day)] = row.sent
            self.caps[(row.inbox_id, row.day)] = row.cap
        self.touched: set[tuple[int, dt.date]] = set()
        self.app_tz = timezone.get_current_timezone()

    def cap(self, inbox: Inbox, day: dt.date) -> int:
        key = (inbox.pk, day)
        if key not in self.caps:
            self.caps[key] = inbox_warmup_cap(inbox, day)
        return self.caps[key]

    def _evening(self, local: dt.datetime) -> dt.datetime:
        rng = self.dice.rng
        return local.replace(hour=17, minute=rng.randint(0, 59), second=rng.randint(0, 59))

    def reserve(self, at: dt.datetime, tz: zoneinfo.ZoneInfo, inbox: Inbox) -> dt.datetime | None:
        """The latest moment not after ``at`` in local business hours with a free slot; takes it."""
        local = at.astimezone(tz)
        for _ in range(2000):
            if local.hour < 8 or local.weekday() == 6:
                local = self._evening(local - dt.timedelta(days=1))
                continue
            if local.hour >= 18:
                local = self._evening(local)
                continue
            day = self.day_of(local)
            if day < inbox.warmup_started_on:
                return None
            key = (inbox.pk, day)
            if self.sent[key] < self.cap(inbox, day):
                self.sent[key] += 1
                self.touched.add(key)
                return local.astimezone(dt.UTC)
            start_of_day = dt.datetime.combine(day, dt.time(), tzinfo=self.app_tz)
            local = (start_of_day - dt.timedelta(seconds=self.dice.rng.randint(60, 3 * HOUR))).astimezone(tz)
        return None

    def day_of(self, moment: dt.datetime) -> dt.date:
        """The day a claim at ``moment`` counts on: the project's time zone, as the sender counts."""
        return timezone.localtime(moment, self.app_tz).date()

    def give_back(self, taken: list[tuple[int, dt.date]]):
        for key in taken:
            self.sent[key] -= 1


def waking_hours(at: dt.datetime, tz: zoneinfo.ZoneInfo, dice: Dice) -> dt.datetime:
    """The latest moment not after ``at`` between 07:00 and 21:00 local: when a person answers."""
    local = at.astimezone(tz)
    if local.hour < 7:
        local = (local - dt.timedelta(days=1)).replace(hour=20, minute=dice.rng.randint(0, 59))
    elif local.hour >= 21:
        local = local.replace(hour=20, minute=dice.rng.randint(0, 59))
    return local.astimezone(dt.UTC)


def solve(story: Story, *, now: dt.datetime, tz: zoneinfo.ZoneInfo, inbox: Inbox, slots: InboxSlots) -> bool:
    """Give each step a time, walking back from now; sends take a slot. False: no room, nothing kept."""
    taken = []
    at = now - story.final_gap
    for step in reversed(story.steps):
        if step.window == "send":
            slot = slots.reserve(at, tz, inbox)
            if slot is None:
                slots.give_back(taken)
                return False
            at = slot
            taken.append((inbox.pk, slots.day_of(slot)))
        elif step.window == "reply":
            at = waking_hours(at, tz, slots.dice)
        step.at = at
        at -= step.gap
    story.created_at = at
    return True
