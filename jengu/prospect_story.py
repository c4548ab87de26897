"""A prospect as a story: who they are, what happens next, and everything that happened.

``prospect_story(prospect, now=...)`` reads across every app (prospects, outreach,
replies, infra), which is why it lives here, at the top layer; the prospect's admin
page (prospects.admin) renders it. It returns:

- the header: local time where the prospect is (their IANA zone, else their country's),
  the stage and when it was reached, the owner, the open tasks;
- ``next_step``: what happens next, computed from the real state, first match wins —
  the prospect erased or closed; a reply waiting for a person ("needs a human: reply
  #812"); a meeting to come; an email held by a country rule ("held: consent required
  in DE", the held decision's own words); a reply being read; a sequence paused ("waiting:
  out of office until 14 Jan"); a queued email and why it has not gone yet (sending
  stopped, its ``not_before``, its inbox paused or waiting for its turn, the
  prospect's working hours: "queued: next opening Mon 09:00 their time"); a draft
  waiting for approval; an overdue task; the sequence's next follow-up ("follow-up 2
  due Thu 10:00 their time", outreach.selectors.sequence_step_due_at, moved to the next
  working hour); a finished or stopped sequence; the pipeline stage it waits in.
  ``also`` holds the next few that apply too;
- ``timeline``: one list, newest first, of emails (subject, first line, inbox, status,
  opened/clicked/bounced), replies (intent, text, confidence, who corrected the reading),
  stage changes, the send decisions that matter (held, cancelled, failed, review), the
  events of assignment and of the sequence (paused, stopped), notes, tasks and meetings.

Its cost does not grow with the prospect's history: one query per kind of record (each
capped at ``TIMELINE_LIMIT_PER_KIND`` rows, newest first), about a dozen in all for 10
items or 1,000 (tests/prospects/test_story_speed.py; bench/prospect_page.py measures it on
a million prospects).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from constance import config
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from infra.models import Event, StateTransition
from outreach.business_hours import business_hours_check, next_opening, prospect_zone
from outreach.models import Email, EmailStatus, InboxState, SendDecision, Sequence, SequenceState
from outreach.selectors import SEQUENCE_CLOSE_AFTER_DAYS, sequence_step_count, sequence_step_due_at
from prospects.models import Note, Prospect, ProspectStage, ResearchReport, Task
from replies.models import ActionStatus, CalibrationHistory, Intent, Meeting, Reply

S = ProspectStage
TIMELINE_LIMIT_PER_KIND = 500
DECISIONS_THAT_MATTER = [
    SendDecision.Outcome.HELD,
    SendDecision.Outcome.CANCELLED,
    SendDecision.Outcome.FAILED,
    SendDecision.Outcome.REVIEW,
]
EVENTS_ON_THE_TIMELINE = ["prospect.assigned", "sequence.paused", "sequence.stopped"]
PIPELINE_WAITS = {
    S.NEW: "in the pipeline: waiting for enrichment",
    S.ENRICHING: "in the pipeline: being enriched",
    S.ENRICHED: "in the pipeline: waiting for research",
    S.RESEARCHING: "in the pipeline: being researched",
    S.READY: "in the pipeline: waiting for its first email to be written",
    S.COMPOSING: "in the pipeline: its first email is being written",
    S.COMPOSED: "in the pipeline: its first email waits to be queued",
    S.QUEUED: "queued: its first email waits for the sender",
    S.SENDING: "sending now",
}
INTENT_TONE = {
    Intent.INTERESTED: "good",
    Intent.MEETING_REQUEST: "good",
    Intent.NEEDS_MORE_INFO: "info",
    Intent.DELEGATED: "info",
    Intent.OUT_OF_OFFICE: "quiet",
    Intent.NOT_INTERESTED: "bad",
    Intent.UNSUBSCRIBE: "bad",
    Intent.WRONG_PERSON: "bad",
    Intent.BOUNCE: "bad",
}
EMAIL_TONE = {
    EmailStatus.BOUNCED: "bad",
    EmailStatus.SPAM: "bad",
    EmailStatus.FAILED: "bad",
    EmailStatus.HELD: "warn",
    EmailStatus.NEEDS_REVIEW: "warn",
    EmailStatus.REPLIED: "good",
    EmailStatus.CLICKED: "good",
    EmailStatus.OPENED: "info",
}


@dataclass
class NextStep:
    kind: str  # erased, closed, needs_human, meeting, held, reading, paused, queued, failed, draft, task, …
    text: str
    url: str = ""
    tone: str = "info"  # good, info, warn, bad, quiet: the colour it is drawn in


@dataclass
class TimelineItem:
    kind: str  # email, reply, stage, decision, event, note, task, meeting
    at: datetime.datetime
    title: str
    summary: str = ""
    badge: str = ""
    tone: str = "quiet"
    who: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    url: str = ""
    obj: object = None


@dataclass
class ProspectStory:
    prospect: Prospect
    now: datetime.datetime
    zone: str
    local_now: datetime.datetime | None
    working_now: bool
    next_step: NextStep
    also: list[NextStep]
    timeline: list[TimelineItem]
    counts: dict[str, int]
    open_tasks: list[Task]
    reply_to_answer: Reply | None
    sequence: Sequence | None
    research: ResearchReport | None

    @property
    def truncated(self) -> bool:
        return any(count >= TIMELINE_LIMIT_PER_KIND for count in self.counts.values())


# --- how times read -----------------------------------------------------------------------


def their_time(moment: datetime.datetime | None, zone, now: datetime.datetime) -> str:
    """``Thu 10:00 their time`` within the coming week, ``14 Jan 10:00 their time`` beyond
    (in UTC, said so, when the prospect's zone is unknown)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone) if zone else moment.astimezone(datetime.UTC)
    days = (local.date() - (now.astimezone(zone) if zone else now).date()).days
    stamp = f"{local:%a %H:%M}" if 0 <= days < 6 else f"{local.day} {local:%b %H:%M}"
    if 0 <= days < 6 and local.year != now.year:
        stamp = f"{local.day} {local:%b %Y %H:%M}"
    return f"{stamp} {'their time' if zone else 'UTC'}"


def _date(moment: datetime.datetime | None, zone=None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zone) if zone else moment
    return f"{local.day} {local:%b}"


def _first_line(text: str, limit: int = 160) -> str:
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if line and not line.startswith(">"):
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def _admin_url(name: str, pk) -> str:
    return reverse(f"admin:{name}", args=[pk])


# --- what happens next ----------------------------------------------------------------------


def _email_label(email: Email, first: str = "the first email") -> str:
    """Which of our emails this is, as a salesperson says it: the first email, follow-up 2, our answer."""
    return {Email.Type.FOLLOW_UP: f"follow-up {email.sequence_step}", Email.Type.REPLY: "our answer"}.get(
        email.type, first
    )


def _queued_step(email: Email, prospect: Prospect, zone, now, sending_on: bool) -> NextStep:
    label = _email_label(email)
    url = _admin_url("outreach_email_change", email.pk)
    if email.status == EmailStatus.SENDING:
        return NextStep("queued", f"sending now: {label}", url, "good")
    if not sending_on:
        return NextStep("queued", f"queued: {label} waits — sending is stopped (emergency stop)", url, "warn")
    if email.not_before and email.not_before > now:
        at = email.not_before
        if (opening := next_opening(prospect, at)) is not None:
            at = max(at, opening)
        return NextStep("queued", f"{label} due {their_time(at, zone, now)}", url)
    inbox = email.inbox
    if inbox is not None and inbox.state != InboxState.ACTIVE:
        why = f": {inbox.state_reason}" if inbox.state_reason else ""
        return NextStep("queued", f"waiting: its inbox {inbox.email} is {inbox.get_state_display()}{why}", url, "warn")
    window = business_hours_check(prospect, now)
    if not window.ok:
        if window.reason == "no_timezone":
            return NextStep("queued", f"queued: {label} waits — the prospect's time zone is unknown", url, "warn")
        opening = next_opening(prospect, now)
        when = their_time(opening, zone, now) if opening else "in more than three weeks"
        return NextStep("queued", f"queued: next opening {when}", url)
    if inbox is not None and inbox.next_send_at and inbox.next_send_at > now:
        return NextStep(
            "queued", f"waiting for its inbox's turn ({inbox.email}, {their_time(inbox.next_send_at, zone, now)})", url
        )
    return NextStep("queued", f"queued: {label} goes out on the sender's next run", url, "good")


def _sequence_steps(sequence: Sequence | None, prospect: Prospect, zone, now) -> list[NextStep]:
    if sequence is None:
        return []
    if sequence.state == SequenceState.PAUSED and sequence.paused_until and sequence.paused_until > now:
        reason = (sequence.stop_reason or "").lower()
        what = "out of office" if "out_of_office" in reason or "out of office" in reason else "paused"
        return [NextStep("paused", f"waiting: {what} until {_date(sequence.paused_until, zone)}", tone="quiet")]
    if sequence.state == SequenceState.STOPPED:
        return [NextStep("stopped", f"sequence stopped: {sequence.stop_reason or 'no reason given'}", tone="quiet")]
    if sequence.state == SequenceState.COMPLETED:
        return [NextStep("finished", "sequence finished with no answer", tone="quiet")]
    if sequence.first_sent_at is None or prospect.stage not in (S.SENT, S.CONTACTED) or prospect.last_reply_at:
        return []
    step = sequence.last_step_sent + 1
    if step > sequence_step_count(sequence.campaign):
        days = sequence.campaign.follow_up_days or [0]
        close_at = sequence.first_sent_at + datetime.timedelta(days=int(days[-1]) + SEQUENCE_CLOSE_AFTER_DAYS)
        if prospect.last_email_sent_at:
            close_at = max(close_at, prospect.last_email_sent_at + datetime.timedelta(days=SEQUENCE_CLOSE_AFTER_DAYS))
        return [
            NextStep("finished", f"last step sent: waiting for an answer until {_date(close_at, zone)}", tone="quiet")
        ]
    due = sequence_step_due_at(sequence, step)
    if due is None:
        return []
    if due <= now:
        return [NextStep("follow_up", f"follow-up {step} due now (the next follow-up run writes it)")]
    opening = next_opening(prospect, due)
    return [NextStep("follow_up", f"follow-up {step} due {their_time(max(due, opening or due), zone, now)}")]


def _next_steps(
    prospect: Prospect,
    *,
    now,
    zone,
    emails: list[Email],
    replies: list[Reply],
    held_detail: dict[int, str],
    meetings: list[Meeting],
    tasks: list[Task],
    sequence: Sequence | None,
    sending_on: bool,
) -> list[NextStep]:
    steps: list[NextStep] = []
    if prospect.erased_at:
        return [NextStep("erased", f"personal data erased on {_date(prospect.erased_at)}", tone="quiet")]
    if prospect.stage == S.WON:
        return [NextStep("closed", f"won on {_date(prospect.stage_changed_at, zone)}", tone="good")]
    if prospect.stage == S.LOST:
        reason = f" — {prospect.lost_reason}" if prospect.lost_reason else ""
        return [NextStep("closed", f"lost on {_date(prospect.stage_changed_at, zone)}{reason}", tone="quiet")]
    for reply in replies:
        if reply.needs_human:
            steps.append(NextStep("needs_human", f"needs a human: reply #{reply.pk}",
                                  _admin_url("replies_reply_change", reply.pk), "bad"))  # fmt: skip
            break
    upcoming = [m for m in meetings if m.status == Meeting.Status.BOOKED and m.starts_at and m.starts_at > now]
    upcoming += [t for t in tasks if t.kind == Task.Kind.MEETING and t.done_at is None and t.due_at > now]
    if upcoming:
        first = min(upcoming, key=lambda m: m.starts_at if isinstance(m, Meeting) else m.due_at)
        at = first.starts_at if isinstance(first, Meeting) else first.due_at
        steps.append(NextStep("meeting", f"meeting {their_time(at, zone, now)}", tone="good"))
    held = [e for e in emails if e.status == EmailStatus.HELD]
    if held:
        detail = held_detail.get(held[0].pk) or "waiting for a person"
        steps.append(NextStep("held", f"held: {detail}", _admin_url("outreach_email_change", held[0].pk), "warn"))
    if prospect.reply_pending_since and not steps:
        steps.append(NextStep("reading", "waiting: a reply of theirs is being read; nothing is sent until then"))
    paused = _sequence_steps(sequence, prospect, zone, now)
    if paused and paused[0].kind == "paused":
        steps.append(paused.pop(0))
    waiting = sorted(
        (e for e in emails if e.status in (EmailStatus.QUEUED, EmailStatus.SENDING)),
        key=lambda e: (e.not_before or e.created_at, e.pk),
    )
    if waiting:
        steps.append(_queued_step(waiting[0], prospect, zone, now, sending_on))
    failed = [e for e in emails if e.status == EmailStatus.FAILED]
    if failed and not waiting and prospect.stage not in S.ANSWERED:
        label = _email_label(failed[0])
        detail = held_detail.get(failed[0].pk) or "no provider accepted it"
        steps.append(NextStep("failed", f"failed: {label} could not be sent ({detail}); fix the cause, then queue it "
                              "again (Emails: Queue failed emails again)",
                              _admin_url("outreach_email_change", failed[0].pk), "bad"))  # fmt: skip
    drafts = [e for e in emails if e.status == EmailStatus.DRAFT]
    if drafts:
        steps.append(NextStep("draft", "a draft waits for approval", reverse("admin:outreach_review_queue")))
    open_tasks = [t for t in tasks if t.done_at is None and t.kind != Task.Kind.MEETING]
    overdue = [t for t in open_tasks if t.due_at <= now]
    if overdue:
        steps.append(NextStep("task", f"overdue: {overdue[0].title} (due {their_time(overdue[0].due_at, zone, now)})",
                              tone="bad"))  # fmt: skip
    steps.extend(paused)
    if open_tasks and not overdue:
        steps.append(NextStep("task", f"{open_tasks[0].title} — due {their_time(open_tasks[0].due_at, zone, now)}"))
    if not steps and prospect.stage in PIPELINE_WAITS:
        steps.append(NextStep("pipeline", PIPELINE_WAITS[prospect.stage], tone="quiet"))
    if not steps and prospect.stage in (S.ENGAGED, S.REPLIED, S.MEETING):
        steps.append(NextStep("yours", "your move: answer, book a meeting, or close it"))
    if not steps:
        steps.append(NextStep("idle", "nothing scheduled", tone="quiet"))
    return steps


# --- the timeline -----------------------------------------------------------------------------


def _email_item(email: Email, zone) -> TimelineItem:
    seen = []
    for label, moment in (
        ("delivered", email.delivered_at),
        ("opened", email.opened_at),
        ("clicked", email.clicked_at),
        ("replied", email.replied_at),
        ("bounced", email.bounced_at),
    ):
        if moment:
            seen.append(f"{label} {_date(moment, zone)}")
    step = _email_label(email, first="first email")
    details = [("step", step), ("inbox", email.inbox.email if email.inbox else "—"), ("to", email.to_email)]
    if seen:
        details.append(("tracking", ", ".join(seen)))
    if email.written_by:
        details.append(("written by", email.get_written_by_display()))
    return TimelineItem(
        kind="email",
        at=email.sent_at or email.created_at,
        title=email.subject or "(no subject)",
        summary=_first_line(email.body),
        badge=email.get_status_display(),
        tone=EMAIL_TONE.get(email.status, "quiet"),
        who=email.inbox.email if email.inbox else "",
        details=details,
        body=email.body,
        url=_admin_url("outreach_email_change", email.pk),
        obj=email,
    )


def _reply_item(reply: Reply) -> TimelineItem:
    details = []
    if reply.confidence is not None:
        details.append(("confidence", f"{reply.confidence:.0%}"))
    if reply.action_status:
        details.append(("action", reply.get_action_status_display()))
    corrections = list(reply.corrections.all())
    if corrections:
        last = corrections[0]
        who = last.corrected_by.get_username() if last.corrected_by else "someone"
        verb = "confirmed" if last.predicted_intent == last.corrected_intent else "corrected"
        details.append(
            (verb, f"by {who}: {last.get_predicted_intent_display()} → {last.get_corrected_intent_display()}")
        )
    if reply.policy_reason:
        details.append(("why", reply.policy_reason))
    if reply.meeting_preference:
        details.append(("meeting", reply.meeting_preference))
    return TimelineItem(
        kind="reply",
        at=reply.received_at,
        title=reply.get_intent_display() if reply.intent else "not read yet",
        summary=_first_line(reply.body),
        badge="needs a human" if reply.needs_human else (reply.get_intent_display() or "unread"),
        tone="bad" if reply.needs_human else INTENT_TONE.get(reply.intent, "quiet"),
        who=reply.from_name or reply.from_email,
        details=details,
        body=reply.body,
        url=_admin_url("replies_reply_change", reply.pk),
        obj=reply,
    )


def _stage_item(row: StateTransition) -> TimelineItem:
    return TimelineItem(
        kind="stage",
        at=row.created_at,
        title=f"{row.source} → {row.target}",
        summary=row.reason,
        badge=row.target,
        who=row.actor,
        details=[("transition", row.transition), ("by", row.actor)] + ([("why", row.reason)] if row.reason else []),
        obj=row,
    )


def _decision_item(decision: SendDecision, email: Email | None) -> TimelineItem:
    subject = email.subject if email else f"email {decision.email_id}"
    return TimelineItem(
        kind="decision",
        at=decision.created_at,
        title=f"{decision.get_outcome_display()}: {subject}",
        summary=decision.detail or decision.reason,
        badge=decision.get_outcome_display(),
        tone="warn" if decision.outcome == SendDecision.Outcome.HELD else "bad",
        who="the sender",
        details=[("reason", decision.reason)] + ([("detail", decision.detail)] if decision.detail else []),
        url=_admin_url("outreach_email_change", decision.email_id),
        obj=decision,
    )


def _event_item(event: Event) -> TimelineItem:
    title = {
        "prospect.assigned": "assigned",
        "sequence.paused": "sequence paused",
        "sequence.stopped": "sequence stopped",
    }
    return TimelineItem(
        kind="event", at=event.created_at, title=title.get(event.name, event.name), summary=event.message,
        who=event.actor, obj=event,
    )  # fmt: skip


def _note_item(note: Note) -> TimelineItem:
    return TimelineItem(
        kind="note",
        at=note.created_at,
        title="note",
        summary=_first_line(note.text),
        who=note.author.get_username() if note.author else "",
        body=note.text,
        obj=note,
    )


def _task_item(task: Task, zone, now) -> TimelineItem:
    overdue = task.done_at is None and task.due_at <= now
    badge = "done" if task.done_at else ("overdue" if overdue else task.get_kind_display())
    details = [
        ("due", their_time(task.due_at, zone, now)),
        ("for", task.assignee.get_username() if task.assignee else "nobody"),
    ]
    if task.done_at:
        details.append(("done", f"{task.done_at:%Y-%m-%d %H:%M}"))
    return TimelineItem(
        kind="task",
        at=task.created_at,
        title=task.title,
        summary=f"due {their_time(task.due_at, zone, now)}",
        badge=badge,
        tone="bad" if overdue else ("quiet" if task.done_at else "info"),
        who=task.assignee.get_username() if task.assignee else "",
        details=details,
        obj=task,
    )


def _meeting_item(meeting: Meeting, zone, now) -> TimelineItem:
    return TimelineItem(
        kind="meeting",
        at=meeting.created_at,
        title=meeting.title or "meeting",
        summary=f"{their_time(meeting.starts_at, zone, now)} · {meeting.get_provider_display()}",
        badge=meeting.get_status_display(),
        tone="quiet" if meeting.status == Meeting.Status.CANCELLED else "good",
        who=meeting.invitee_name or meeting.invitee_email,
        details=[
            ("starts", their_time(meeting.starts_at, zone, now)),
            ("booked through", meeting.get_provider_display()),
        ]
        + ([("cancelled because", meeting.cancel_reason)] if meeting.cancel_reason else []),
        url=_admin_url("replies_meeting_change", meeting.pk),
        obj=meeting,
    )


# --- the story --------------------------------------------------------------------------------


def prospect_story(prospect: Prospect, *, now: datetime.datetime | None = None) -> ProspectStory:
    """Everything the prospect page shows above the edit form (see the module docstring)."""
    now = now or timezone.now()
    limit = TIMELINE_LIMIT_PER_KIND
    zone = prospect_zone(prospect)
    emails = list(
        Email.objects.filter(prospect=prospect).select_related("inbox").order_by("-created_at", "-id")[:limit]
    )
    by_id = {email.pk: email for email in emails}
    corrections = CalibrationHistory.objects.select_related("corrected_by").order_by("-created_at", "-id")
    replies = list(
        Reply.objects.filter(prospect=prospect)
        .prefetch_related(Prefetch("corrections", queryset=corrections))
        .select_related("answer_draft")
        .order_by("-received_at", "-id")[:limit]
    )
    transitions = list(
        StateTransition.objects.filter(
            content_type=ContentType.objects.get_for_model(Prospect), object_id=prospect.pk
        ).order_by("-created_at", "-id")[:limit]
    )
    decisions = list(
        SendDecision.objects.filter(email__prospect=prospect, outcome__in=DECISIONS_THAT_MATTER).order_by(
            "-created_at", "-id"
        )[:limit]
    )
    events = list(
        Event.objects.filter(trace_id=prospect.trace_id, name__in=EVENTS_ON_THE_TIMELINE).order_by("-created_at")[
            :limit
        ]
    )
    notes = list(Note.objects.filter(prospect=prospect).select_related("author").order_by("-created_at", "-id")[:limit])
    tasks = list(Task.objects.filter(prospect=prospect).select_related("assignee").order_by("due_at", "id")[:limit])
    meetings = list(Meeting.objects.filter(prospect=prospect).order_by("-created_at", "-id")[:limit])
    sequence = Sequence.objects.filter(prospect=prospect).select_related("campaign", "inbox").first()
    if sequence is not None:
        sequence.prospect = prospect  # sequence_step_due_at reads the prospect's last send
    research = ResearchReport.objects.filter(prospect=prospect).order_by("-created_at").first()

    held_detail: dict[int, str] = {}
    for decision in decisions:  # newest first: the reason each held or failed email is where it is now
        if decision.outcome in (SendDecision.Outcome.HELD, SendDecision.Outcome.FAILED):
            held_detail.setdefault(decision.email_id, decision.detail or decision.reason)
    steps = _next_steps(
        prospect,
        now=now,
        zone=zone,
        emails=emails,
        replies=replies,
        held_detail=held_detail,
        meetings=meetings,
        tasks=tasks,
        sequence=sequence,
        sending_on=bool(config.SENDING_ENABLED),
    )
    timeline = [
        *(_email_item(email, zone) for email in emails),
        *(_reply_item(reply) for reply in replies),
        *(_stage_item(row) for row in transitions),
        *(_decision_item(decision, by_id.get(decision.email_id)) for decision in decisions),
        *(_event_item(event) for event in events),
        *(_note_item(note) for note in notes),
        *(_task_item(task, zone, now) for task in tasks),
        *(_meeting_item(meeting, zone, now) for meeting in meetings),
    ]
    timeline.sort(key=lambda item: item.at, reverse=True)
    open_tasks = [t for t in tasks if t.done_at is None]
    for task in open_tasks:
        task.due_text, task.overdue = their_time(task.due_at, zone, now), task.due_at <= now
    answerable = [r for r in replies if r.needs_human] or [r for r in replies if r.intent not in ("", Intent.BOUNCE)]
    return ProspectStory(
        prospect=prospect,
        now=now,
        zone=zone.key if zone else "",
        local_now=now.astimezone(zone) if zone else None,
        working_now=business_hours_check(prospect, now).ok if zone else False,
        next_step=steps[0],
        also=steps[1:4],
        timeline=timeline,
        counts={
            "emails": len(emails),
            "replies": len(replies),
            "stage changes": len(transitions),
            "decisions": len(decisions),
            "events": len(events),
            "notes": len(notes),
            "tasks": len(tasks),
            "meetings": len(meetings),
        },
        open_tasks=open_tasks,
        reply_to_answer=answerable[0] if answerable else None,
        sequence=sequence,
        research=research,
    )


def reply_answer_url(reply: Reply | None) -> str:
    """Where "Answer" leads: the reply's draft answer when one waits, else the page to write one."""
    if reply is None:
        return ""
    if reply.answer_draft_id and reply.answer_draft and reply.answer_draft.status == EmailStatus.DRAFT:
        return _admin_url("replies_reply_answer_draft", reply.pk)
    if reply.action_status == ActionStatus.AWAITING:
        return _admin_url("replies_reply_change", reply.pk)
    return _admin_url("replies_reply_respond", reply.pk)
