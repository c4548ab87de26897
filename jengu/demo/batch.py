"""One demo batch: draw the hotels and their stories, place them in time, write them.

Contract: ``seed_batch(total=…, seed=…)`` adds ``total`` prospects spread over every
stage (``stories.stage_counts``) and returns a ``Seeded`` summary. The caller holds
the transaction (the command runs it in one, so the batch is written completely or
not at all). Campaigns and inboxes are found by name / address (get_or_create);
InboxDay counters are topped up, never beyond the day's cap. On an empty database a
seed always gives the same hotels, people and stages; a later batch draws from the
seed and the number of prospects already there, so nothing repeats.

The product's own services write what they own: the state machine every transition,
``suppression_add`` every suppression,
the composer (``email_draft``, offline template path) every email still waiting to go
out, the inbox-health job the inboxes' scores, ``event_record`` the audit event.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from infra.events import event_record
from jengu.demo.calendar import InboxSlots, open_now, solve
from jengu.demo.catalogue import CAMPAIGNS, COUNTRY_BY_CODE, INBOX_WEIGHTS, INBOXES, POSTAL_ADDRESS, SUPPRESSED_DOMAINS
from jengu.demo.dice import DAY, HOUR, MINUTE, Dice
from jengu.demo.events import DEMO_SEEDED
from jengu.demo.hotels import Hotels, Taken
from jengu.demo.intents import MISREAD
from jengu.demo.stories import StoryTeller, stage_counts
from jengu.demo.writer import ACTOR, Plan, StoryWriter
from outreach.models import Campaign, Email, EmailStatus, Inbox, InboxDay, Suppression
from outreach.services.inbox_health import inbox_scores_compute
from prospects.models import CompanyType, Prospect, ProspectStage
from replies.models import CalibrationHistory

S = ProspectStage


@dataclass
class Seeded:
    """What a batch wrote: per stage, per kind of row, and the inboxes' day."""

    stages: dict[str, int]
    totals: dict[str, int]
    inboxes: list[Inbox]
    slots: InboxSlots


class DemoBatch:
    """Plans one batch in memory, then writes it with a handful of bulk inserts plus the transitions."""

    def __init__(self, *, dice: Dice, now: dt.datetime, campaigns: list[Campaign], inboxes: list[Inbox], slots, taken):
        self.dice = dice
        self.now = now
        self.campaigns = campaigns
        self.inboxes = inboxes
        self.slots: InboxSlots = slots
        self.plan = Plan()
        self.hotels = Hotels(dice, taken, lambda where: open_now(now, where))
        self.teller = StoryTeller(dice)
        self.writer = StoryWriter(dice=dice, plan=self.plan, hotels=self.hotels, taken=taken, now=now)

    def add(self, stage: str):
        # Two random streams per prospect, both drawn from the batch's generator: who the
        # hotel is never depends on how its story's times fell (that varies with the clock).
        identity, story_stream = (random.Random(self.dice.master.getrandbits(64)) for _ in range(2))
        self.dice.rng = identity
        country, city, prospect, ctx = self.hotels.draw(stage)
        self.dice.rng = story_stream
        campaign = self.campaigns[1] if prospect.company_type == CompanyType.INDEPENDENT else self.campaigns[0]
        rng = self.dice.rng
        order = rng.choices(range(len(self.inboxes)), weights=INBOX_WEIGHTS[: len(self.inboxes)])
        order += [i for i in rng.sample(range(len(self.inboxes)), len(self.inboxes)) if i not in order]
        for _attempt in range(3):  # a long story may not fit the inboxes' warmup: draw it again
            story = self.teller.story(stage, campaign)
            inbox = next((self.inboxes[i] for i in order if self._solve(story, prospect, self.inboxes[i])), None)
            if inbox:
                break
        else:
            # no inbox had room early enough (a very large batch): the prospect waits in the queue
            inbox = self.inboxes[order[0]]
            story = self.teller.story(S.QUEUED, campaign, allow_failure=False)
            self._solve(story, prospect, inbox)
        self.writer.write(prospect, ctx, story, campaign=campaign, inbox=inbox, country=country, city=city)

    def _solve(self, story, prospect, inbox) -> bool:
        return solve(story, now=self.now, prospect=prospect, inbox=inbox, slots=self.slots)

    def manual_suppressions(self):
        """A few rows an operator added by hand: vendors, a group, a GDPR erasure."""
        self.dice.rng = self.dice.master
        suppress = self.writer.suppress
        for domain, why in self.dice.rng.sample(SUPPRESSED_DOMAINS, 2):
            suppress(Suppression.Kind.DOMAIN, domain, Suppression.Reason.MANUAL, f"admin: {why}", self._past())
        first, last, _, _ = self.hotels.person(COUNTRY_BY_CODE["GB"])
        erased = self.hotels.address(first, last, "erased-guest-house.example")
        row = suppress(Suppression.Kind.ADDRESS, erased, Suppression.Reason.ERASURE, "GDPR request", self._past())
        if row:
            row.erased = True  # of an erased person only the hash is kept

    def _past(self) -> dt.datetime:
        return self.now - self.dice.secs(DAY, 40 * DAY)

    def calibrations(self, reviewer) -> list[CalibrationHistory]:
        """Corrections a reviewer made to low-confidence readings (the reply keeps the right intent)."""
        candidates = sorted((r for r in self.plan.replies if r.intent in MISREAD), key=lambda r: r.confidence)
        return [
            CalibrationHistory(
                reply=reply,
                predicted_intent=MISREAD[reply.intent],
                predicted_confidence=reply.confidence,
                corrected_intent=reply.intent,
                corrected_by=reviewer,
                created_at=reply.processed_at + self.dice.secs(20 * MINUTE, 20 * HOUR),
            )
            for reply in candidates[: max(3, len(self.plan.replies) // 15)]
        ]

    def save(self, reviewer) -> dict[str, int]:
        plan = self.plan
        plan.save()
        calibrations = CalibrationHistory.objects.bulk_create(self.calibrations(reviewer))
        self._save_inbox_days()
        composed = compose_queued([e.pk for e in plan.emails])
        return {
            "prospects": len(plan.prospects),
            "job postings": len(plan.postings),
            "research reports": len(plan.reports),
            "emails": len(plan.emails),
            "replies": len(plan.replies),
            "calibrations": len(calibrations),
            "suppressions": len(plan.suppressions),
            "transitions": len(plan.events),
            "queued emails written by the composer": composed,
        }

    def _save_inbox_days(self):
        slots = self.slots
        today = timezone.localdate()
        # a day gets a row when a send claimed a slot on it (and today, for every inbox)
        keys = {key for key in slots.touched if slots.sent[key]} | {(inbox.pk, today) for inbox in self.inboxes}
        by_pk = {inbox.pk: inbox for inbox in self.inboxes}
        new_rows, changed = [], []
        for inbox_pk, day in sorted(keys, key=lambda k: (k[1], k[0])):
            row = slots.existing.get((inbox_pk, day))
            if row is None:
                cap = slots.cap(by_pk[inbox_pk], day)
                new_rows.append(InboxDay(inbox_id=inbox_pk, day=day, cap=cap, sent=slots.sent[(inbox_pk, day)]))
            elif row.sent != slots.sent[(inbox_pk, day)]:
                row.sent = slots.sent[(inbox_pk, day)]
                changed.append(row)
        InboxDay.objects.bulk_create(new_rows)
        InboxDay.objects.bulk_update(changed, ["sent"])


def compose_queued(email_ids: list[int]) -> int:
    """The emails still waiting to go out are written by the product's composer (template path).

    The stories write the history; what the sender will send next is exactly what the
    pipeline would have queued, gate results included, so the demo never shows an email
    the product would not write.
    """
    from outreach.services.composition import email_draft
    from outreach.services.follow_ups import angle_for_step, first_email_of

    queued = Email.objects.filter(pk__in=email_ids, status=EmailStatus.QUEUED)
    written = 0
    for email in queued.select_related("prospect", "campaign").order_by("pk"):
        step = email.sequence_step or 1
        draft = email_draft(
            prospect=email.prospect,
            campaign=email.campaign,
            step=step,
            angle="first" if step == 1 else angle_for_step(email.campaign, step),
            first_email=first_email_of(email.prospect_id) if step > 1 else None,
            providers=[],  # the offline template path, as with no AI key
        )
        Email.objects.filter(pk=email.pk).update(
            subject=draft.subject,
            body=draft.body,
            language=draft.language,
            written_by=Email.Author.TEMPLATE,
            subject_variant=draft.subject_variant,
            spam_score=draft.spam_score,
            readability_score=draft.readability_score,
            gate_results=draft.gate_results(),
        )
        written += 1
    return written


def ensure_campaigns() -> list[Campaign]:
    campaigns = [
        Campaign.objects.get_or_create(
            name=spec["name"],
            defaults={**spec, "sender_name": "Edd Chen", "language": "en", "postal_address": POSTAL_ADDRESS},
        )[0]
        for spec in CAMPAIGNS
    ]
    # new ready prospects are composed for the default campaign: the first one, unless one is set
    if not Campaign.objects.filter(is_default=True).exists():
        Campaign.objects.filter(pk=campaigns[0].pk).update(is_default=True)
        campaigns[0].is_default = True
    return campaigns


def ensure_inboxes(today: dt.date) -> list[Inbox]:
    inboxes = []
    for address, age, ceiling in INBOXES:
        inbox, _ = Inbox.objects.get_or_create(
            email=address,
            defaults={
                "display_name": "Edd Chen",
                "smtp_host": "127.0.0.1",
                "smtp_port": settings.SANDBOX_SMTP_PORT,  # the demo's local SMTP sink
                # no IMAP server in the demo: replies come from the sandbox twin, which
                # answers what the local SMTP sink received
                "imap_host": "",
                "source": "seed_demo",
                "warmup_started_on": today - dt.timedelta(days=age),
                "daily_ceiling": ceiling,
                "created_at": timezone.now() - dt.timedelta(days=age + 2),
            },
        )
        inboxes.append(inbox)
    return inboxes


def seed_batch(*, total: int, seed: int) -> Seeded:
    """Add one batch of ``total`` demo prospects; run it inside a transaction."""
    now = timezone.now().replace(microsecond=0)
    existing = Prospect.objects.count()
    # the first batch uses the seed as given; later ones also depend on what is there
    dice = Dice(random.Random(seed if not existing else f"{seed}/{existing}"))
    inboxes = ensure_inboxes(timezone.localdate())
    slots = InboxSlots(inboxes, list(InboxDay.objects.filter(inbox__in=inboxes)), dice)
    taken = Taken.from_database()
    batch = DemoBatch(dice=dice, now=now, campaigns=ensure_campaigns(), inboxes=inboxes, slots=slots, taken=taken)
    plan = [stage for stage, count in stage_counts(total).items() for _ in range(count)]
    dice.rng.shuffle(plan)
    for stage in plan:
        batch.add(stage)
    batch.manual_suppressions()
    User = get_user_model()
    reviewer = User.objects.filter(username="sales").first() or User.objects.filter(is_superuser=True).first()
    totals = batch.save(reviewer)
    inbox_scores_compute()  # as the daily job would, from the history just written
    event_record(DEMO_SEEDED, message=f"{total} demo prospects (seed {seed})", data={"seed": seed, **totals}, by=ACTOR)
    return Seeded(dict(batch.plan.stages), totals, inboxes, slots)
