"""The apps' metrics, for the alert rules, /metrics and the doctor (infra.metrics finds this module).

jengu sits above every app, so the metrics that read prospects, outreach and replies live
here (infra knows no app). Each reads a bounded slice: today's sends, the last 24 hours or
28 days through an index, the last two acquisition runs, small tables (inboxes, domains).
The dashboard and the sender use the same selectors, so the numbers agree.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from infra.metrics import MetricContext, Reading, heartbeats, register_export, register_metric

BUSINESS_DAYS = range(0, 5)  # Monday–Friday: when "sends by 15:00" is judged
CAPACITY_CHECK_HOUR = 15
DELIVERED_MIN_SENDS = 20  # below this many sends in 24 h a ratio says nothing yet


# --- sending ---------------------------------------------------------------------------------


def _inboxes_today(ctx: MetricContext):
    """Inboxes with today's sends and caps, and the domains the sender holds (shared by metrics)."""

    def load():
        from outreach.selectors import inbox_caps_today, inboxes_with_sent_today, sending_domains_held

        inboxes = list(inboxes_with_sent_today())
        return inboxes, inbox_caps_today(inboxes), sending_domains_held(ctx.now)

    return ctx.once("inboxes_today", load)


def _can_send(inbox, held: dict) -> bool:
    from outreach.models import InboxState
    from outreach.selectors import sending_domain_of

    return inbox.state == InboxState.ACTIVE and sending_domain_of(inbox.email) not in held


@register_metric("inboxes_able_to_send", description="Inboxes that may send now: active, their domain not held.")
def _inboxes_able_to_send(ctx):
    from outreach.models import InboxState
    from outreach.selectors import sending_domain_of

    inboxes, _, held = _inboxes_today(ctx)
    if not inboxes:
        return {}
    able = [inbox for inbox in inboxes if _can_send(inbox, held)]
    paused = sum(1 for inbox in inboxes if inbox.state != InboxState.ACTIVE)
    held_count = sum(
        1 for inbox in inboxes if inbox.state == InboxState.ACTIVE and sending_domain_of(inbox.email) in held
    )
    detail = f"{len(able)} of {len(inboxes)} inboxes can send: {paused} paused or circuit-open, {held_count} held"
    if held:
        detail += f" ({'; '.join(f'{domain}: {why}' for domain, why in sorted(held.items())[:3])})"
    return {"": Reading(len(able), detail[:300])}


@register_metric(
    "sends_vs_capacity",
    description="Sends today ÷ today's capacity of the inboxes that can send, from 15:00 on a weekday in the "
    "main market (MAIN_MARKET_TIMEZONE); no value before.",
)
def _sends_vs_capacity(ctx):
    local = ctx.now.astimezone(zoneinfo.ZoneInfo(settings.MAIN_MARKET_TIMEZONE))
    if local.weekday() not in BUSINESS_DAYS or local.hour < CAPACITY_CHECK_HOUR:
        return {}
    inboxes, caps, held = _inboxes_today(ctx)
    able = [inbox for inbox in inboxes if _can_send(inbox, held)]
    capacity = sum(caps[inbox.pk] for inbox in able)
    if not capacity:
        return {}
    sent = sum(inbox.sent_today for inbox in inboxes)
    return {"": Reading(sent / capacity, f"{sent} sent of {capacity} today at {local:%H:%M} {local.tzname()}")}


@register_metric("delivered_ratio_24h", description="Emails sent in the last 24 h that did not bounce ÷ emails sent.")
def _delivered_ratio(ctx):
    from outreach.models import Email, EmailStatus

    counts = Email.objects.filter(
        status__in=EmailStatus.WENT_OUT, sent_at__gte=ctx.now - datetime.timedelta(hours=24), sent_at__lte=ctx.now
    ).aggregate(sent=Count("id"), bounced=Count("id", filter=Q(status=EmailStatus.BOUNCED)))
    sent, bounced = counts["sent"], counts["bounced"]
    if sent < DELIVERED_MIN_SENDS:
        return {"": Reading(None, f"only {sent} sent in 24 h")}
    return {"": Reading((sent - bounced) / sent, f"{sent - bounced} of {sent} delivered (not bounced) in 24 h")}


def _domain_rates(ctx):
    def load():
        from constance import config

        from outreach.selectors import ComplaintThresholds, inboxes_with_rates, sending_domains_with_rates

        inboxes = list(inboxes_with_rates(now=ctx.now).order_by("email"))
        return (
            inboxes,
            sending_domains_with_rates(inboxes=inboxes),
            float(config.BOUNCE_RATE_PAUSE_THRESHOLD),
            ComplaintThresholds.live(),
        )

    return ctx.once("domain_rates", load)


@register_metric(
    "domain_bounce_rate_vs_threshold",
    description="A sending domain's hard-bounce rate over 28 days ÷ the live pause threshold (above 1: over it).",
    scope_label="domain",
)
def _domain_bounces(ctx):
    from outreach.selectors import BOUNCE_RATE_MIN_SENDS

    _, domains, threshold, _ = _domain_rates(ctx)
    readings = {}
    for rates in domains:
        if rates.sent_28d < BOUNCE_RATE_MIN_SENDS or not threshold:
            readings[rates.domain] = Reading(None, f"only {rates.sent_28d} sends in 28 days")
            continue
        rate = rates.bounce_rate_28d or 0.0
        readings[rates.domain] = Reading(
            rate / threshold, f"{rate:.1%} hard bounces of {rates.sent_28d} sends in 28 days (pause at {threshold:.1%})"
        )
    return readings


@register_metric(
    "domain_complaint_rate_vs_threshold",
    description="A sending domain's complaint rate over 28 days ÷ the live pause threshold (above 1: over it).",
    scope_label="domain",
)
def _domain_complaints(ctx):
    _, domains, _, complaint = _domain_rates(ctx)
    readings = {}
    for rates in domains:
        if rates.sent_28d < complaint.min_sends or not complaint.pause:
            readings[rates.domain] = Reading(None, f"only {rates.sent_28d} sends in 28 days")
            continue
        rate = rates.complaint_rate_28d or 0.0
        readings[rates.domain] = Reading(
            rate / complaint.pause,
            f"{rate:.2%} complaints of {rates.sent_28d} sends in 28 days (pause at {complaint.pause:.2%})",
        )
    return readings


@register_metric(
    "emergency_stop_minutes", description="Minutes since the emergency stop was pressed; no value while sending runs."
)
def _emergency_stop(ctx):
    from infra.models import Event
    from outreach.services.sending_control import sending_enabled

    if sending_enabled():
        return {}
    pressed = Event.objects.filter(name="sending.emergency_stop").order_by("-created_at").first()
    if pressed is None:
        return {"": Reading(0.0, "sending is switched off (live setting SENDING_ENABLED)")}
    minutes = max(0.0, (ctx.now - pressed.created_at).total_seconds() / 60)
    who = f" by {pressed.actor}" if pressed.actor else ""
    return {"": Reading(minutes, f"pressed{who} at {pressed.created_at:%Y-%m-%d %H:%M} UTC: {pressed.message[:120]}")}


# --- acquisition, enrichment, spend ------------------------------------------------------------


@register_metric(
    "acquisition_source_failed_runs",
    description="Of the last two acquisition runs, in how many in a row (from the latest) a source failed.",
    scope_label="source",
)
def _source_failures(ctx):
    from infra.models import Event
    from prospects.events import ACQUISITION_RUN

    runs = list(Event.objects.filter(name=ACQUISITION_RUN, created_at__lte=ctx.now).order_by("-created_at")[:2])
    if not runs:
        return {}

    def failed_sources(run) -> dict[str, str]:
        failed = {}
        for message in (run.data or {}).get("error_messages") or []:
            source = str(message).split(" page ", 1)[0].strip()
            failed.setdefault(source, str(message)[:200])
        return failed

    per_run = [failed_sources(run) for run in runs]
    sources = set(settings.ACQUISITION_SOURCES) | set().union(*per_run)
    readings = {}
    for source in sorted(sources):
        streak = 0
        for failed in per_run:
            if source not in failed:
                break
            streak += 1
        readings[source] = Reading(streak, per_run[0].get(source, "ok in the last run"))
    return readings


def _spend_today(ctx):
    from jengu.cost import spend_on

    return ctx.once("spend_today", lambda: spend_on(timezone.localdate(ctx.now)))


@register_metric("ai_spend_vs_daily_budget", description="Today's AI spend ÷ AI_DAILY_BUDGET (no value without one).")
def _ai_budget(ctx):
    budget = settings.AI_DAILY_BUDGET
    if not budget:
        return {}
    spent = _spend_today(ctx).ai
    return {"": Reading(spent / budget, f"${spent:.2f} of ${budget:.2f} today")}


@register_metric(
    "verifier_spend_vs_daily_budget",
    description="Today's verifier spend ÷ VERIFIER_DAILY_BUDGET (no value without one).",
)
def _verifier_budget(ctx):
    budget = settings.VERIFIER_DAILY_BUDGET
    if not budget:
        return {}
    spent = _spend_today(ctx).verifier
    return {"": Reading(spent / budget, f"${spent:.2f} of ${budget:.2f} today")}


@register_metric(
    "verifier_credits_left", description="Credits left as the verifier last reported them.", scope_label="provider"
)
def _verifier_credits(ctx):
    return {
        key.removeprefix("verifier_credits:"): Reading(row.value, f"reported at {row.at:%Y-%m-%d %H:%M} UTC")
        for key, row in heartbeats(ctx).items()
        if key.startswith("verifier_credits:") and row.value is not None
    }


# --- /metrics: the apps' series beyond the rules' gauges --------------------------------------------


@register_export
def _email_series(ctx):
    from outreach.selectors import sending_domain_of

    inboxes, domains, _, _ = _domain_rates(ctx)
    per_inbox = GaugeMetricFamily(
        "jengu_inbox_emails_28d", "Emails per inbox over 28 days: sent, hard-bounced, complained.",
        labels=["inbox", "domain", "outcome"],
    )  # fmt: skip
    for inbox in inboxes:
        domain = sending_domain_of(inbox.email)
        for outcome, value in (("sent", inbox.sent_28d), ("bounced", inbox.bounced_28d),
                               ("complained", inbox.complained_28d)):  # fmt: skip
            per_inbox.add_metric([inbox.email, domain, outcome], value)
    yield per_inbox
    per_domain = GaugeMetricFamily(
        "jengu_domain_emails_28d", "Emails per sending domain over 28 days.", labels=["domain", "outcome"]
    )
    for rates in domains:
        for outcome, value in (("sent", rates.sent_28d), ("bounced", rates.bounced_28d),
                               ("complained", rates.complained_28d)):  # fmt: skip
            per_domain.add_metric([rates.domain, outcome], value)
    yield per_domain
    today, caps, _ = _inboxes_today(ctx)
    states = GaugeMetricFamily("jengu_inboxes", "Inboxes per state.", labels=["state"])
    counts: dict[str, int] = {}
    for inbox in today:
        counts[inbox.state] = counts.get(inbox.state, 0) + 1
    for state, count in sorted(counts.items()):
        states.add_metric([state], count)
    yield states
    sends = GaugeMetricFamily("jengu_sends_today", "Emails sent today and today's cap, all inboxes.", labels=["kind"])
    sends.add_metric(["sent"], sum(inbox.sent_today for inbox in today))
    sends.add_metric(["cap"], sum(caps.values()))
    yield sends


@register_export
def _reply_series(ctx):
    from replies.models import Reply

    counts = dict(
        Reply.objects.filter(received_at__gte=ctx.now - datetime.timedelta(days=28))
        .values_list("intent")
        .annotate(n=Count("id"))
        .order_by()
    )
    family = GaugeMetricFamily("jengu_replies_28d", "Replies over 28 days by intent.", labels=["intent"])
    for intent, count in sorted(counts.items()):
        family.add_metric([intent or "unclassified"], count)
    yield family


@register_export
def _cost_series(ctx):
    from constance import config

    from jengu.cost import cost_report

    report = cost_report(ctx.now)
    spend = GaugeMetricFamily("jengu_spend_usd", "Spend in US$ by period and kind.", labels=["period", "kind"])
    per_email = GaugeMetricFamily("jengu_cost_per_email_usd", "Total spend ÷ emails sent.", labels=["period"])
    for period in (report.today, report.month):
        for kind, value in period.spend.by_kind().items():
            spend.add_metric([period.label, kind], value)
        if period.per_email is not None:
            per_email.add_metric([period.label], period.per_email)
    yield spend
    yield per_email
    enabled = GaugeMetricFamily("jengu_sending_enabled", "1 while sending runs, 0 after the emergency stop.")
    enabled.add_metric([], 1.0 if config.SENDING_ENABLED else 0.0)
    yield enabled
