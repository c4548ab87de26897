"""The scripted stories: the steps a demo prospect went through to reach its stage.

Contract: ``StoryTeller.story(stage, campaign)`` draws, from the dice's current stream,
a ``Story``: the steps (start enrichment, finish research, queue, send, follow up, a
reply and what it led to, won or lost…) with the gap between each and the one before,
and the time between the last step and now. A story holds no times of day and touches
no database: ``calendar.solve`` gives each step its moment, ``writer`` turns the steps
into rows and transitions. ``stage_counts`` spreads a batch over the stages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jengu.demo.catalogue import NOT_INTERESTED
from jengu.demo.dice import DAY, HOUR, MINUTE, Dice
from jengu.demo.intents import INTENTS
from outreach.models import Campaign
from prospects.models import ProspectStage
from replies.models import Intent

S = ProspectStage

# How a batch of 240 spreads over the stages (scaled for other sizes; at least 3 each
# once there are 48 or more prospects): a realistic funnel, most prospects contacted.
STAGE_WEIGHTS = {
    S.NEW: 24,
    S.ENRICHING: 6,
    S.ENRICHED: 18,
    S.RESEARCHING: 6,
    S.READY: 16,
    S.COMPOSING: 5,
    S.COMPOSED: 14,
    S.QUEUED: 14,
    S.SENDING: 5,
    S.SENT: 5,
    S.CONTACTED: 56,
    S.ENGAGED: 14,
    S.REPLIED: 14,
    S.MEETING: 10,
    S.WON: 7,
    S.LOST: 26,
}
# how a lost prospect got lost, with weights
LOST_PATHS = [
    ("duplicate", 2),
    ("closed", 1),
    ("no_email", 3),
    ("group_buys", 2),
    ("no_reply", 5),
    ("bounce", 3),
    ("spam", 1),
    ("unsubscribe", 3),
    ("not_interested", 4),
    ("after_meeting", 2),
]
AFTER_MEETING = [
    "chose a competitor after the demo",
    "budget frozen until next year",
    "owner decided to wait until after the renovation",
]
RELEASED = "worker stopped; claim released by the sweeper"

# step, stage it reaches, seconds since the previous step
PIPELINE = [
    ("start_enrichment", S.ENRICHING, (10 * MINUTE, 14 * HOUR)),
    ("finish_enrichment", S.ENRICHED, (20, 4 * MINUTE)),
    ("start_research", S.RESEARCHING, (2 * MINUTE, 10 * HOUR)),
    ("finish_research", S.READY, (30, 3 * MINUTE)),
    ("start_composing", S.COMPOSING, (MINUTE, 6 * HOUR)),
    ("finish_composing", S.COMPOSED, (10, MINUTE)),
    ("queue", S.QUEUED, (5, 2 * MINUTE)),
]


def stage_counts(total: int) -> dict[str, int]:
    """How many prospects per stage: at least 3 each (when total allows), the rest by weight."""
    floor = min(3, total // len(STAGE_WEIGHTS))
    rest = total - floor * len(STAGE_WEIGHTS)
    weight_sum = sum(STAGE_WEIGHTS.values())
    quotas = {stage: rest * weight / weight_sum for stage, weight in STAGE_WEIGHTS.items()}
    counts = {stage: floor + int(quota) for stage, quota in quotas.items()}
    leftover = total - sum(counts.values())
    for stage in sorted(quotas, key=lambda s: quotas[s] - int(quotas[s]), reverse=True)[:leftover]:
        counts[stage] += 1
    return counts


@dataclass
class Step:
    kind: str
    gap: dt.timedelta  # time since the previous step (since creation for the first one)
    window: str = ""  # "send": the sender's business hours and an inbox slot; "reply": local waking hours
    data: dict = field(default_factory=dict)
    at: dt.datetime | None = None


@dataclass
class Story:
    stage: str
    steps: list[Step]
    final_gap: dt.timedelta  # time between the last step and now
    path: str = ""
    created_at: dt.datetime | None = None


def follow_up_offsets(campaign: Campaign) -> list[int]:
    """Days after the first email on which the campaign's emails go out (0 first)."""
    days = campaign.follow_up_days if isinstance(campaign.follow_up_days, list) else []
    days = sorted(d for d in days if isinstance(d, int) and d > 0) or [3, 7, 14]
    return [0, *days]


class StoryTeller:
    """Draws stories; one method per stage (or family of stages), built from shared pieces."""

    def __init__(self, dice: Dice):
        self.dice = dice

    def story(self, stage: str, campaign: Campaign, allow_failure: bool = True) -> Story:
        self.campaign = campaign
        if stage in (S.ENRICHING, S.RESEARCHING, S.COMPOSING):
            return Story(stage, self._pipeline(stage), self.dice.secs(20, 4 * MINUTE))
        if stage == S.QUEUED:
            return self._queued(allow_failure)
        tell = {
            S.NEW: self._new,
            S.ENRICHED: self._enriched,
            S.READY: self._ready,
            S.COMPOSED: self._composed,
            S.SENDING: self._sending,
            S.SENT: self._sent,
            S.CONTACTED: self._contacted,
            S.ENGAGED: self._engaged,
            S.REPLIED: self._replied,
            S.MEETING: self._meeting_booked,
            S.WON: self._won,
            S.LOST: self._lost,
        }
        if stage not in tell:
            raise ValueError(stage)
        return tell[stage]()

    # -- pieces -------------------------------------------------------------------------
    def _pipeline(self, upto: str) -> list[Step]:
        steps = []
        for kind, reached, (low, high) in PIPELINE:
            if kind == "queue" and self.campaign.requires_approval:
                low, high = 2 * HOUR, 30 * HOUR  # a person approved the draft
            steps.append(Step(kind, self.dice.secs(low, high)))
            if reached == upto:
                return steps
        raise ValueError(upto)

    def _send(self, until: str) -> Step:
        return Step("send", self.dice.secs(20 * MINUTE, 30 * HOUR), "send", {"until": until})

    def _contact(self, follow_ups: int) -> list[Step]:
        offsets = follow_up_offsets(self.campaign)
        steps = [*self._pipeline(S.QUEUED), self._send(S.CONTACTED)]
        for n in range(1, min(follow_ups, len(offsets) - 1) + 1):
            gap = dt.timedelta(days=offsets[n] - offsets[n - 1]) + self.dice.secs(0, 20 * HOUR)
            steps.append(Step("follow_up", gap, "send", {"step": n + 1}))
        return steps

    def _reply(self, intent: str, then: str = "", reason: str = "", gap: dt.timedelta | None = None) -> Step:
        low, high = INTENTS[intent].velocity
        window = "" if intent == Intent.OUT_OF_OFFICE else "reply"
        data = {"intent": intent, "then": then, "reason": reason}
        return Step("reply", gap or self.dice.secs(low, high), window, data)

    def _our_reply(self) -> Step:
        return Step("our_reply", self.dice.secs(45 * MINUTE, 20 * HOUR), "send")

    def _some_follow_ups(self) -> int:
        return self.dice.weighted([(0, 50), (1, 30), (2, 15), (3, 5)])

    def _meeting(self) -> list[Step]:
        steps = self._contact(self._some_follow_ups())
        if self.dice.rng.random() < 0.4:
            return [*steps, self._reply(Intent.MEETING_REQUEST, "book_meeting")]
        return [
            *steps,
            self._reply(Intent.INTERESTED, "mark_replied"),
            self._our_reply(),
            self._reply(Intent.MEETING_REQUEST, "book_meeting"),
        ]

    def _released(self, start: str, release: str, gap: tuple[float, float]) -> list[Step]:
        """A worker claimed the prospect and stopped; the sweeper released the claim."""
        return [
            Step(start, self.dice.secs(*gap)),
            Step(release, self.dice.secs(6 * MINUTE, 9 * MINUTE), data={"reason": RELEASED}),
        ]

    # -- before the first email -----------------------------------------------------------
    def _new(self) -> Story:
        steps = []
        if self.dice.rng.random() < 0.15:
            steps = self._released("start_enrichment", "release_enrichment", (10 * MINUTE, 6 * HOUR))
        return Story(S.NEW, steps, self.dice.secs(10 * MINUTE, 5 * DAY))

    def _enriched(self) -> Story:
        steps = self._pipeline(S.ENRICHED)
        if self.dice.rng.random() < 0.1:
            steps += self._released("start_research", "release_research", (2 * MINUTE, 10 * HOUR))
        return Story(S.ENRICHED, steps, self.dice.secs(5 * MINUTE, 2 * DAY))

    def _ready(self) -> Story:
        return Story(S.READY, self._pipeline(S.READY), self.dice.secs(5 * MINUTE, DAY))

    def _composed(self) -> Story:
        waiting = (HOUR, 3 * DAY) if self.campaign.requires_approval else (MINUTE, 20 * HOUR)
        return Story(S.COMPOSED, self._pipeline(S.COMPOSED), self.dice.secs(*waiting))

    def _queued(self, allow_failure: bool) -> Story:
        steps = self._pipeline(S.QUEUED)
        if allow_failure and self.dice.rng.random() < 0.25:
            steps.append(Step("send_fail", self.dice.secs(20 * MINUTE, 20 * HOUR), "send"))
        return Story(S.QUEUED, steps, self.dice.secs(5 * MINUTE, 20 * HOUR))

    def _sending(self) -> Story:
        return Story(S.SENDING, [*self._pipeline(S.QUEUED), self._send(S.SENDING)], self.dice.secs(5, 50))

    def _sent(self) -> Story:
        return Story(S.SENT, [*self._pipeline(S.QUEUED), self._send(S.SENT)], self.dice.secs(10, 90))

    # -- after it -------------------------------------------------------------------------
    def _contacted(self) -> Story:
        secs = self.dice.secs
        offsets = follow_up_offsets(self.campaign)
        sent = min(self.dice.weighted([(0, 35), (1, 30), (2, 20), (3, 15)]), len(offsets) - 1)
        steps = self._contact(sent)
        if sent >= len(offsets) - 1:
            return Story(S.CONTACTED, steps, secs(HOUR, 6 * DAY))
        interval = (offsets[sent + 1] - offsets[sent]) * DAY
        if self.dice.rng.random() < 0.2:  # the next follow-up is written and waits for the sender
            steps.append(Step("follow_up_queued", secs(interval, interval + 4 * HOUR), data={"step": sent + 2}))
            return Story(S.CONTACTED, steps, secs(10 * MINUTE, 5 * HOUR))
        return Story(S.CONTACTED, steps, secs(HOUR, interval - 2 * HOUR))

    def _engaged(self) -> Story:
        intent = self.dice.weighted([(Intent.OUT_OF_OFFICE, 35), (Intent.DELEGATED, 35), (Intent.NEEDS_MORE_INFO, 30)])
        steps = [*self._contact(self._some_follow_ups()), self._reply(intent, "mark_engaged")]
        return Story(S.ENGAGED, steps, self.dice.secs(HOUR, 5 * DAY))

    def _replied(self) -> Story:
        steps = self._contact(self._some_follow_ups())
        if self.dice.rng.random() < 0.3:  # away first, then a real answer on return
            steps += [
                self._reply(Intent.OUT_OF_OFFICE, "mark_engaged"),
                self._reply(Intent.INTERESTED, "mark_replied", gap=self.dice.secs(2 * DAY, 8 * DAY)),
            ]
        else:
            intent = self.dice.weighted([(Intent.INTERESTED, 3), (Intent.NEEDS_MORE_INFO, 1)])
            steps.append(self._reply(intent, "mark_replied"))
        if self.dice.rng.random() < 0.6:
            steps.append(self._our_reply())
        return Story(S.REPLIED, steps, self.dice.secs(HOUR, 4 * DAY))

    def _meeting_booked(self) -> Story:
        return Story(S.MEETING, self._meeting(), self.dice.secs(HOUR, 6 * DAY))

    def _won(self) -> Story:
        secs = self.dice.secs
        if self.dice.rng.random() < 0.85:
            steps = [*self._meeting(), Step("mark_won", secs(3 * DAY, 14 * DAY))]
        else:
            steps = [
                *self._contact(self._some_follow_ups()),
                self._reply(Intent.INTERESTED, "mark_replied"),
                self._our_reply(),
                Step("mark_won", secs(5 * DAY, 18 * DAY)),
            ]
        return Story(S.WON, steps, secs(HOUR, 12 * DAY))

    def _lost(self) -> Story:
        path = self.dice.weighted(LOST_PATHS)
        steps = getattr(self, f"_lost_{path}")()
        return Story(S.LOST, steps, self.dice.secs(HOUR, 15 * DAY), path=path)

    def _lost_step(self, reason: str, low: float, high: float) -> Step:
        return Step("mark_lost", self.dice.secs(low, high), data={"reason": reason})

    def _lost_duplicate(self) -> list[Step]:
        return [self._lost_step("duplicate of a prospect already in the pipeline", HOUR, 2 * DAY)]

    def _lost_closed(self) -> list[Step]:
        return [self._lost_step("hotel closed for renovation until next season", HOUR, 2 * DAY)]

    def _lost_no_email(self) -> list[Step]:
        reason = "no verifiable email address for the general manager"
        return [*self._pipeline(S.ENRICHED), self._lost_step(reason, 10 * MINUTE, DAY)]

    def _lost_group_buys(self) -> list[Step]:
        reason = "vendor decisions are made by the group, not the hotel"
        return [*self._pipeline(S.READY), self._lost_step(reason, HOUR, 2 * DAY)]

    def _lost_no_reply(self) -> list[Step]:
        emails = len(follow_up_offsets(self.campaign))
        return [*self._contact(emails - 1), self._lost_step(f"no reply after {emails} emails", 5 * DAY, 10 * DAY)]

    def _lost_bounce(self) -> list[Step]:
        return [*self._contact(0), Step("bounce", self.dice.secs(20, 10 * MINUTE))]

    def _lost_spam(self) -> list[Step]:
        return [*self._contact(self.dice.rng.randint(0, 1)), Step("spam", self.dice.secs(2 * HOUR, 2 * DAY))]

    def _lost_unsubscribe(self) -> list[Step]:
        return [
            *self._contact(self.dice.rng.randint(0, 2)),
            self._reply(Intent.UNSUBSCRIBE, "mark_lost", "asked to be removed from our emails"),
        ]

    def _lost_not_interested(self) -> list[Step]:
        steps = self._contact(self.dice.rng.randint(0, 2))
        gap = None
        if self.dice.rng.random() < 0.3:
            steps.append(self._reply(Intent.OUT_OF_OFFICE, "mark_engaged"))
            gap = self.dice.secs(2 * DAY, 8 * DAY)
        why = self.dice.rng.randrange(len(NOT_INTERESTED))
        steps.append(
            self._reply(Intent.NOT_INTERESTED, "mark_lost", f"not interested: {NOT_INTERESTED[why][0]}", gap=gap)
        )
        steps[-1].data["variant"] = why
        return steps

    def _lost_after_meeting(self) -> list[Step]:
        reason = self.dice.rng.choice(AFTER_MEETING)
        return [*self._meeting(), self._lost_step(reason, 4 * DAY, 20 * DAY)]
