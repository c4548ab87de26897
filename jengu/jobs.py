"""The functions q2's schedules run (jengu.schedules). Thin: each calls services.

A job whose pipeline stage is not built yet records that as an Event instead of
pretending to work; the stage's issue replaces the body with the service call.
"""

from infra.events import event_record
from infra.stages import STAGES, stage_enqueue, stale_claims_sweep


def _not_built(job: str) -> str:
    event_record("job.skipped", level="warning", message=f"{job}: its pipeline stage is not built yet")
    return "not built"


def daily_pipeline():
    """07:00 UTC: find today's hiring hotels (new prospects go on to enrichment)."""
    from prospects.acquisition import acquisition_run

    summary = acquisition_run()
    return f"{summary.new} new, {summary.merged} merged, {summary.errors} errors"


def sender_run():
    return _not_built("sender_run")


def follow_up_run():
    """10:00 Mon–Fri: compose the follow-ups that are due, close finished sequences."""
    from outreach.services.follow_ups import follow_up_run as run

    return str(run())


def reply_poll():
    """Every minute: read new replies (IMAP, or the sandbox twin when no inbox has IMAP set
    up) and resume out-of-office sequences whose return date has come."""
    from outreach.models import Inbox
    from outreach.services.sequences import sequences_resume_due
    from replies.inbound.imap import imap_poll
    from replies.sandbox import sandbox_replies_run

    resumed = sequences_resume_due()
    if Inbox.objects.exclude(imap_host="").exists():
        summary = imap_poll()
        found = f"{summary.new_replies} new replies from {summary.inboxes} inboxes, {summary.errors} errors"
    else:
        found = f"{sandbox_replies_run()} sandbox replies"
    return f"{found}; {resumed} sequences resumed"


def enrichment_run(limit: int = 200):
    """Enqueue enrichment for prospects still in `new` (the stage claims each one)."""
    from prospects.models import Prospect, ProspectStage

    if "enrichment" not in STAGES:
        return _not_built("enrichment_run")
    from infra.models import DeadLetter

    # work parked in the dead letters waits for a human, not for the next cron tick
    parked = DeadLetter.objects.filter(stage="enrichment", status=DeadLetter.Status.OPEN).values("subject_id")
    pending = (
        Prospect.objects.filter(stage=ProspectStage.NEW)
        .exclude(pk__in=[int(row["subject_id"]) for row in parked if row["subject_id"].isdigit()])
        .order_by("id")
        .values_list("id", "trace_id")[:limit]
    )
    for prospect_id, trace_id in pending:
        stage_enqueue("enrichment", subject_id=prospect_id, trace_id=trace_id)
    return len(pending)


def sweep_stale_claims():
    return stale_claims_sweep()
