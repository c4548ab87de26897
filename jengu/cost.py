"""Cost per email: what the machine spent today and this month, by kind, against the target.

Spend is priced here, at report time, from what was used (so a price changed in the
settings applies to the whole month):

* **AI**: tokens per provider and model and day (stored counters written by the AI
  gateway, infra.metrics.ai_usage_record) × ``AI_PRICES_PER_1K_TOKENS`` (a model not
  listed takes its provider's price);
* **verifier**: credits per day (written where an address is verified,
  prospects.emails.verify_address) × ``VERIFIER_PRICE_PER_CREDIT``;
* **ESP**: emails that went out through Resend or SendGrid × ``ESP_PRICE_PER_EMAIL``
  (an inbox's own SMTP server costs nothing per email: it is in the fixed cost);
* **fixed**: ``MONTHLY_FIXED_COST`` spread evenly over the month's days.

Cost per email is the total ÷ emails sent (every provider), cost per reply the total ÷
replies received, compared with ``COST_PER_EMAIL_TARGET`` (the reference design's $0.01)
and ``MONTHLY_BUDGET``. Three queries, whatever the volume: the day rows of the counters,
one aggregate over the month's sent emails (the status/sent_at index) and one over its
replies (received_at). Usage is counted from the day this code was deployed.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from infra.metrics import counter_days, parse_labels

ESP_PROVIDERS = ("resend", "sendgrid")


def ai_price(provider: str, model: str) -> tuple[float, float]:
    """US$ per 1,000 input and output tokens of this model (else its provider's; else free)."""
    prices = settings.AI_PRICES_PER_1K_TOKENS
    return prices.get(model) or prices.get(provider) or (0.0, 0.0)


@dataclass
class Spend:
    ai: float = 0.0
    verifier: float = 0.0
    esp: float = 0.0
    fixed: float = 0.0

    @property
    def total(self) -> float:
        return self.ai + self.verifier + self.esp + self.fixed

    def by_kind(self) -> dict[str, float]:
        return {"ai": self.ai, "verifier": self.verifier, "esp": self.esp, "fixed": self.fixed}


@dataclass
class CostPeriod:
    label: str
    first: datetime.date
    last: datetime.date
    spend: Spend = field(default_factory=Spend)
    ai_tokens: int = 0
    verifier_credits: int = 0
    emails_sent: int = 0
    emails_via_esp: int = 0
    replies: int = 0

    @property
    def per_email(self) -> float | None:
        return self.spend.total / self.emails_sent if self.emails_sent else None

    @property
    def per_reply(self) -> float | None:
        return self.spend.total / self.replies if self.replies else None

    def as_dict(self) -> dict:
        return {
            "first_day": self.first,
            "last_day": self.last,
            "spend_by_kind": {kind: round(value, 6) for kind, value in self.spend.by_kind().items()},
            "spend_total": round(self.spend.total, 6),
            "ai_tokens": self.ai_tokens,
            "verifier_credits": self.verifier_credits,
            "emails_sent": self.emails_sent,
            "emails_via_esp": self.emails_via_esp,
            "replies": self.replies,
            "cost_per_email": None if self.per_email is None else round(self.per_email, 6),
            "cost_per_reply": None if self.per_reply is None else round(self.per_reply, 6),
        }


@dataclass
class CostReport:
    today: CostPeriod
    month: CostPeriod
    target_per_email: float
    monthly_budget: float

    @property
    def budget_used(self) -> float | None:
        """The month's spend so far ÷ the monthly budget."""
        return self.month.spend.total / self.monthly_budget if self.monthly_budget else None

    @property
    def over_target(self) -> bool:
        per_email = self.month.per_email
        return per_email is not None and per_email > self.target_per_email

    def as_dict(self) -> dict:
        return {
            "today": self.today.as_dict(),
            "month": self.month.as_dict(),
            "target_per_email": self.target_per_email,
            "monthly_budget": self.monthly_budget,
            "budget_used": None if self.budget_used is None else round(self.budget_used, 4),
            "currency": "USD",
        }


def _usage_by_day(first: datetime.date, last: datetime.date) -> dict[str, dict[str, float]]:
    """{"YYYY-MM-DD": {"ai": $, "ai_tokens": n, "verifier": $, "verifier_credits": n}} from the day counters."""
    days: dict[str, dict[str, float]] = {}
    for name, key, day, value in counter_days(["jengu_ai_tokens_total", "jengu_verifier_credits_total"], first, last):
        row = days.setdefault(day, {"ai": 0.0, "ai_tokens": 0.0, "verifier": 0.0, "verifier_credits": 0.0})
        labels = parse_labels(key)
        if name == "jengu_ai_tokens_total":
            price_in, price_out = ai_price(labels.get("provider", ""), labels.get("model", ""))
            price = price_out if labels.get("direction") == "output" else price_in
            row["ai"] += value / 1000 * price
            row["ai_tokens"] += value
        else:
            row["verifier"] += value * settings.VERIFIER_PRICE_PER_CREDIT
            row["verifier_credits"] += value
    return days


def spend_on(day: datetime.date) -> Spend:
    """One day's AI and verifier spend (the budget alert rules; one query)."""
    usage = _usage_by_day(day, day).get(day.isoformat(), {})
    return Spend(ai=usage.get("ai", 0.0), verifier=usage.get("verifier", 0.0))


def cost_report(now: datetime.datetime | None = None) -> CostReport:
    from outreach.models import Email, EmailStatus
    from replies.models import Reply

    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    start_of_month = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    start_of_day = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))

    usage = _usage_by_day(first, today)
    periods = {"today": CostPeriod("today", today, today), "month": CostPeriod("month", first, today)}
    for day, row in usage.items():
        for period in periods.values():
            if period.first.isoformat() <= day <= period.last.isoformat():
                period.spend.ai += row["ai"]
                period.spend.verifier += row["verifier"]
                period.ai_tokens += int(row["ai_tokens"])
                period.verifier_credits += int(row["verifier_credits"])

    esp = Q(provider__in=ESP_PROVIDERS)
    sent_today = Q(sent_at__gte=start_of_day)
    went_out = Email.objects.filter(status__in=EmailStatus.WENT_OUT, sent_at__gte=start_of_month, sent_at__lte=now)
    emails = went_out.aggregate(
        month=Count("id"),
        month_esp=Count("id", filter=esp),
        today=Count("id", filter=sent_today),
        today_esp=Count("id", filter=sent_today & esp),
    )
    replies = Reply.objects.filter(received_at__gte=start_of_month, received_at__lte=now).aggregate(
        month=Count("id"), today=Count("id", filter=Q(received_at__gte=start_of_day))
    )
    fixed_per_day = settings.MONTHLY_FIXED_COST / days_in_month
    for name, period in periods.items():
        period.emails_sent = emails[name]
        period.emails_via_esp = emails[f"{name}_esp"]
        period.replies = replies[name]
        period.spend.esp = period.emails_via_esp * settings.ESP_PRICE_PER_EMAIL
        period.spend.fixed = fixed_per_day * ((period.last - period.first).days + 1)
    return CostReport(
        today=periods["today"],
        month=periods["month"],
        target_per_email=settings.COST_PER_EMAIL_TARGET,
        monthly_budget=settings.MONTHLY_BUDGET,
    )
