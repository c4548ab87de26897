"""The numbers behind the admin's dashboard and pipeline health page.

Every figure is an aggregate computed by one grouped query over an indexed column (no
per-row work in Python, no personal data), and each comes with the admin changelist
URL that lists the rows behind it. The dashboard's query count does not grow with the
data: one query per panel, whatever the number of prospects, inboxes or campaigns.
The funnel is the expensive panel at a million prospects, so it is cached briefly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from constance import config
from django.core.cache import cache
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Q, Value
from django.urls import reverse
from django.utils import timezone

from infra.models import CircuitState, DeadLetter, StateTransition
from jengu.status import queue_depths
from outreach.models import Campaign, Email, EmailStatus
from outreach.selectors import (
    ComplaintThresholds,
    emails_awaiting_approval,
    inbox_caps_today,
    inboxes_with_rates,
    inboxes_with_sent_today,
    sending_domains_with_rates,
)
from prospects.models import Prospect, ProspectStage
from replies.models import Intent, Reply
from replies.recognition import MACHINE_INTENTS

S = ProspectStage
FUNNEL_CACHE_SECONDS = 30

# A funnel step counts every prospect that reached it: those in its stages or later.
# Lost prospects are counted on their own (their stage no longer says how far they got).
FUNNEL = [
    ("Acquired", [s for s in S.values if s != S.LOST]),
    ("Enriched", [S.ENRICHED, S.RESEARCHING, S.READY, S.COMPOSING, S.COMPOSED, S.QUEUED, S.SENDING, S.SENT,
                  S.CONTACTED, S.ENGAGED, S.REPLIED, S.MEETING, S.WON]),
    ("Ready to write", [S.READY, S.COMPOSING, S.COMPOSED, S.QUEUED, S.SENDING, S.SENT, S.CONTACTED, S.ENGAGED,
                        S.REPLIED, S.MEETING, S.WON]),
    ("Emailed", [S.SENT, S.CONTACTED, S.ENGAGED, S.REPLIED, S.MEETING, S.WON]),
    ("Replied", [S.ENGAGED, S.REPLIED, S.MEETING, S.WON]),
    ("Meeting", [S.MEETING, S.WON]),
    ("Won", [S.WON]),
]  # fmt: skip

# the pipeline's working stages: (stage name, the claim state it works in, the state it
# waits in, the transition that finishes it, the dead-letter stage name)
PIPELINE_STAGES = [
    ("Enrichment", S.ENRICHING, S.NEW, "finish_enrichment", "enrichment"),
    ("Research", S.RESEARCHING, S.ENRICHED, "finish_research", "research"),
    ("Composition", S.COMPOSING, S.READY, "finish_composing", "composition"),
    ("Sending", S.SENDING, S.QUEUED, "finish_sending", "sending"),
]


def changelist(model_admin: str, **filters) -> str:
    url = reverse(f"admin:{model_admin}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


@dataclass
class Bar:
    label: str
    value: float
    url: str
    limit: float | None = None  # a cap or threshold drawn on the bar
    note: str = ""
    percent: float = 0.0  # width of the bar, 0–100, set by scale()
    limit_percent: float | None = None
    soft_limit: float | None = None  # a lower threshold that slows down (dashed)
    soft_limit_percent: float | None = None


def scale(bars: list[Bar], *, maximum: float | None = None) -> list[Bar]:
    """Set each bar's width relative to the largest value (or limit) in the chart."""
    top = maximum or max([b.value for b in bars] + [b.limit or 0 for b in bars] + [1])
    for bar in bars:
        bar.percent = round(100 * bar.value / top, 1)
        bar.limit_percent = None if bar.limit is None else round(100 * bar.limit / top, 1)
        bar.soft_limit_percent = None if bar.soft_limit is None else round(100 * bar.soft_limit / top, 1)
    return bars


@dataclass
class Dashboard:
    funnel: list[Bar] = field(default_factory=list)
    lost: int = 0
    sends_today: list[Bar] = field(default_factory=list)
    intents_this_week: list[Bar] = field(default_factory=list)
    reply_rate_by_campaign: list[Bar] = field(default_factory=list)
    reply_rate_by_variant: list[Bar] = field(default_factory=list)
    bounce_rates: list[Bar] = field(default_factory=list)
    complaint_rates: list[Bar] = field(default_factory=list)
    domain_bounce_rates: list[Bar] = field(default_factory=list)
    domain_complaint_rates: list[Bar] = field(default_factory=list)
    bounce_threshold: float = 0.05
    complaint_thresholds: ComplaintThresholds | None = None
    queue_depths: dict = field(default_factory=dict)
    dead_letters: int = 0
    open_circuits: list = field(default_factory=list)
    sending_enabled: bool = True
    drafts_awaiting_approval: int = 0
    replies_needing_a_human: int = 0
    people: list[PersonWork] = field(default_factory=list)  # each person's open tasks and replies
    held_back: list[Bar] = field(default_factory=list)  # per country rule: prospects and emails it holds back
    kpis: Kpis | None = None
    stage_timings: list[StageTiming] = field(default_factory=list)
    cost: object = None  # jengu.cost.CostReport

    @staticmethod
    def _percent(rate: float) -> str:
        return f"{rate * 100:g} %"

    @property
    def bounce_threshold_label(self) -> str:
        return self._percent(self.bounce_threshold)

    @property
    def complaint_halve_label(self) -> str:
        return self._percent(self.complaint_thresholds.halve) if self.complaint_thresholds else ""

    @property
    def complaint_pause_label(self) -> str:
        return self._percent(self.complaint_thresholds.pause) if self.complaint_thresholds else ""


def funnel_counts() -> tuple[dict[str, int], int]:
    """Prospects per stage (one GROUP BY on the stage index), cached briefly."""
    cached = cache.get("dashboard:stage_counts")
    if cached is None:
        cached = dict(Prospect.objects.values_list("stage").annotate(n=Count("id")).order_by())
        cache.set("dashboard:stage_counts", cached, FUNNEL_CACHE_SECONDS)
    return cached, cached.get(S.LOST, 0)


def funnel() -> tuple[list[Bar], int]:
    per_stage, lost = funnel_counts()
    bars, previous = [], None
    for label, stages in FUNNEL:
        value = sum(per_stage.get(stage, 0) for stage in stages)
        note = "" if previous is None else (f"{value / previous:.0%}" if previous else "–")
        url = (
            changelist("prospects_prospect")
            if label == "Acquired"
            else changelist("prospects_prospect", stage__in=",".join(stages))
        )
        bars.append(Bar(label, value, url, note=note))
        previous = value
    return scale(bars), lost


def sends_today() -> list[Bar]:
    bars, inboxes = [], list(inboxes_with_sent_today())
    caps = inbox_caps_today(inboxes)
    for inbox in inboxes:
        url = changelist("outreach_email", inbox__id__exact=inbox.pk, sent_at__gte=timezone.localdate().isoformat())
        cap = caps[inbox.pk]
        bars.append(Bar(inbox.email, inbox.sent_today, url, limit=cap, note=f"{inbox.sent_today} of {cap}"))
    return scale(bars)


def intents_this_week(now) -> list[Bar]:
    since = now - datetime.timedelta(days=7)
    counts = dict(Reply.objects.filter(received_at__gte=since).values_list("intent").annotate(n=Count("id")).order_by())
    bars = [
        Bar(label, counts.get(value, 0), changelist("replies_reply", intent__exact=value))
        for value, label in Intent.choices
    ]
    return scale(bars)


def _rate_bars(rows, label_of, url_of) -> list[Bar]:
    bars = []
    for row in rows:
        sent, replied = row["sent"], row["replied"]
        rate = replied / sent if sent else 0.0
        bars.append(Bar(label_of(row), rate, url_of(row), note=f"{replied} of {sent} ({rate:.0%})"))
    return scale(bars, maximum=max([b.value for b in bars] + [0.1]))


def reply_rates(now) -> tuple[list[Bar], list[Bar]]:
    """Reply rate of first emails per campaign and per subject variant (the A/B report)."""
    first_emails = Email.objects.filter(status__in=EmailStatus.WENT_OUT, sequence_step=1)
    replied = Q(replies__isnull=False)
    by_campaign = (
        first_emails.values("campaign_id", "campaign__name")
        .annotate(sent=Count("id", distinct=True), replied=Count("id", filter=replied, distinct=True))
        .order_by("campaign__name")
    )
    campaigns = _rate_bars(
        by_campaign,
        lambda row: row["campaign__name"] or "(no campaign)",
        lambda row: changelist("outreach_email", campaign__id__exact=row["campaign_id"] or ""),
    )
    by_variant = (
        first_emails.filter(subject_variant__isnull=False)
        .values("campaign_id", "campaign__name", "subject_variant")
        .annotate(sent=Count("id", distinct=True), replied=Count("id", filter=replied, distinct=True))
        .order_by("campaign__name", "subject_variant")
    )
    subjects = dict(Campaign.objects.values_list("id", "subject_variants"))

    def variant_label(row):
        variants = subjects.get(row["campaign_id"]) or []
        index = row["subject_variant"]
        subject = variants[index] if index < len(variants) else f"variant {index + 1}"
        return f"{row['campaign__name']}: “{subject}”"

    variants = _rate_bars(
        by_variant,
        variant_label,
        lambda row: changelist(
            "outreach_email", campaign__id__exact=row["campaign_id"], subject_variant=row["subject_variant"]
        ),
    )
    return campaigns, variants


@dataclass
class Deliverability:
    bounces: list[Bar]
    complaints: list[Bar]
    domain_bounces: list[Bar]
    domain_complaints: list[Bar]


def _rate_note(part: int, sent: int, rate: float, digits: int) -> str:
    return f"{part} of {sent} ({rate:.{digits}%})"


def deliverability(now, threshold: float, complaint: ComplaintThresholds) -> Deliverability:
    """Hard-bounce and complaint rates over 28 days per inbox and per sending domain
    (outreach.selectors, one query), with the bounce pause and the complaint thresholds."""
    inboxes = list(inboxes_with_rates(now=now).order_by("email"))
    domains = sending_domains_with_rates(inboxes=inboxes)
    bounces, complaints, domain_bounces, domain_complaints = [], [], [], []
    for inbox in inboxes:
        sent, bounced, complained = inbox.sent_28d, inbox.bounced_28d, inbox.complained_28d
        bounce_rate, complaint_rate = inbox.bounce_rate_28d or 0.0, inbox.complaint_rate_28d or 0.0
        bounced_url = changelist("outreach_email", inbox__id__exact=inbox.pk, status__exact="bounced")
        spam_url = changelist("outreach_email", inbox__id__exact=inbox.pk, status__exact="spam")
        bounces.append(Bar(inbox.email, bounce_rate, bounced_url, limit=threshold,
                           note=_rate_note(bounced, sent, bounce_rate, 1)))  # fmt: skip
        complaints.append(Bar(inbox.email, complaint_rate, spam_url, limit=complaint.pause, soft_limit=complaint.halve,
                              note=_rate_note(complained, sent, complaint_rate, 2)))  # fmt: skip
    for rates in domains:
        sent = rates.sent_28d
        bounce_rate, complaint_rate = rates.bounce_rate_28d or 0.0, rates.complaint_rate_28d or 0.0
        url = changelist("outreach_inbox", email__iendswith=f"@{rates.domain}")
        domain_bounces.append(Bar(rates.domain, bounce_rate, url, limit=threshold,
                                  note=_rate_note(rates.bounced_28d, sent, bounce_rate, 1)))  # fmt: skip
        verdict = complaint.verdict(sent, rates.complained_28d)
        note = _rate_note(rates.complained_28d, sent, complaint_rate, 2)
        if verdict == "pause":
            note += " — over the pause threshold"  # paused on its last complaint (a person may resume)
        elif verdict == "halve":
            note += " — caps halved"
        elif sent < complaint.min_sends:
            note += f" — under {complaint.min_sends} sends: not acted on"
        domain_complaints.append(
            Bar(rates.domain, complaint_rate, url, limit=complaint.pause, soft_limit=complaint.halve, note=note)
        )
    bounce_top = max([b.value for b in bounces + domain_bounces] + [threshold * 2])
    complaint_top = max([b.value for b in complaints + domain_complaints] + [complaint.pause * 2])
    return Deliverability(
        bounces=scale(bounces, maximum=bounce_top),
        complaints=scale(complaints, maximum=complaint_top),
        domain_bounces=scale(domain_bounces, maximum=bounce_top),
        domain_complaints=scale(domain_complaints, maximum=complaint_top),
    )


def held_back() -> list[Bar]:
    """Per restrictive country rule: prospects not yet emailed without a consent, and held emails.

    Two grouped queries over the prospects of the rules' countries: cached briefly, as the funnel is.
    """
    from outreach.compliance import held_back_by_rule

    rows = cache.get("dashboard:held_back")
    if rows is None:
        rows = held_back_by_rule()
        cache.set("dashboard:held_back", rows, FUNNEL_CACHE_SECONDS)
    bars = []
    for row in rows:
        url = (
            changelist("prospects_prospect", country=row.country)
            if row.country
            else changelist("outreach_email", status__exact=EmailStatus.HELD)
        )
        note = f"{row.waiting_prospects} without consent, {row.held_emails} email(s) held"
        # a prospect whose email is held is among those without consent: the larger number is the reach
        value = max(row.waiting_prospects, row.held_emails)
        bars.append(Bar(f"{row.country_name}: {row.basis_label}", value, url, note=note))
    return scale(bars)


# --- KPIs the reference design names (last 30 days) and per-stage processing times -----------

KPI_WINDOW_DAYS = 30
KPI_CACHE_SECONDS = 60
ESP_OPEN_TRACKING = ("resend", "sendgrid")  # the providers whose webhooks report opens
POSITIVE_INTENTS = ("interested", "meeting_request")


@dataclass
class Kpi:
    label: str
    value: float | None  # a share 0–1, or a count when ``count`` is set
    detail: str
    target: str = ""
    count: bool = False

    @property
    def text(self) -> str:
        if self.value is None:
            return "–"
        return f"{self.value:.0f}" if self.count else f"{self.value:.1%}"


@dataclass
class Kpis:
    items: list[Kpi]
    open_rate_note: str = ""

    def as_dict(self) -> dict:
        return {kpi.label: None if kpi.value is None else round(kpi.value, 4) for kpi in self.items}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def kpis(now=None) -> Kpis:
    """The reference design's KPIs over the last 30 days: four aggregate queries, cached a minute."""
    cached = cache.get("dashboard:kpis")
    if cached is not None:
        return cached
    from prospects.models import EnrichmentStatus

    now = now or timezone.now()
    since = now - datetime.timedelta(days=KPI_WINDOW_DAYS)
    finished = Q(enrichment_status__in=[EnrichmentStatus.COMPLETED, EnrichmentStatus.PARTIAL, EnrichmentStatus.FAILED])
    enrichment = Prospect.objects.filter(created_at__gte=since).aggregate(
        finished=Count("id", filter=finished),
        website=Count("id", filter=finished & ~Q(company_website="")),
        verified=Count("id", filter=finished & Q(email_verified=True)),
        full=Count("id", filter=Q(enrichment_status=EnrichmentStatus.COMPLETED)),
    )
    tracked = Q(provider__in=ESP_OPEN_TRACKING)
    emails = Email.objects.filter(status__in=EmailStatus.WENT_OUT, sent_at__gte=since).aggregate(
        sent=Count("id"),
        bounced=Count("id", filter=Q(status=EmailStatus.BOUNCED)),
        tracked=Count("id", filter=tracked),
        opened=Count("id", filter=tracked & Q(opened_at__isnull=False)),
    )
    person = Q(is_auto_reply=False) & ~Q(intent__in=MACHINE_INTENTS)  # answers by a machine, not a person
    replies = Reply.objects.filter(received_at__gte=since).aggregate(
        replies=Count("id", filter=person),
        positive=Count("id", filter=person & Q(intent__in=POSITIVE_INTENTS)),
        processed=Count("id", filter=Q(processed_at__isnull=False)),
        automated=Count("id", filter=Q(processed_at__isnull=False, needs_human=False)),
    )
    meetings = StateTransition.objects.filter(transition="book_meeting", created_at__gte=since).count()
    finished_n, sent = enrichment["finished"], emails["sent"]
    untracked = sent - emails["tracked"]
    note = (
        f"{untracked} of {sent} emails went out through SMTP or the sandbox, which report no opens; "
        "the open rate counts Resend and SendGrid emails only."
        if untracked
        else ""
    )
    result = Kpis(
        items=[
            Kpi("Website found", _share(enrichment["website"], finished_n),
                f"{enrichment['website']} of {finished_n} enriched prospects", "~85 %"),
            Kpi("Verified email found", _share(enrichment["verified"], finished_n),
                f"{enrichment['verified']} of {finished_n} enriched prospects", "~90 %"),
            Kpi("Full enrichment", _share(enrichment["full"], finished_n),
                f"{enrichment['full']} of {finished_n} completed"),
            Kpi("Delivered", _share(sent - emails["bounced"], sent), f"{sent - emails['bounced']} of {sent} sent",
                "97 %+"),
            Kpi("Open rate", _share(emails["opened"], emails["tracked"]),
                f"{emails['opened']} of {emails['tracked']} with open tracking"),
            Kpi("Reply rate", _share(replies["replies"], sent), f"{replies['replies']} replies to {sent} emails",
                "3–5 %"),
            Kpi("Positive-reply rate", _share(replies["positive"], sent),
                f"{replies['positive']} interested or asking to meet"),
            Kpi("Meetings", meetings, "prospects moved to meeting", count=True),
            Kpi("Automation share", _share(replies["automated"], replies["processed"]),
                f"{replies['automated']} of {replies['processed']} replies handled without a person", "95 %"),
        ],
        open_rate_note=note,
    )  # fmt: skip
    cache.set("dashboard:kpis", result, KPI_CACHE_SECONDS)
    return result


# (stage, the transition that claims the prospect, the one that finishes the work)
TIMED_STAGES = [
    ("Enrichment", "start_enrichment", "finish_enrichment"),
    ("Research", "start_research", "finish_research"),
    ("Composition", "start_composing", "finish_composing"),
    ("Sending", "start_sending", "finish_sending"),
]
TIMING_WINDOW_DAYS = 7
TIMING_SAMPLE = 5000  # the latest finishes, all stages together


@dataclass
class StageTiming:
    name: str
    samples: int
    p50: datetime.timedelta | None
    p95: datetime.timedelta | None

    @staticmethod
    def _text(delta) -> str:
        if delta is None:
            return "–"
        seconds = delta.total_seconds()
        if seconds < 120:
            return f"{seconds:.0f} s"
        return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"

    @property
    def p50_text(self) -> str:
        return self._text(self.p50)

    @property
    def p95_text(self) -> str:
        return self._text(self.p95)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def stage_timings(now=None) -> list[StageTiming]:
    """p50/p95 from claim to finish per stage over 7 days, from the transition log (one query,
    the latest 5,000 finishes; each finds its claim through the subject/created_at index)."""
    cached = cache.get("dashboard:stage_timings")
    if cached is not None:
        return cached
    from django.db.models import Case, CharField, OuterRef, Subquery, When

    now = now or timezone.now()
    claim_of = Case(*[When(transition=finish, then=Value(claim)) for _, claim, finish in TIMED_STAGES],
                    output_field=CharField())  # fmt: skip
    claims = StateTransition.objects.filter(
        content_type=OuterRef("content_type"),
        object_id=OuterRef("object_id"),
        transition=OuterRef("claim"),
        created_at__lte=OuterRef("created_at"),
    ).order_by("-created_at")
    rows = (
        StateTransition.objects.filter(
            transition__in=[finish for _, _, finish in TIMED_STAGES],
            created_at__gte=now - datetime.timedelta(days=TIMING_WINDOW_DAYS),
        )
        .annotate(claim=claim_of)
        .annotate(claimed_at=Subquery(claims.values("created_at")[:1]))
        .order_by("-created_at")
        .values_list("transition", "created_at", "claimed_at")[:TIMING_SAMPLE]
    )
    durations: dict[str, list[float]] = {finish: [] for _, _, finish in TIMED_STAGES}
    for finish, finished_at, claimed_at in rows:
        if claimed_at is not None:
            durations[finish].append((finished_at - claimed_at).total_seconds())
    result = []
    for name, _, finish in TIMED_STAGES:
        values = durations[finish]
        p50 = datetime.timedelta(seconds=_percentile(values, 0.5)) if values else None
        p95 = datetime.timedelta(seconds=_percentile(values, 0.95)) if values else None
        result.append(StageTiming(name, len(values), p50, p95))
    cache.set("dashboard:stage_timings", result, KPI_CACHE_SECONDS)
    return result


def dashboard(now=None) -> Dashboard:
    now = now or timezone.now()
    threshold = float(config.BOUNCE_RATE_PAUSE_THRESHOLD)
    board = Dashboard(bounce_threshold=threshold, sending_enabled=bool(config.SENDING_ENABLED))
    board.funnel, board.lost = funnel()
    board.sends_today = sends_today()
    board.intents_this_week = intents_this_week(now)
    board.reply_rate_by_campaign, board.reply_rate_by_variant = reply_rates(now)
    board.complaint_thresholds = ComplaintThresholds.live()
    rates = deliverability(now, threshold, board.complaint_thresholds)
    board.bounce_rates, board.complaint_rates = rates.bounces, rates.complaints
    board.domain_bounce_rates, board.domain_complaint_rates = rates.domain_bounces, rates.domain_complaints
    board.queue_depths = queue_depths()
    board.dead_letters = DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).count()
    board.open_circuits = list(
        CircuitState.objects.exclude(state=CircuitState.State.CLOSED).values("key", "state", "last_error")
    )
    board.drafts_awaiting_approval = emails_awaiting_approval().count()
    board.replies_needing_a_human = Reply.objects.filter(needs_human=True, processed_at__isnull=False).count()
    board.people = people_work(now)
    board.held_back = held_back()
    board.kpis = kpis(now)
    board.stage_timings = stage_timings(now)
    from jengu.cost import cost_report

    board.cost = cost_report(now)
    return board


@dataclass
class PersonWork:
    user_id: int
    username: str
    open_tasks: int = 0
    overdue_tasks: int = 0
    replies_needing_a_human: int = 0  # of the prospects they own


def people_work(now) -> list[PersonWork]:
    """Per person: open and overdue tasks, and replies needing a human on the prospects they own.

    Two grouped queries (tasks by assignee on their index; the replies needing a human,
    a short list, by their prospect's owner) and one for the names."""
    from django.contrib.auth import get_user_model

    from prospects.models import Task

    tasks = (
        Task.objects.filter(done_at__isnull=True, assignee__isnull=False)
        .values("assignee")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
        .order_by()
    )
    replies = dict(
        Reply.objects.filter(needs_human=True, processed_at__isnull=False, prospect__owner__isnull=False)
        .values_list("prospect__owner")
        .annotate(n=Count("id"))
        .order_by()
    )
    people = {row["assignee"]: PersonWork(row["assignee"], "", row["open"], row["overdue"]) for row in tasks}
    for user_id, count in replies.items():
        people.setdefault(user_id, PersonWork(user_id, "")).replies_needing_a_human = count
    names = dict(get_user_model().objects.filter(pk__in=people).values_list("pk", "username"))
    for person in people.values():
        person.username = names.get(person.user_id, f"user #{person.user_id}")
    return sorted(people.values(), key=lambda p: (-p.overdue_tasks, -p.replies_needing_a_human, p.username))


@dataclass
class StageHealth:
    name: str
    in_flight: int
    waiting: int
    done_today: int
    failed: int
    average_wait: datetime.timedelta | None
    oldest_waiting: datetime.datetime | None
    in_flight_url: str
    waiting_url: str
    failed_url: str


def pipeline_health(now=None) -> list[StageHealth]:
    """Per stage: in flight, waiting (with the average and oldest wait), done today, failed."""
    now = now or timezone.now()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    claim_states = [row[1] for row in PIPELINE_STAGES]
    wait_states = [row[2] for row in PIPELINE_STAGES]
    waited = ExpressionWrapper(Value(now) - F("stage_changed_at"), output_field=DurationField())
    per_state = {
        row["stage"]: row
        for row in Prospect.objects.filter(stage__in=claim_states + wait_states)
        .values("stage")
        .annotate(n=Count("id"), oldest=Min("stage_changed_at"), average_wait=Avg(waited))
        .order_by()
    }
    done = dict(
        StateTransition.objects.filter(transition__in=[row[3] for row in PIPELINE_STAGES], created_at__gte=start_of_day)
        .values_list("transition")
        .annotate(n=Count("id"))
        .order_by()
    )
    failed = dict(
        DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).values_list("stage").annotate(n=Count("id")).order_by()
    )
    health = []
    for name, claim_state, wait_state, finish, dead_letter_stage in PIPELINE_STAGES:
        waiting = per_state.get(wait_state, {})
        health.append(
            StageHealth(
                name=name,
                in_flight=per_state.get(claim_state, {}).get("n", 0),
                waiting=waiting.get("n", 0),
                done_today=done.get(finish, 0),
                failed=failed.get(dead_letter_stage, 0),
                average_wait=waiting.get("average_wait"),
                oldest_waiting=waiting.get("oldest"),
                in_flight_url=changelist("prospects_prospect", stage__exact=claim_state),
                waiting_url=changelist("prospects_prospect", stage__exact=wait_state),
                failed_url=changelist("infra_deadletter", stage=dead_letter_stage, status__exact="open"),
            )
        )
    return health
