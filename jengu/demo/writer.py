"""Turns a solved story into the rows and transitions it implies, then writes them.

Contract: ``StoryWriter.write(…)`` plans, in memory, what one prospect's story left
behind: the prospect's fields after enrichment and research, its job adverts and
research report, each email (first, follow-ups, our answers), each reply, the
suppressions a bounce, complaint or unsubscribe made, delivery/open/click tracking, and
every state change as ``(at, seq, object, transition, reason)``. ``Plan.save`` writes
them: prospects one by one (``Prospect.save`` derives the dedup keys), suppressions
through ``suppression_add`` (back-dated), the other rows in bulk, and every state change
through the product's state machine (``infra.statemachine.transition``) in time
order, back-dated with ``at=`` and recorded with the actor ``system:seed_demo``, so each
object's history reads like real work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from infra.statemachine import transition
from jengu.demo.catalogue import SEND_FAILURES, City, Country
from jengu.demo.content import (
    ReplyText,
    first_email,
    follow_up,
    job_posting,
    our_answer,
    out_of_office,
    reply_text,
    research_report,
    website_analysis,
)
from jengu.demo.dice import DAY, HOUR, MINUTE, Dice
from jengu.demo.hotels import Context, Hotels, Taken
from jengu.demo.intents import INTENTS
from jengu.demo.stories import Step, Story
from outreach.models import TIER_SEND_RANK, Campaign, Email, Inbox, Suppression, suppression_hash
from outreach.services.suppression import suppression_add
from prospects.models import EnrichmentStatus, JobPosting, Prospect, ProspectStage, ResearchReport, Tier
from replies.models import Intent, Reply

ACTOR = "system:seed_demo"
S = ProspectStage
# a prospect's own transitions that a story step names one to one
PROSPECT_STEPS = {
    "start_enrichment",
    "finish_enrichment",
    "release_enrichment",
    "start_research",
    "finish_research",
    "release_research",
    "start_composing",
    "finish_composing",
    "queue",
    "mark_won",
    "mark_lost",
}


@dataclass
class Thread:
    """One prospect's correspondence while its story is written."""

    prospect: Prospect
    ctx: Context
    campaign: Campaign
    inbox: Inbox
    emails: list[Email] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    current: Email | None = None  # the first email, on its way through the pipeline
    last_sent: Email | None = None
    horizon: dict[int, dt.datetime] = field(default_factory=dict)  # id(email) → when its life ended


@dataclass
class PlannedSuppression:
    kind: str
    value: str
    reason: str
    source: str
    at: dt.datetime
    erased: bool = False  # a GDPR erasure: only the hash is kept, as jengu.erasure does

    def save(self) -> None:
        """Through the product's service (it validates the value and records the event), back-dated."""
        entry, _ = suppression_add(kind=self.kind, value=self.value, reason=self.reason, source=self.source, by=ACTOR)
        Suppression.objects.filter(pk=entry.pk).update(created_at=self.at, **({"value": ""} if self.erased else {}))


@dataclass
class Plan:
    """Everything a batch will write, in memory until ``save``."""

    prospects: list[Prospect] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    postings: list[JobPosting] = field(default_factory=list)
    reports: list[ResearchReport] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    suppressions: list[PlannedSuppression] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # (at, seq, obj, transition, reason)
    stages: Counter = field(default_factory=Counter)

    def event(self, at: dt.datetime, obj, name: str, reason: str = ""):
        self.events.append((at, len(self.events), obj, name, reason))

    def save(self) -> None:
        for prospect in self.prospects:
            prospect.save()  # not bulk: save() derives the dedup keys the unique constraints check
        JobPosting.objects.bulk_create(self.postings)
        ResearchReport.objects.bulk_create(self.reports)
        Email.objects.bulk_create(self.emails)
        # every state change goes through the state machine, in time order, logged
        for at, _, obj, name, reason in sorted(self.events, key=lambda e: (e[0], e[1])):
            trace = obj.trace_id if isinstance(obj, Prospect) else obj.prospect.trace_id
            transition(obj, name, by=ACTOR, at=at, reason=reason, trace_id=trace)
        Reply.objects.bulk_create(self.replies)
        for suppression in self.suppressions:
            suppression.save()


class StoryWriter:
    def __init__(self, *, dice: Dice, plan: Plan, hotels: Hotels, taken: Taken, now: dt.datetime):
        self.dice = dice
        self.plan = plan
        self.hotels = hotels
        self.taken = taken
        self.now = now

    def write(
        self, p: Prospect, ctx: Context, story: Story, *, campaign: Campaign, inbox: Inbox, country: Country, city: City
    ):
        """Plan the rows and state changes ``story`` (already solved into times) left behind."""
        rng = self.dice.rng
        p.created_at = p.stage_changed_at = story.created_at
        self.plan.stages[story.stage] += 1
        self._enrichment(p, ctx, story)
        if story.stage in (S.ENGAGED, S.REPLIED, S.MEETING, S.WON):
            p.tier = self.dice.weighted([(Tier.HOT, 3), (Tier.WARM, 2)])
        if not p.phone or rng.random() < 0.4:
            p.phone = ""

        for index in range(self.dice.weighted([(1, 70), (2, 25), (3, 5)])):
            self.plan.postings.append(job_posting(self.dice, self.taken, p, ctx, country, city, first=index == 0))
        self.plan.prospects.append(p)

        thread = Thread(p, ctx, campaign, inbox)
        for step in story.steps:
            self._apply(step, thread)
        self._tracking(thread, in_flight=story.stage == S.SENT)
        self._sums(thread)

    def _enrichment(self, p: Prospect, ctx: Context, story: Story):
        """What enrichment found: nothing yet, or the person, a verified address, the website."""
        rng = self.dice.rng
        if "finish_enrichment" not in {step.kind for step in story.steps}:
            # found through a job ad: the hotel is known, the person behind it not yet
            if rng.random() < 0.7:
                p.name = p.title = p.linkedin_url = ""
            p.email = p.phone = ""
            in_progress = story.stage == S.ENRICHING
            p.enrichment_status = EnrichmentStatus.IN_PROGRESS if in_progress else EnrichmentStatus.PENDING
            if in_progress:
                p.enrichment_score = round(rng.uniform(0.1, 0.3), 2)
            return
        p.enrichment_status = self.dice.weighted([(EnrichmentStatus.COMPLETED, 85), (EnrichmentStatus.PARTIAL, 15)])
        p.enrichment_score = round(rng.uniform(0.62, 1.0), 2)
        p.email_verified = True
        p.email_verification_score = round(rng.uniform(0.9, 0.99), 2)
        if rng.random() < 0.3:
            p.linkedin_url = ""
        p.website_analysis = website_analysis(self.dice, p, ctx)
        if story.path == "no_email":
            p.email_verified = False
            p.email_verification_score = round(rng.uniform(0.2, 0.5), 2)
            p.enrichment_status = EnrichmentStatus.PARTIAL
            p.enrichment_score = round(rng.uniform(0.3, 0.5), 2)

    def _sums(self, t: Thread):
        """The prospect's counters and behavioural score, from what its story wrote."""
        rng, p = self.dice.rng, t.prospect
        sent = [e for e in t.emails if e.sent_at]
        p.email_sent_count = len(sent)
        p.last_email_sent_at = max((e.sent_at for e in sent), default=None)
        p.last_reply_at = max((r.received_at for r in t.replies), default=None)
        if t.replies:
            p.behavioral_score = t.replies[-1].behavioral_score
        elif any(e.clicked_at for e in sent):
            p.behavioral_score = round(rng.uniform(30, 45), 1)
        elif any(e.opened_at for e in sent):
            p.behavioral_score = round(rng.uniform(12, 30), 1)
        elif sent:
            p.behavioral_score = round(rng.uniform(0, 8), 1)

    # -- emails -------------------------------------------------------------------------
    def _new_email(self, t: Thread, created: dt.datetime, *, step: int, kind: str = Email.Type.OUTREACH) -> Email:
        rng, ctx, campaign, p = self.dice.rng, t.ctx, t.campaign, t.prospect
        sender = campaign.sender_name.split()[0]
        key = self.dice.uuid()
        case = rng.choice(campaign.case_studies) if campaign.case_studies else ""
        if kind == Email.Type.REPLY:
            subject, body = our_answer(self.dice, ctx, sender)
        elif step == 1:
            subject, body = first_email(self.dice, ctx, p, campaign, case)
        else:
            subject, body = follow_up(ctx, p, campaign, step, case, sender)
        email = Email(
            prospect=p,
            campaign=campaign,
            inbox=t.inbox,
            subject=subject[:200],
            body=body,  # the sender adds the footer (postal address, unsubscribe link) when it sends
            from_email=t.inbox.email,
            to_email=p.email,
            type=kind if kind == Email.Type.REPLY else (Email.Type.OUTREACH if step == 1 else Email.Type.FOLLOW_UP),
            sequence_step=step,
            spam_score=round(rng.uniform(0.02, 0.22), 2),
            readability_score=round(rng.uniform(58, 82), 1),
            message_id=f"<{self.dice.uuid()}@jengu.local>",
            idempotency_key=key,
            send_rank=TIER_SEND_RANK.get(p.tier, 1),  # bulk_create skips Email.save
            created_at=created,
        )
        t.emails.append(email)
        self.plan.emails.append(email)
        return email

    def _mark_sent(self, t: Thread, email: Email, at: dt.datetime):
        self.plan.event(at, email, "mark_sent")
        email.sent_at = at
        email.provider = self.dice.weighted(
            [(Email.Provider.RESEND, 14), (Email.Provider.SMTP, 5), (Email.Provider.SENDGRID, 1)]
        )
        t.last_sent = email

    # -- steps --------------------------------------------------------------------------
    def _apply(self, step: Step, t: Thread):
        kind = step.kind
        if kind in PROSPECT_STEPS:
            self.plan.event(step.at, t.prospect, kind, step.data.get("reason", ""))
        handler = {
            "finish_research": self._research,
            "finish_composing": self._composed,
            "queue": self._queued,
            "mark_lost": self._lost,
            "send_fail": self._send_fail,
            "send": self._send,
            "follow_up": self._our_email,
            "our_reply": self._our_email,
            "follow_up_queued": self._follow_up_queued,
            "reply": self._receive,
            "bounce": self._bounced_or_complained,
            "spam": self._bounced_or_complained,
        }.get(kind)
        if handler:
            handler(step, t)

    def _research(self, step: Step, t: Thread):
        self.plan.reports.append(research_report(self.dice, t.prospect, t.ctx, step.at))

    def _composed(self, step: Step, t: Thread):
        t.current = self._new_email(t, step.at, step=1)

    def _queued(self, step: Step, t: Thread):
        self.plan.event(step.at + dt.timedelta(seconds=2), t.current, "queue")

    def _lost(self, step: Step, t: Thread):
        t.prospect.lost_reason = step.data["reason"]

    def _send_fail(self, step: Step, t: Thread):
        """A send the provider refused for now: the claim is released and the email requeued."""
        at, event, p = step.at, self.plan.event, t.prospect
        reason = self.dice.rng.choice(SEND_FAILURES)
        event(at, p, "start_sending")
        event(at + dt.timedelta(seconds=1), t.current, "claim")
        event(at + dt.timedelta(seconds=21), t.current, "mark_failed", reason)
        event(at + dt.timedelta(seconds=22), p, "release_sending", reason)
        event(at + dt.timedelta(seconds=25), t.current, "requeue")

    def _send(self, step: Step, t: Thread):
        """The first email: claimed, then (unless still in flight) sent and the prospect contacted."""
        at, until, event = step.at, step.data["until"], self.plan.event
        event(at, t.prospect, "start_sending")
        event(at + dt.timedelta(seconds=1), t.current, "claim")
        if until != S.SENDING:
            self._mark_sent(t, t.current, at + dt.timedelta(seconds=3))
            event(at + dt.timedelta(seconds=4), t.prospect, "finish_sending")
        if until == S.CONTACTED:
            event(at + dt.timedelta(seconds=5), t.prospect, "mark_contacted")

    def _our_email(self, step: Step, t: Thread):
        """A follow-up or our answer to a reply: written a little before the send, queued, sent."""
        at, secs = step.at, self.dice.secs
        if step.kind == "follow_up":
            lead = secs(20 * MINUTE, 4 * HOUR)
            email = self._new_email(t, at - lead, step=step.data["step"])
        else:
            lead = secs(5 * MINUTE, 30 * MINUTE)
            email = self._new_email(t, at - lead, step=1, kind=Email.Type.REPLY)
        self.plan.event(at - lead + dt.timedelta(seconds=3), email, "queue")
        self.plan.event(at, email, "claim")
        self._mark_sent(t, email, at + dt.timedelta(seconds=2))
        if step.kind == "follow_up":
            self.plan.event(at + dt.timedelta(seconds=4), t.prospect, "follow_up")

    def _follow_up_queued(self, step: Step, t: Thread):
        email = self._new_email(t, step.at, step=step.data["step"])
        self.plan.event(step.at + dt.timedelta(seconds=3), email, "queue")

    def _bounced_or_complained(self, step: Step, t: Thread):
        at, email, p = step.at, t.last_sent, t.prospect
        if step.kind == "bounce":
            email.bounced_at = at
            self.plan.event(at, email, "mark_bounced", "550 5.1.1 mailbox unavailable")
            reason, why = "hard bounce: mailbox unavailable", Suppression.Reason.HARD_BOUNCE
            source = f"webhook: {email.provider} bounce"
        else:
            self.plan.event(at, email, "mark_spam", "complaint via feedback loop")
            reason, why = "marked our email as spam", Suppression.Reason.COMPLAINT
            source = f"webhook: {email.provider} complaint"
        t.horizon[id(email)] = at
        self.plan.event(at + dt.timedelta(seconds=3), p, "mark_lost", reason)
        p.lost_reason = reason
        self.suppress(Suppression.Kind.ADDRESS, p.email, why, source, at + dt.timedelta(seconds=3))

    # -- replies ------------------------------------------------------------------------
    def _receive(self, step: Step, t: Thread):
        at, p, ctx, intent = step.at, t.prospect, t.ctx, step.data["intent"]
        email = t.last_sent
        if intent == Intent.OUT_OF_OFFICE:
            text = out_of_office(self.dice, ctx, p, email, at)
        else:
            sender = t.campaign.sender_name.split()[0]
            variant = step.data.get("variant", 0)
            text = reply_text(
                self.dice, self.hotels, intent=intent, variant=variant, ctx=ctx, p=p, email=email, sender=sender
            )
        reply = self._reply_row(step, t, text)
        t.replies.append(reply)
        self.plan.replies.append(reply)
        self._reply_consequences(step, t, reply)

    def _reply_row(self, step: Step, t: Thread, text: ReplyText) -> Reply:
        """The reply as the reader records it: its reading drawn from the intent's profile."""
        rng, at, p, email = self.dice.rng, step.at, t.prospect, t.last_sent
        intent = step.data["intent"]
        profile = INTENTS[intent]
        confidence = round(rng.uniform(*profile.confidence), 2)
        processed = at + self.dice.secs(5, 2 * MINUTE)
        return Reply(
            email=email,
            prospect=p,
            message_id=f"<{self.dice.uuid().hex}@mail.{t.ctx.domain}>",
            from_email=p.email,
            subject=text.subject[:300],
            body=text.body,
            intent=intent,
            sentiment=rng.choice(profile.sentiments),
            confidence=confidence,
            reasoning=profile.reasoning,
            suggested_action="delegate_to_human" if confidence < 0.7 else profile.action,
            delegated_to_name=text.delegate[0],
            delegated_to_title=text.delegate[1],
            delegated_to_email=text.delegate[2],
            meeting_preference=text.preference,
            questions=text.questions,
            behavioral_score=round(rng.uniform(*profile.score), 1),
            engagement_velocity=round((at - email.sent_at).total_seconds() / HOUR, 2),
            intent_strength=round(rng.uniform(*profile.strength), 2),
            received_at=at,
            processed_at=processed,
        )

    def _reply_consequences(self, step: Step, t: Thread, reply: Reply):
        """The email is replied to, the prospect moves, an unsubscribe (or a no) is suppressed."""
        email, p, processed = reply.email, t.prospect, reply.processed_at
        then, reason = step.data["then"], step.data["reason"]
        if not email.replied_at:
            email.replied_at = step.at
            t.horizon[id(email)] = step.at
            self.plan.event(processed, email, "mark_replied")
        if then:
            self.plan.event(processed + dt.timedelta(seconds=1), p, then, reason)
        if then == "mark_lost":
            p.lost_reason = reason
        if reply.intent == Intent.UNSUBSCRIBE:
            self.suppress(Suppression.Kind.ADDRESS, p.email, Suppression.Reason.UNSUBSCRIBE, "reply", processed)
        elif reply.intent == Intent.NOT_INTERESTED and self.dice.rng.random() < 0.5:
            self.suppress(Suppression.Kind.ADDRESS, p.email, Suppression.Reason.NOT_INTERESTED, "reply", processed)

    # -- after the send -----------------------------------------------------------------
    def _tracking(self, t: Thread, *, in_flight: bool):
        """Delivery, opens and clicks, each before whatever ended the email's life (or now)."""
        if in_flight:
            return
        rng, secs, event = self.dice.rng, self.dice.secs, self.plan.event
        for email in t.emails:
            if not email.sent_at or email.bounced_at:
                continue
            horizon = t.horizon.get(id(email), self.now - dt.timedelta(seconds=5))
            replied = id(email) in t.horizon and email.replied_at
            at = email.sent_at + secs(2, 40)
            if at >= horizon or rng.random() > (0.95 if replied else 0.9):
                continue
            email.delivered_at = at
            event(at, email, "mark_delivered")
            opened = at + secs(10 * MINUTE, 3 * DAY)
            if replied:
                opened = at + (horizon - at) * rng.uniform(0.05, 0.9)
            if opened >= horizon or rng.random() > (0.75 if replied else 0.45):
                continue
            email.opened_at = opened
            event(opened, email, "mark_opened")
            clicked = opened + secs(5, 10 * MINUTE)
            if clicked >= horizon or rng.random() > 0.25:
                continue
            email.clicked_at = clicked
            event(clicked, email, "mark_clicked")

    def suppress(self, kind: str, value: str, reason: str, source: str, at: dt.datetime) -> PlannedSuppression | None:
        value = value.strip().lower()
        digest = suppression_hash(value)
        if not value or digest in self.taken.hashes:
            return None
        self.taken.hashes.add(digest)
        row = PlannedSuppression(kind, value, reason, source, at)
        self.plan.suppressions.append(row)
        return row
