"""Each inbox's health and reputation, computed daily from what its mail met (not set by hand).

Over the last 28 days (``RATE_WINDOW_DAYS``), per inbox:

- **health** = bounce factor × SMTP factor × DNS factor:
  - bounce factor: 1 − hard-bounce rate ÷ ``BOUNCE_RATE_PAUSE_THRESHOLD`` (5 % → 0.1);
  - SMTP factor: 1 − (runs whose providers all failed ÷ send attempts) ÷ 20 % (floor 0.2);
  - DNS factor: 1 when its sending domain passes (or is the demo's sandbox), 0.7 while
    it is unknown within its grace period, 0.4 while it fails or is not checked yet;
- **reputation** = complaint factor × reply factor:
  - complaint factor: 1 − complaint rate ÷ ``COMPLAINT_RATE_PAUSE_THRESHOLD`` (0.3 % → 0.1);
  - reply factor: 0.8 + 0.2 × min(reply rate ÷ 5 %, 1): answers are the best sign that
    our mail lands in the inbox.

A rate over fewer than ``MIN_SENDS`` sends says nothing yet: its factor is 1. Every
factor stays between 0.1 and 1, and the inbox's pace uses health × reputation as its
weight (outreach.services.pacing): a weak inbox takes fewer turns, so it sends less
before anything pauses it. What each factor read is stored in ``scores_detail`` and
shown on the inbox's admin page.
"""

from __future__ import annotations

import datetime

from constance import config
from django.db.models import Count, Q
from django.utils import timezone

from outreach.models import EmailStatus, Inbox, SendDecision, SendingDomain
from outreach.selectors import RATE_WINDOW_DAYS, inboxes_with_rates, sending_domain_of, sending_domains_held

MIN_SENDS = 20
SMTP_ERROR_RATE_FLOOR = 0.2  # an inbox whose sends fail this often gets the lowest SMTP factor
GOOD_REPLY_RATE = 0.05
DNS_FACTORS = {"ok": 1.0, "grace": 0.7, "held": 0.4}


def _factor(rate: float | None, limit: float, *, floor: float = 0.1) -> float:
    if rate is None or limit <= 0:
        return 1.0
    return round(min(1.0, max(floor, 1 - rate / limit)), 3)


def inbox_scores(inbox, *, held: dict[str, str], domains: dict[str, str], failures: dict[int, int]) -> dict:
    """The scores of one inbox annotated by ``inboxes_with_rates`` (plus ``replied_28d``), and what they read."""
    sent = inbox.sent_28d
    judged = sent >= MIN_SENDS
    bounce_rate = inbox.bounce_rate_28d if judged else None
    complaint_rate = inbox.complaint_rate_28d if judged else None
    reply_rate = inbox.replied_28d / sent if judged else None
    attempts = sent + failures.get(inbox.pk, 0)
    smtp_error_rate = failures.get(inbox.pk, 0) / attempts if attempts >= MIN_SENDS else None
    domain = sending_domain_of(inbox.email)
    # held: failing or pending (the sender skips it); unknown within its grace period: in doubt
    dns = "held" if domain in held else ("grace" if domains.get(domain) == SendingDomain.State.UNKNOWN else "ok")
    factors = {
        "bounce": _factor(bounce_rate, float(config.BOUNCE_RATE_PAUSE_THRESHOLD)),
        "smtp": _factor(smtp_error_rate, SMTP_ERROR_RATE_FLOOR, floor=0.2),
        "dns": DNS_FACTORS[dns],
        "complaint": _factor(complaint_rate, float(config.COMPLAINT_RATE_PAUSE_THRESHOLD)),
        "reply": round(0.8 + 0.2 * min((reply_rate or 0) / GOOD_REPLY_RATE, 1), 3) if judged else 1.0,
    }
    return {
        "health": round(factors["bounce"] * factors["smtp"] * factors["dns"], 3),
        "reputation": round(factors["complaint"] * factors["reply"], 3),
        "factors": factors,
        "read": {
            "sent_28d": sent,
            "hard_bounces_28d": inbox.bounced_28d,
            "complaints_28d": inbox.complained_28d,
            "replied_28d": inbox.replied_28d,
            "runs_without_a_provider_28d": failures.get(inbox.pk, 0),
            "domain": domain,
            "domain_state": dns,
        },
    }


def inbox_scores_compute(*, now: datetime.datetime | None = None) -> int:
    """The daily job: every inbox's health and reputation from its last 28 days; returns inboxes updated."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=RATE_WINDOW_DAYS)
    replied = Q(emails__sent_at__gte=since, emails__status=EmailStatus.REPLIED)
    inboxes = inboxes_with_rates(now=now).annotate(replied_28d=Count("emails", filter=replied))
    failures = dict(
        SendDecision.objects.filter(outcome=SendDecision.Outcome.PROVIDER_FAILED, created_at__gte=since)
        .values_list("inbox_id")
        .annotate(n=Count("id"))
    )
    held = sending_domains_held(now)
    domains = dict(SendingDomain.objects.values_list("domain", "state"))
    updated = 0
    for inbox in inboxes:
        scores = inbox_scores(inbox, held=held, domains=domains, failures=failures)
        updated += Inbox.objects.filter(pk=inbox.pk).update(
            health_score=scores["health"],
            reputation_score=scores["reputation"],
            scores_detail=scores,
            scores_computed_at=now,
        )
    return updated
