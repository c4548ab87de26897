"""/api/emails, /api/inboxes, /api/warmup, /api/emergency-stop, /api/suppression.

Reads go through selectors (warmup caps, today's sends); writes through the services
(inbox_pause/inbox_resume, sending_emergency_stop/sending_resume, suppression_add/
suppression_remove), with the API key as the actor.
"""

import datetime
from typing import Any, ClassVar

from constance import config
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from infra.api_auth import OPERATE, READ, WRITE
from infra.api_common import (
    AUTH_ERRORS,
    ApiConflict,
    BodyIn,
    KeysetPagination,
    ListFilters,
    ObjectId,
    RowOut,
    Text,
    UtcDatetime,
    errors,
    invalid,
)
from infra.errors import ApplicationError
from infra.models import CircuitState, StateTransition
from outreach.models import Email, EmailStatus, Inbox, InboxState, Suppression, suppression_hash
from outreach.selectors import (
    BOUNCE_WINDOW_DAYS,
    inbox_cap_today,
    inbox_caps_today,
    inbox_warmup_cap,
    inbox_warmup_week,
    inboxes_with_rates,
    inboxes_with_sent_today,
    warmup_schedule,
)
from outreach.services.inboxes import inbox_pause, inbox_resume
from outreach.services.sending_control import sending_emergency_stop, sending_enabled, sending_resume
from outreach.services.suppression import suppression_add, suppression_remove

router = Router(tags=["outreach"])


# --- emails ---------------------------------------------------------------------------


class EmailOut(RowOut):
    id: int
    prospect_id: int
    campaign_id: int | None
    inbox_id: int | None
    subject: str
    from_email: str
    to_email: str
    type: Email.Type
    status: EmailStatus
    sequence_step: int
    provider: str
    message_id: str | None
    language: str
    written_by: str
    sent_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    opened_at: datetime.datetime | None
    clicked_at: datetime.datetime | None
    replied_at: datetime.datetime | None
    bounced_at: datetime.datetime | None
    not_before: datetime.datetime | None
    created_at: datetime.datetime


class EmailTransitionOut(RowOut):
    transition: str
    source: str
    target: str
    actor: str
    reason: str
    created_at: datetime.datetime


class EmailDetailOut(EmailOut):
    body: str
    spam_score: float | None
    readability_score: float | None
    gate_results: Any
    rejection_reason: str
    trace_id: Any = Field(description="UUID of the prospect's trace, or null")
    transitions: list[EmailTransitionOut]


class EmailFilters(ListFilters):
    status: EmailStatus | None = None
    type: Email.Type | None = None
    inbox: ObjectId | None = Field(None, description="inbox id")
    prospect: ObjectId | None = Field(None, description="prospect id")
    sent_after: UtcDatetime | None = None
    sent_before: UtcDatetime | None = None

    lookups: ClassVar[dict[str, str]] = {
        "status": "status",
        "type": "type",
        "inbox": "inbox_id",
        "prospect": "prospect_id",
        "sent_after": "sent_at__gte",
        "sent_before": "sent_at__lt",
    }


@router.get("/emails", auth=READ, response={200: list[EmailOut], **errors(*AUTH_ERRORS)})
@paginate(KeysetPagination)
def list_emails(request, filters: Query[EmailFilters]):
    """Emails, newest first (bodies in the detail). Follow `next_cursor` for the next page."""
    return filters.apply(Email.objects.defer("body", "gate_results"))


@router.get("/emails/{email_id}", auth=READ, response={200: EmailDetailOut, **errors(*AUTH_ERRORS, 404)})
def get_email(request, email_id: ObjectId):
    """One email with its body, quality-gate results and status history."""
    email = get_object_or_404(Email, pk=email_id)
    email.transitions = list(
        StateTransition.objects.filter(
            content_type=ContentType.objects.get_for_model(Email), object_id=email.pk
        ).order_by("-created_at", "-id")[:100]
    )
    return email


# --- inboxes --------------------------------------------------------------------------


class InboxOut(RowOut):
    id: int
    email: str
    display_name: str
    state: InboxState
    state_reason: str
    state_changed_at: datetime.datetime
    health_score: float
    reputation_score: float
    warmup_started_on: datetime.date
    daily_ceiling: int
    sent_today: int
    cap_today: int


class InboxHealthOut(Schema):
    id: int
    email: str
    state: InboxState
    state_reason: str
    health_score: float
    reputation_score: float
    sent_today: int
    cap_today: int
    sent_28d: int = Field(description=f"emails sent in the last {BOUNCE_WINDOW_DAYS} days")
    bounced_28d: int
    bounce_rate_28d: float = Field(description="bounced / sent over the window; 0 when nothing was sent")
    healthy: bool = Field(description="active and under the bounce-rate pause threshold")


class CircuitOut(RowOut):
    key: str
    state: str
    consecutive_failures: int
    opened_at: datetime.datetime | None


class InboxesHealthOut(Schema):
    sending_enabled: bool
    inboxes: list[InboxHealthOut]
    open_circuits: list[CircuitOut]


class PauseIn(BodyIn):
    reason: Text(300) = "paused through the API"


def _inbox_rows(queryset=None):
    inboxes = list(inboxes_with_sent_today(queryset))
    caps = inbox_caps_today(inboxes)
    for inbox in inboxes:
        inbox.cap_today = caps[inbox.pk]
    return inboxes


@router.get("/inboxes", auth=READ, response={200: list[InboxOut], **errors(*AUTH_ERRORS)})
def list_inboxes(request):
    """Every sending inbox with today's sends and cap (no passwords, ever)."""
    return _inbox_rows()


@router.get("/inboxes/health", auth=READ, response={200: InboxesHealthOut, **errors(*AUTH_ERRORS)})
def inboxes_health(request):
    """Per inbox: state, scores, today's sends vs cap, bounce rate over 28 days; and open circuits."""
    threshold = float(config.BOUNCE_RATE_PAUSE_THRESHOLD)
    rows = []
    # the 28-day figures the bounce-rate pause reads (outreach.selectors.inboxes_with_rates)
    for inbox in _inbox_rows(inboxes_with_rates()):
        sent, bounced, rate = inbox.sent_28d, inbox.bounced_28d, inbox.bounce_rate_28d or 0.0
        rows.append(
            {
                "id": inbox.pk,
                "email": inbox.email,
                "state": inbox.state,
                "state_reason": inbox.state_reason,
                "health_score": inbox.health_score,
                "reputation_score": inbox.reputation_score,
                "sent_today": inbox.sent_today,
                "cap_today": inbox.cap_today,
                "sent_28d": sent,
                "bounced_28d": bounced,
                "bounce_rate_28d": round(rate, 4),
                "healthy": inbox.state == InboxState.ACTIVE and rate <= threshold,
            }
        )
    circuits = CircuitState.objects.exclude(state=CircuitState.State.CLOSED)
    return {"sending_enabled": sending_enabled(), "inboxes": rows, "open_circuits": list(circuits)}


def _inbox_out(inbox: Inbox) -> Inbox:
    inbox = inboxes_with_sent_today(Inbox.objects.filter(pk=inbox.pk)).get()
    inbox.cap_today = inbox_cap_today(inbox)
    return inbox


@router.post("/inboxes/{inbox_id}/pause", auth=OPERATE, response={200: InboxOut, **errors(*AUTH_ERRORS, 400, 404, 409)})
def pause_inbox(request, inbox_id: ObjectId, payload: PauseIn = None):
    """Stop sending from this inbox until it is resumed. 409 when it is already paused."""
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    reason = (payload.reason if payload else "") or "paused through the API"
    inbox_pause(inbox=inbox, by=request.auth, reason=reason)
    return _inbox_out(inbox)


@router.post("/inboxes/{inbox_id}/resume", auth=OPERATE, response={200: InboxOut, **errors(*AUTH_ERRORS, 404, 409)})
def resume_inbox(request, inbox_id: ObjectId):
    """Send from this inbox again. 409 when it is already active."""
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    inbox_resume(inbox=inbox, by=request.auth)
    return _inbox_out(inbox)


# --- warmup ---------------------------------------------------------------------------


class WarmupOut(Schema):
    id: int
    email: str
    state: InboxState
    warmup_started_on: datetime.date
    week: int = Field(description="warmup week, 1 on the start day")
    in_warmup: bool = Field(description="false once the schedule is over and the ceiling applies")
    cap_today: int = Field(description="the cap the sender enforces today (jitter included)")
    sent_today: int
    next_cap: int = Field(
        description="the warmup schedule's cap from next_cap_on (each day varies it by up to ±10 % when "
        "WARMUP_JITTER is on, as cap_today shows)"
    )
    next_cap_on: datetime.date = Field(description="the first day of the next warmup week")


class WarmupStatusOut(Schema):
    schedule: list[int] = Field(description="daily cap per warmup week (live setting WARMUP_SCHEDULE)")
    inboxes: list[WarmupOut]


@router.get("/warmup/status", auth=READ, response={200: WarmupStatusOut, **errors(*AUTH_ERRORS)})
def warmup_status(request):
    """Each inbox's warmup week, today's cap and sends, and the cap from next week."""
    today = timezone.localdate()
    schedule, jitter = warmup_schedule(), bool(config.WARMUP_JITTER)
    rows = []
    for inbox in inboxes_with_sent_today():
        week = inbox_warmup_week(inbox, today)
        next_on = inbox.warmup_started_on + datetime.timedelta(weeks=week)
        next_on = max(next_on, today + datetime.timedelta(days=1))
        rows.append(
            {
                "id": inbox.pk,
                "email": inbox.email,
                "state": inbox.state,
                "warmup_started_on": inbox.warmup_started_on,
                "week": week,
                "in_warmup": week <= len(schedule),
                "cap_today": inbox_cap_today(inbox, schedule, jitter),
                "sent_today": inbox.sent_today,
                "next_cap": inbox_warmup_cap(inbox, next_on, schedule),
                "next_cap_on": next_on,
            }
        )
    return {"schedule": schedule, "inboxes": rows}


# --- emergency stop -------------------------------------------------------------------


class SendingOut(Schema):
    sending_enabled: bool


class StopIn(BodyIn):
    reason: Text(300) = ""


@router.get("/emergency-stop", auth=READ, response={200: SendingOut, **errors(*AUTH_ERRORS)})
def sending_state(request):
    """Whether sending is running (false: the emergency stop is on)."""
    return {"sending_enabled": sending_enabled()}


@router.post("/emergency-stop", auth=OPERATE, response={200: SendingOut, **errors(*AUTH_ERRORS, 400, 409)})
def emergency_stop(request, payload: StopIn = None):
    """Halt all sending now: no new send starts until released. 409 when already stopped."""
    try:
        sending_emergency_stop(by=request.auth, reason=payload.reason if payload else "")
    except ApplicationError as exc:
        raise ApiConflict(exc.message, current_state="stopped") from None
    return {"sending_enabled": False}


@router.post("/emergency-stop/release", auth=OPERATE, response={200: SendingOut, **errors(*AUTH_ERRORS, 409)})
def emergency_release(request):
    """Resume sending after an emergency stop. 409 when sending is already running."""
    try:
        sending_resume(by=request.auth)
    except ApplicationError as exc:
        raise ApiConflict(exc.message, current_state="running") from None
    return {"sending_enabled": True}


# --- suppression ----------------------------------------------------------------------


class SuppressionOut(RowOut):
    id: int
    kind: Suppression.Kind
    value: str = Field(description="empty once the person's data was erased (the hash still blocks sends)")
    reason: Suppression.Reason
    source: str
    created_at: datetime.datetime


class SuppressionCreatedOut(SuppressionOut):
    created: bool = Field(description="false: the value was already suppressed; this is that entry")


class SuppressionIn(BodyIn):
    kind: Suppression.Kind = Suppression.Kind.ADDRESS
    value: Text(254, min_length=3) = Field(description="an email address, or a domain for kind=domain")
    reason: Suppression.Reason = Suppression.Reason.MANUAL
    source: Text(120) = "api"


class SuppressionFilters(ListFilters):
    kind: Suppression.Kind | None = None
    reason: Suppression.Reason | None = None
    value: Text(254) | None = Field(None, description="exact address or domain; finds erased entries too")

    lookups: ClassVar[dict[str, str]] = {"kind": "kind", "reason": "reason"}

    def apply(self, queryset):
        queryset = super().apply(queryset)
        if self.value:
            queryset = queryset.filter(value_hash=suppression_hash(self.value.lstrip("@")))
        return queryset


@router.get("/suppression", auth=READ, response={200: list[SuppressionOut], **errors(*AUTH_ERRORS)})
@paginate(KeysetPagination)
def list_suppression(request, filters: Query[SuppressionFilters]):
    """Addresses and domains we never email, newest first."""
    return filters.apply(Suppression.objects.all())


@router.post(
    "/suppression",
    auth=WRITE,
    response={200: SuppressionCreatedOut, 201: SuppressionCreatedOut, **errors(*AUTH_ERRORS, 400)},
)
def add_suppression(request, payload: SuppressionIn):
    """Suppress an address or a domain: 201 when new, 200 when it was already on the list."""
    try:
        entry, created = suppression_add(
            kind=payload.kind, value=payload.value, reason=payload.reason, source=payload.source, by=request.auth
        )
    except ApplicationError as exc:  # the value is not an address / a domain
        raise invalid("value", exc.message) from None
    entry.created = created
    return Status(201 if created else 200, entry)


@router.delete("/suppression/{suppression_id}", auth=WRITE, response={204: None, **errors(*AUTH_ERRORS, 404, 409)})
def remove_suppression(request, suppression_id: ObjectId):
    """Allow emailing the value again. Entries left by a GDPR erasure cannot be removed (409)."""
    entry = get_object_or_404(Suppression, pk=suppression_id)
    if entry.reason == Suppression.Reason.ERASURE:
        raise ApiConflict(
            "This entry keeps an erased person from being contacted again; it stays.", current_state="erasure"
        )
    suppression_remove(entry=entry, by=request.auth)
    return Status(204, None)
