"""The functions q2's schedules run (jengu.schedules). Thin: each calls services."""

from infra.metrics import heartbeat_beat
from infra.stages import stage_enqueue_waiting, stale_claims_sweep


def daily_pipeline():
    """07:00 UTC: find today's hiring hotels. Only queues one task per source and query (each
    does a page and queues the next); new prospects go on to enrichment."""
    from prospects.acquisition import acquisition_fan_out

    run = acquisition_fan_out()
    return f"acquisition run #{run.pk}: {run.data['searches']} searches queued"


def sender_run(fan_out: bool = True):
    """Every minute, around the clock: each inbox whose turn has come takes it, as its own
    task on the ``sending`` queue (``fan_out``; the demo's clock runs the turns in-process).
    An email goes out only in its prospect's working hours (outreach.business_hours:
    09:00–17:00 on a working day of the prospect's country, holidays and time zone included).

    First, emails held by their country's rule go back to the queue when a consent was
    recorded, the prospect edited or the rule changed since (outreach.compliance).
    """
    from outreach.compliance import held_emails_recheck
    from outreach.services.sending import sender_run as run

    released = held_emails_recheck().released
    report = str(run(fan_out=fan_out))
    return f"{report}; {released} held email(s) released" if released else report


def follow_up_run():
    """10:00 Mon–Fri: queue a composition task per due follow-up, close finished sequences."""
    from outreach.services.follow_ups import follow_up_fan_out

    return str(follow_up_fan_out())


def reply_poll():
    """Every minute: read new replies (IMAP, or the sandbox twin when no inbox has IMAP set
    up) and resume out-of-office sequences whose return date has come."""
    from outreach.services.sequences import sequences_resume_due
    from replies.inbound.readers import inbound_read

    resumed = sequences_resume_due()
    found = inbound_read()
    # the "no reply poll completed for 5 min" alert rule reads this heartbeat
    heartbeat_beat("reply_poll", detail=found[:200])
    return f"{found}; {resumed} sequences resumed"


def retention_run():
    """Daily 03:30: anonymise prospects idle longer than PERSONAL_DATA_RETENTION_MONTHS (jengu.retention)."""
    from jengu.retention import retention_run as run

    return str(run())


def alerts_evaluate():
    """Every minute: evaluate the alert rules (infra.alert_rules); post what fired, repeated or resolved."""
    from infra.alert_rules import alerts_evaluate as evaluate

    return str(evaluate())


def operational_retention_run():
    """Daily 03:45: prune the operational tables past their live retention periods (jengu.retention_ops)."""
    from jengu.retention_ops import operational_retention_run as run

    return str(run())


def enrichment_run(limit: int = 200):
    """Enqueue enrichment for prospects still in `new` (the stage claims each one)."""
    from prospects.models import Prospect, ProspectStage

    return stage_enqueue_waiting("enrichment", Prospect.objects.filter(stage=ProspectStage.NEW), limit=limit)


def composition_run(limit: int = 200):
    """Enqueue composition for prospects waiting in `ready` with an address to write to.

    Research hands each prospect on by itself; this catches the ones that were ready
    before a campaign existed, or whose hand-off was lost with a worker.
    """
    from prospects.models import Prospect, ProspectStage

    ready = Prospect.objects.filter(stage=ProspectStage.READY, email__gt="")
    return stage_enqueue_waiting("composition", ready, limit=limit)


def domain_auth_check():
    """05:30 daily: SPF, DKIM, DMARC and MX of every sending domain; a failing one holds its inboxes and alerts."""
    from outreach.services.domain_auth import domain_check_all

    reports = domain_check_all()
    counts: dict[str, int] = {}
    for report in reports:
        counts[report.state] = counts.get(report.state, 0) + 1
    return f"{len(reports)} domains: " + (", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none")


def inbox_scores():
    """05:45 daily, after the DNS check: each inbox's health and reputation from its last 28 days."""
    from outreach.services.inbox_health import inbox_scores_compute

    return f"{inbox_scores_compute()} inboxes scored"


def sweep_stale_claims():
    """Return claims of dead workers; hold emails stuck in `sending` for a human."""
    from outreach.services.send_review import emails_stuck_sweep

    returned = stale_claims_sweep()
    held = emails_stuck_sweep()
    return f"{returned} claims returned, {held} emails held for review"
