"""Reads for the inbox pool: warmup caps, today's sends, bounce and complaint rates.

The 28-day rates live here once (``inboxes_with_rates``): the inbox admin, the
dashboard, the bounce-rate pause and the complaint thresholds all read them. A sending
domain is the part after the @ of an inbox's address; its rates add up its inboxes'.
The enforced daily cap (``inbox_cap_on``) is halved while the inbox's domain is over
``COMPLAINT_RATE_HALVE_THRESHOLD`` with enough sends to judge, so every view shows the
cap the sender enforces.
"""

import datetime
import random
from dataclasses import dataclass, field

from constance import config
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from infra.config import positive_ints
from infra.prepared_read import PreparedRead
from outreach.models import Inbox, InboxDay


def warmup_schedule() -> list[int]:
    """The live warmup schedule: daily cap for week 1, 2, … of an inbox's warmup."""
    return positive_ints(config.WARMUP_SCHEDULE) or [5, 10, 15, 18, 20]


def inbox_warmup_week(inbox: Inbox, day: datetime.date | None = None) -> int:
    day = day or timezone.localdate()
    return max(0, (day - inbox.warmup_started_on).days) // 7 + 1


def inbox_warmup_cap(inbox: Inbox, day: datetime.date | None = None, schedule: list[int] | None = None) -> int:
    """Today's cap: the schedule's figure for the inbox's warmup week, then its ceiling.

    Pass ``schedule`` when computing many inboxes' caps, to read the live setting once.
    """
    schedule = schedule or warmup_schedule()
    week = inbox_warmup_week(inbox, day)
    if week <= len(schedule):
        return min(schedule[week - 1], inbox.daily_ceiling)
    return inbox.daily_ceiling


def inbox_cap_on(
    inbox: Inbox,
    day: datetime.date,
    schedule: list[int] | None = None,
    jitter: bool | None = None,
    halved_domains: set[str] | None = None,
) -> int:
    """The cap the sender enforces on ``day``: the warmup figure, varied by up to ±10 % per
    inbox and day when WARMUP_JITTER is on (stable for the day), so volume does not look
    machine-made; halved while the inbox's sending domain is over the complaint threshold.
    Lists pass ``schedule``, ``jitter`` and ``halved_domains`` to read the live settings once."""
    cap = inbox_warmup_cap(inbox, day, schedule)
    jitter = bool(config.WARMUP_JITTER) if jitter is None else jitter
    if jitter and cap > 1:
        factor = random.Random(f"{inbox.pk}:{day.isoformat()}").uniform(-0.1, 0.1)
        cap = max(1, round(cap * (1 + factor)))
    domain = sending_domain_of(inbox.email)
    if halved_domains is None:
        halved_domains = domains_with_halved_caps(domains=[domain])
    if domain in halved_domains:
        cap = complaint_halved_cap(cap)
    return cap


def complaint_halved_cap(cap: int) -> int:
    """Half the cap (rounded down), never below one a day: stopping is the pause threshold's job."""
    return max(1, cap // 2)


def inbox_cap_today(
    inbox: Inbox,
    schedule: list[int] | None = None,
    jitter: bool | None = None,
    halved_domains: set[str] | None = None,
) -> int:
    """Today's cap as the sender sees it: the one stored with today's first send (an inbox
    from ``inboxes_with_sent_today``), else the one that send will store."""
    fixed = getattr(inbox, "cap_fixed_today", None)
    if fixed is not None:
        return fixed
    return inbox_cap_on(inbox, timezone.localdate(), schedule, jitter, halved_domains)


def inbox_caps_today(inboxes) -> dict[int, int]:
    """Today's cap of each inbox (from ``inboxes_with_sent_today``), reading the live settings once."""
    inboxes = list(inboxes)
    schedule, jitter = warmup_schedule(), bool(config.WARMUP_JITTER)
    halved = domains_with_halved_caps(domains={sending_domain_of(inbox.email) for inbox in inboxes})
    return {inbox.pk: inbox_cap_today(inbox, schedule, jitter, halved) for inbox in inboxes}


def inboxes_with_sent_today(queryset: QuerySet[Inbox] | None = None) -> QuerySet[Inbox]:
    """Inboxes annotated with ``sent_today`` and ``cap_fixed_today`` (once a send stored it) in one query."""
    today_row = InboxDay.objects.filter(inbox=OuterRef("pk"), day=timezone.localdate())
    queryset = Inbox.objects.all() if queryset is None else queryset
    return queryset.annotate(
        sent_today=Coalesce(Subquery(today_row.values("sent")[:1]), Value(0)),
        cap_fixed_today=Subquery(today_row.values("cap")[:1]),
    )


RATE_WINDOW_DAYS = 28
BOUNCE_WINDOW_DAYS = RATE_WINDOW_DAYS
BOUNCE_RATE_MIN_SENDS = 20  # below this many sends in the window, a rate says nothing yet


def inboxes_with_rates(
    queryset: QuerySet[Inbox] | None = None, *, now: datetime.datetime | None = None
) -> QuerySet[Inbox]:
    """Inboxes annotated with their last 28 days: ``sent_28d``, ``bounced_28d`` (hard
    bounces), ``complained_28d`` (spam complaints), ``bounce_rate_28d`` and
    ``complaint_rate_28d`` (None without sends).

    Conditional counts over one join, so a list of inboxes stays one query. An email
    counts when it went out (sent or later) with ``sent_at`` in the window; a hard bounce
    is an email in ``bounced`` (soft bounces are retried and do not change the status), a
    complaint one in ``spam`` (an ESP's complaint webhook or a feedback-loop report).
    """
    from outreach.models import EmailStatus

    since = (now or timezone.now()) - datetime.timedelta(days=RATE_WINDOW_DAYS)
    in_window = Q(emails__sent_at__gte=since, emails__status__in=EmailStatus.WENT_OUT)
    queryset = Inbox.objects.all() if queryset is None else queryset
    return queryset.annotate(
        sent_28d=Count("emails", filter=in_window),
        bounced_28d=Count("emails", filter=in_window & Q(emails__status=EmailStatus.BOUNCED)),
        complained_28d=Count("emails", filter=in_window & Q(emails__status=EmailStatus.SPAM)),
    ).annotate(
        bounce_rate_28d=Cast(F("bounced_28d"), FloatField()) / NullIf(F("sent_28d"), 0),
        complaint_rate_28d=Cast(F("complained_28d"), FloatField()) / NullIf(F("sent_28d"), 0),
    )


def sending_domain_of(address: str) -> str:
    """The sending domain of an inbox: the part of its address after the @."""
    return (address or "").rpartition("@")[2].strip().lower()


@dataclass
class ComplaintThresholds:
    """The live complaint thresholds, read once: above ``halve`` a domain's inboxes send half
    their cap, above ``pause`` they are paused — once the domain has ``min_sends`` sends in
    the window. Below that volume one complaint alone would read as 0.2 % or more."""

    halve: float
    pause: float
    min_sends: int

    @classmethod
    def live(cls) -> "ComplaintThresholds":
        return cls(
            halve=float(config.COMPLAINT_RATE_HALVE_THRESHOLD),
            pause=float(config.COMPLAINT_RATE_PAUSE_THRESHOLD),
            min_sends=int(config.COMPLAINT_RATE_MIN_SENDS),
        )

    def verdict(self, sent: int, complained: int) -> str:
        """``"pause"``, ``"halve"`` or ``""`` (nothing to do, or too few sends to judge)."""
        if sent <= 0 or sent < self.min_sends:
            return ""
        rate = complained / sent
        if rate > self.pause:
            return "pause"
        if rate > self.halve:
            return "halve"
        return ""


@dataclass
class DomainRates:
    """One sending domain's 28 days: its inboxes' sends, hard bounces and complaints added up."""

    domain: str
    inboxes: list[Inbox] = field(default_factory=list)
    sent_28d: int = 0
    bounced_28d: int = 0
    complained_28d: int = 0

    @property
    def bounce_rate_28d(self) -> float | None:
        return self.bounced_28d / self.sent_28d if self.sent_28d else None

    @property
    def complaint_rate_28d(self) -> float | None:
        return self.complained_28d / self.sent_28d if self.sent_28d else None


def sending_domains_with_rates(
    *, domains=None, now: datetime.datetime | None = None, inboxes: list[Inbox] | None = None
) -> list[DomainRates]:
    """Every sending domain (or those in ``domains``) with its 28-day rates, by name; one
    query (none when ``inboxes`` from ``inboxes_with_rates`` are passed in)."""
    if inboxes is None:
        queryset = Inbox.objects.all()
        if domains is not None:
            domain_filter = Q(pk__in=[])
            for domain in domains:
                domain_filter |= Q(email__iendswith=f"@{domain}")
            queryset = queryset.filter(domain_filter)
        inboxes = list(inboxes_with_rates(queryset, now=now).order_by("email"))
    by_domain: dict[str, DomainRates] = {}
    for inbox in inboxes:
        domain = sending_domain_of(inbox.email)
        if domains is not None and domain not in domains:
            continue
        rates = by_domain.setdefault(domain, DomainRates(domain))
        rates.inboxes.append(inbox)
        rates.sent_28d += inbox.sent_28d
        rates.bounced_28d += inbox.bounced_28d
        rates.complained_28d += inbox.complained_28d
    return [by_domain[domain] for domain in sorted(by_domain)]


def domains_with_halved_caps(
    *, domains=None, now: datetime.datetime | None = None, thresholds: ComplaintThresholds | None = None
) -> set[str]:
    """The sending domains (of ``domains``, or all) whose inboxes send half their cap now:
    complaint rate over the halve threshold (a paused domain's inboxes send nothing anyway)."""
    thresholds = thresholds or ComplaintThresholds.live()
    return {
        rates.domain
        for rates in sending_domains_with_rates(domains=domains, now=now)
        if thresholds.verdict(rates.sent_28d, rates.complained_28d)
    }


# --- composition and follow-ups -----------------------------------------------------------


def campaign_for_new_prospects():
    """The campaign new ready prospects are composed for: the default one, else the oldest active one."""
    from outreach.models import Campaign

    active = Campaign.objects.filter(active=True)
    return active.filter(is_default=True).first() or active.order_by("created_at", "id").first()


def campaign_next_subject_variant(campaign) -> tuple[int, str] | None:
    """The A/B subject variant the next first email gets: the one used least so far (evenly assigned)."""
    from django.db.models import Count

    from outreach.models import Email

    variants = [str(v) for v in campaign.subject_variants or [] if str(v).strip()]
    if not variants:
        return None
    used = dict(
        Email.objects.filter(campaign=campaign, sequence_step=1, subject_variant__isnull=False)
        .values_list("subject_variant")
        .annotate(n=Count("id"))
        .values_list("subject_variant", "n")
    )
    index = min(range(len(variants)), key=lambda i: (used.get(i, 0), i))
    return index, variants[index]


def emails_awaiting_approval():
    """Drafts a human must look at: their campaign wants approval, or a gate failed."""
    from django.db.models import Q

    from outreach.models import Email, EmailStatus

    return (
        Email.objects.filter(status=EmailStatus.DRAFT, type__in=[Email.Type.OUTREACH, Email.Type.FOLLOW_UP])
        .filter(
            Q(campaign__requires_approval=True) | Q(gate_results__passed=False) | Q(gate_results__needs_review=True)
        )
        .select_related("prospect", "campaign")
        .order_by("created_at", "id")
    )


def sequence_step_count(campaign) -> int:
    """Steps in a campaign's sequence: the first email plus one per follow-up day."""
    return 1 + len(campaign.follow_up_days or [])


def sequence_step_due_at(sequence, step: int) -> datetime.datetime | None:
    """When follow-up ``step`` (2, 3, …) of ``sequence`` is due: its day offset after the first
    send, and never sooner after the last email than the campaign spaces its steps. A step
    that went out late (an out-of-office pause, a sender outage) pushes the later ones back
    instead of letting them follow on consecutive days."""
    days = [int(d) for d in sequence.campaign.follow_up_days or []]
    if sequence.first_sent_at is None or not 2 <= step <= len(days) + 1:
        return None
    due = sequence.first_sent_at + datetime.timedelta(days=days[step - 2])
    last_sent = sequence.prospect.last_email_sent_at
    if last_sent:
        spacing = days[step - 2] - (days[step - 3] if step > 2 else 0)
        due = max(due, last_sent + datetime.timedelta(days=spacing))
    return due


SEQUENCE_CLOSE_AFTER_DAYS = 7  # after the last step, how long we wait for an answer


def _open_sequences(now):
    """Active sequences (and paused ones whose pause is over) of prospects still waiting on us."""
    from django.db.models import Exists, OuterRef, Q

    from outreach.models import Email, EmailStatus, Sequence, SequenceState
    from prospects.models import ProspectStage

    bounced = Email.objects.filter(prospect=OuterRef("prospect"), status=EmailStatus.BOUNCED)
    return (
        Sequence.objects.filter(
            Q(state=SequenceState.ACTIVE) | Q(state=SequenceState.PAUSED, paused_until__lte=now),
            first_sent_at__isnull=False,
            last_step_sent__gte=1,
            prospect__last_reply_at__isnull=True,
            prospect__stage__in=[ProspectStage.SENT, ProspectStage.CONTACTED],
        )
        .exclude(Exists(bounced))
        .select_related("prospect", "campaign")
        .order_by("first_sent_at", "id")
    )


def _suppressed(prospect) -> bool:
    from outreach.services.suppression import suppression_blocks

    return bool(prospect.email) and suppression_blocks(prospect.email) is not None


def sequences_due_for_follow_up(now: datetime.datetime) -> list:
    """Open sequences whose next follow-up step is due at ``now``; each carries ``next_step``."""
    due = []
    for sequence in _open_sequences(now):
        step = sequence.last_step_sent + 1
        at = sequence_step_due_at(sequence, step)
        if at is None or at > now or _suppressed(sequence.prospect):
            continue
        sequence.next_step = step
        due.append(sequence)
    return due


def sequences_due_to_close(now: datetime.datetime) -> list:
    """Open sequences whose every step went out and whose last wait passed with no answer."""
    due = []
    for sequence in _open_sequences(now):
        steps = sequence_step_count(sequence.campaign)
        if sequence.last_step_sent < steps:
            continue
        days = sequence.campaign.follow_up_days or [0]
        close_at = sequence.first_sent_at + datetime.timedelta(days=int(days[-1]) + SEQUENCE_CLOSE_AFTER_DAYS)
        last_sent = sequence.prospect.last_email_sent_at  # a late last step gets its full week too
        if last_sent:
            close_at = max(close_at, last_sent + datetime.timedelta(days=SEQUENCE_CLOSE_AFTER_DAYS))
        if close_at <= now:
            due.append(sequence)
    return due


# --- sending-domain authentication (outreach.services.domain_auth) -------------------------


def sending_domain_hold_reason(row, now: datetime.datetime | None = None) -> str:
    """Why the sender must not use the inboxes of this SendingDomain row ('' when it may).

    Failing: never. Not checked yet: not until its first check. Unknown (DNS did not
    answer): only while it passed within DNS_UNKNOWN_GRACE_DAYS, so an outage of our
    resolver does not stop a domain that was fine, and a domain never seen to pass does
    not send on a guess. Passing and sandbox (the demo) domains send.
    """
    from django.conf import settings

    from outreach.models import SendingDomain

    state = SendingDomain.State
    if row.state == state.FAILING:
        return f"DNS check failed: {row.failure_reason}"
    if row.state == state.PENDING:
        return "DNS not checked yet (a check is queued)"
    if row.state == state.UNKNOWN:
        now = now or timezone.now()
        grace = datetime.timedelta(days=settings.DNS_UNKNOWN_GRACE_DAYS)
        if row.last_passed_at and row.last_passed_at >= now - grace:
            return ""
        return (
            f"DNS did not answer ({row.failure_reason}) and the domain has not passed "
            f"in the last {settings.DNS_UNKNOWN_GRACE_DAYS} days"
        )
    return ""


def sending_domains_held(now: datetime.datetime | None = None) -> dict[str, str]:
    """{domain: why} for every sending domain whose inboxes the sender must skip (one query)."""
    from outreach.models import SendingDomain

    rows = SendingDomain.objects.exclude(state__in=[SendingDomain.State.OK, SendingDomain.State.SANDBOX])
    return {row.domain: reason for row in rows if (reason := sending_domain_hold_reason(row, now))}


# --- the sender's queue ------------------------------------------------------------------------


def _send_order():
    """Follow-ups and our answers first, then hot before warm before cold (``send_rank``), then oldest first."""
    from outreach.models import Email

    return [
        Case(When(type=Email.Type.OUTREACH, then=Value(1)), default=Value(0), output_field=IntegerField()),
        "send_rank",
        "id",
    ]


def _due(now: datetime.datetime):
    from outreach.models import Email, EmailStatus

    return Email.objects.filter(status=EmailStatus.QUEUED).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def emails_ready_to_send(now: datetime.datetime):
    """Every queued email whose time has come, in the order the pool works through them."""
    from outreach.models import Email

    return (
        _due(now)
        .exclude(type=Email.Type.REPLY, inbox__isnull=True)
        .select_related("prospect", "campaign", "inbox", "thread_root")
        .order_by(*_send_order())
    )


def inboxes_due(now: datetime.datetime, *, held_domains: dict[str, str] | None = None) -> list[Inbox]:
    """Active inboxes whose turn has come and that have slots left today, longest-waiting first.

    An inbox whose sending domain fails its DNS check (``sending_domains_held``) is left out."""
    from outreach.models import InboxState

    held = sending_domains_held(now) if held_domains is None else held_domains
    today = InboxDay.objects.filter(inbox=OuterRef("pk"), day=now.date())
    rows = (
        Inbox.objects.filter(state=InboxState.ACTIVE)
        .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=now))
        .annotate(sent_today=Subquery(today.values("sent")[:1]), cap_today=Subquery(today.values("cap")[:1]))
        .order_by(F("next_send_at").asc(nulls_first=True), "id")
    )
    return [
        inbox
        for inbox in rows
        if sending_domain_of(inbox.email) not in held
        and (inbox.cap_today is None or inbox.sent_today < inbox.cap_today)
    ]


def inboxes_with_work(inboxes: list[Inbox], now: datetime.datetime) -> list[Inbox]:
    """Those of ``inboxes`` a turn could find an email for now: any, while a first email no
    inbox has taken is due; otherwise only the inboxes with a due email of their own thread.

    Three small reads instead of one empty turn per inbox: at night, at weekends, or with
    an empty queue, a pool of 2,500 inboxes would otherwise run (or, from the cron, queue)
    2,500 turns a minute that find nothing. What it keeps is a superset of what
    ``email_next_for_inbox`` can return, so no inbox with work is left out."""
    from outreach.models import Email

    if not inboxes:
        return inboxes
    due = _due(now)
    if due.filter(inbox__isnull=True, type=Email.Type.OUTREACH).exists():
        return inboxes
    own = set(due.filter(inbox__isnull=False).values_list("inbox_id", flat=True).distinct())
    threads = due.filter(inbox__isnull=True, type__in=[Email.Type.FOLLOW_UP, Email.Type.REPLY])
    own |= set(threads.values_list("prospect__sequence__inbox_id", flat=True).distinct())
    return [inbox for inbox in inboxes if inbox.pk in own]


# --- what the sender reads at the moment of sending ----------------------------------------

# the live settings a send reads fresh (the emergency stop first), in the statement that reads the email
SEND_SETTINGS = ("SENDING_ENABLED", "SAME_DOMAIN_GAP_MINUTES", "SEND_MAX_ATTEMPTS")


def _live_settings_in_database() -> bool:
    from constance import settings as constance_settings

    return constance_settings.BACKEND == "constance.backends.database.DatabaseBackend"


def live_settings_columns(keys=SEND_SETTINGS) -> dict:
    """Subqueries reading the live settings ``keys`` from constance's table, for ``annotate``
    (none when the settings live elsewhere, e.g. Redis: ``live_settings_of`` reads them then)."""
    if not _live_settings_in_database():
        return {}
    from constance import settings as constance_settings
    from constance.models import Constance

    prefix = constance_settings.DATABASE_PREFIX
    return {f"live_{key}": Subquery(Constance.objects.filter(key=f"{prefix}{key}").values("value")[:1]) for key in keys}


def live_settings_of(row, keys=SEND_SETTINGS) -> dict:
    """The values ``live_settings_columns`` read on ``row``: decoded as constance does, the
    default for a setting never saved."""
    from constance import codecs
    from django.conf import settings as django_settings

    if not _live_settings_in_database():
        return {key: getattr(config, key) for key in keys}
    values = {}
    for key in keys:
        stored = getattr(row, f"live_{key}")
        values[key] = django_settings.CONSTANCE_CONFIG[key][0] if stored is None else codecs.loads(stored)
    return values


class _Sha256Hex(Func):
    """The hex SHA-256 of a text, as ``suppression_hash`` writes it (PostgreSQL without pgcrypto)."""

    function = "SHA256"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _colleague_answered():
    """The name ('' when unnamed) of a colleague at the prospect's hotel who answered, or NULL.

    As ``prospects_at_same_company``: the same website domain, or without one the same
    company and city keys; never the prospect, a merged duplicate, or the colleague who
    referred the prospect to us (that answer is the invitation to write).
    """
    from prospects.models import Prospect, ProspectStage

    # ProspectStage.ANSWERED without LOST, on purpose: a colleague lost to a bounce or an
    # unsubscribe never answered, and one lost after answering has last_reply_at set
    answered = Q(stage__in=sorted(ProspectStage.ANSWERED - {ProspectStage.LOST}))
    colleagues = (
        Prospect.objects.filter(answered | Q(last_reply_at__isnull=False), merged_into__isnull=True)
        .exclude(pk=OuterRef("prospect_id"))
        .exclude(pk=Coalesce(OuterRef("prospect__referred_by_id"), Value(0)))
        .order_by("-id")
    )
    by_website = colleagues.filter(website_domain=OuterRef("prospect__website_domain"))
    by_name = colleagues.filter(company_key=OuterRef("prospect__company_key"), city_key=OuterRef("prospect__city_key"))
    return Case(
        When(~Q(prospect__website_domain=""), then=Subquery(by_website.values("name")[:1])),
        When(~Q(prospect__company_key=""), then=Subquery(by_name.values("name")[:1])),
        default=Value(None),
        output_field=CharField(),
    )


def emails_with_send_context(queryset, *, circuit_keys=(), optional_circuit_keys=()):
    """Emails with everything the send-time re-checks need, read in the one statement:

    the prospect, its sequence (``prospect.sequence``) and the campaign;
    ``ctx_bounced`` (an earlier email to the prospect bounced), ``ctx_colleague`` (see
    ``_colleague_answered``), ``ctx_unsubscribe_token`` (the address's link, NULL when it
    has none yet or the database lowercases differently), ``ctx_circuits_clean`` (every
    circuit of ``circuit_keys`` exists and is closed without failures, and those of
    ``optional_circuit_keys`` that exist are too) and the live settings
    SEND_SETTINGS. The suppression list is not here: its keys are hashed in Python, and
    the claim checks it in its own UPDATE (outreach.services.sending).
    """
    from django.db.models import Exists
    from django.db.models.functions import Lower, Trim

    from infra.models import CircuitState
    from outreach.models import Email, EmailStatus, UnsubscribeLink

    bounced = Email.objects.filter(prospect=OuterRef("prospect_id"), status=EmailStatus.BOUNCED)
    token = UnsubscribeLink.objects.filter(address_hash=_Sha256Hex(Lower(Trim(OuterRef("to_email"))))).values("token")
    unhealthy = CircuitState.objects.filter(key__in=[*circuit_keys, *optional_circuit_keys]).exclude(
        state=CircuitState.State.CLOSED, consecutive_failures=0
    )
    present = [Exists(CircuitState.objects.filter(key=key)) for key in circuit_keys]
    return queryset.select_related("prospect", "prospect__sequence", "campaign").annotate(
        ctx_bounced=Exists(bounced),
        ctx_colleague=_colleague_answered(),
        ctx_unsubscribe_token=Subquery(token[:1]),
        ctx_circuits_clean=Case(
            When(Q(~Exists(unhealthy), *present), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        **live_settings_columns(),
    )


def _next_for_inbox_queryset(*, inbox_id, now, exclude=(), circuit_keys=(), optional_circuit_keys=()):
    from outreach.models import Email

    due = _due(now).exclude(pk__in=list(exclude))
    # the next one's id first, each kind by an index of its own (an OR over them sorted every
    # due email in the queue): the inbox's own thread, then a thread whose email has no inbox
    # yet but whose sequence has this one, then the first emails no inbox has taken
    # (email_first_queue_idx: send_rank, id); then that one email, joined and annotated
    own = due.filter(inbox_id=inbox_id).order_by("id")
    sequence = due.filter(
        inbox__isnull=True, type__in=[Email.Type.FOLLOW_UP, Email.Type.REPLY], prospect__sequence__inbox_id=inbox_id
    ).order_by("id")
    first = due.filter(inbox__isnull=True, type=Email.Type.OUTREACH).order_by("send_rank", "id")
    next_id = Coalesce(*(Subquery(candidates.values("pk")[:1]) for candidates in (own, sequence, first)))
    context = {"circuit_keys": circuit_keys, "optional_circuit_keys": optional_circuit_keys}
    return emails_with_send_context(Email.objects.filter(pk=next_id), **context)[:1]


def email_next_for_inbox(
    inbox: Inbox, now: datetime.datetime, *, exclude=(), circuit_keys=(), optional_circuit_keys=()
):
    """The next email ``inbox`` may send now (its threads first, then first emails by rank), with its send
    context (``emails_with_send_context``), or None; ``exclude``: emails this turn has
    looked at already. One query, at the moment of sending.

    The query has a dozen subqueries: building and compiling it costs the ORM about ten
    times what the database needs to run it, so it is compiled once per process and shape
    (``PreparedRead``) and run again with this turn's values.
    """
    values = {
        "inbox_id": inbox.pk,
        "now": now,
        "exclude": list(exclude),
        "circuit_keys": list(circuit_keys),
        "optional_circuit_keys": list(optional_circuit_keys),
    }
    read = PreparedRead.get(_next_for_inbox_queryset, values)
    if read is None:  # not preparable (it says why in the log): as the ORM runs it
        return next(iter(_next_for_inbox_queryset(**values)), None)
    return read.first(values)
