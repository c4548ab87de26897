"""When the demo's things happened: sends when the sender would send, replies in waking hours.

Contract: ``solve(story, …)`` walks a story back from now and gives each step its
moment. A send (first email, follow-up, our answer to a reply) is placed at the latest
moment not after where the walk stands that

* the sender would send at: ``outreach.business_hours``, the one home of that rule
  (09:00–17:00 local on a working day of the prospect's country and region, its
  weekend and public holidays included), for the claim and the seconds after it, and
* an inbox had room for, under the cap the sender enforces that day
  (``outreach.selectors.inbox_cap_on``: warmup figure, jitter, complaint halving), counted
  on the day of the claim in the project's time zone, as the sender counts it (``InboxSlots``).

A reply from a person lands between 07:00 and 21:00 local; an automatic one whenever.
``solve`` returns False (and gives its slots back) when the inbox had no room early
enough; the batch then tries another inbox.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.utils import timezone

from jengu.demo.dice import HOUR, Dice
from jengu.demo.stories import Story
from outreach.business_hours import CLOSE, business_hours_check, prospect_zone
from outreach.models import Inbox, InboxDay
from outreach.selectors import domains_with_halved_caps, inbox_cap_on
from prospects.models import Prospect

# a send's claim is followed within seconds by the sent and the prospect's stage change:
# all of it must fall inside the window
CLAIM_TAKES = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Whereabouts:
    """The three fields of a prospect that business hours read, for a hotel not drawn yet."""

    timezone: str
    country: str
    region: str


def open_now(now: dt.datetime, where: Whereabouts) -> bool:
    """Whether the sender would claim a send there at ``now``."""
    return business_hours_check(where, now).ok


class InboxSlots:
    """Which inbox had a free slot on which day, so no generated day passes its cap.

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
        self.halved: set[str] | None = None
        self.app_tz = timezone.get_current_timezone()

    def cap(self, inbox: Inbox, day: dt.date) -> int:
        """The cap the sender enforces that day (warmup figure, jitter, complaint halving)."""
        key = (inbox.pk, day)
        if key not in self.caps:
            if self.halved is None:  # read once: the complaint rates as they stand before the batch
                self.halved = domains_with_halved_caps()
            self.caps[key] = inbox_cap_on(inbox, day, halved_domains=self.halved)
        return self.caps[key]

    def _last_hour(self, day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
        """A moment in the last hour before closing on ``day``, early enough for the whole send."""
        rng = self.dice.rng
        before = dt.timedelta(minutes=rng.randint(1, 59), seconds=rng.randint(0, 59))
        return dt.datetime.combine(day, CLOSE, tzinfo=zone) - before

    def _outside_hours(self, prospect: Prospect, local: dt.datetime) -> dt.datetime | None:
        """None when the sender would send at ``local``; else the latest earlier moment to try."""
        window = business_hours_check(prospect, local)
        if window.ok and business_hours_check(prospect, local + CLAIM_TAKES).ok:
            return None
        day = local.date()
        if not window.ok and (window.reason != "window" or local.time() < CLOSE):
            day -= dt.timedelta(days=1)  # before opening, a weekend or a holiday: the day before
        return self._last_hour(day, local.tzinfo)

    def reserve(self, at: dt.datetime, prospect: Prospect, inbox: Inbox) -> dt.datetime | None:
        """The latest moment not after ``at`` in the sender's hours with a free slot; takes it."""
        zone = prospect_zone(prospect)
        if zone is None:  # the sender would never send: neither does the demo
            return None
        local = at.astimezone(zone)
        for _ in range(2000):
            if (earlier := self._outside_hours(prospect, local)) is not None:
                local = earlier
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
            local = (start_of_day - dt.timedelta(seconds=self.dice.rng.randint(60, 3 * HOUR))).astimezone(zone)
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


def solve(story: Story, *, now: dt.datetime, prospect: Prospect, inbox: Inbox, slots: InboxSlots) -> bool:
    """Give each step a time, walking back from now; sends take a slot. False: no room, nothing kept."""
    tz = zoneinfo.ZoneInfo(prospect.timezone)
    taken = []
    at = now - story.final_gap
    for step in reversed(story.steps):
        if step.window == "send":
            slot = slots.reserve(at, prospect, inbox)
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
