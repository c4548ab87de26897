"""The pipeline's cron schedules, in code; `manage.py install_schedules` puts them in q2.

Times are UTC (the reference design's crons). Each job is a function in jengu.jobs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: str
    cron: str
    description: str


SCHEDULES = [
    ScheduledJob("jengu:daily-pipeline", "jengu.jobs.daily_pipeline", "0 7 * * *", "acquire new hotels, daily 07:00"),
    # around the clock: each email waits for 09:00-17:00 on a working day where its prospect is
    # (Sydney's morning is 22:00 UTC), and one waiting for its window is not looked at until then
    ScheduledJob("jengu:sender", "jengu.jobs.sender_run", "* * * * *", "each due inbox takes its turn to send"),
    ScheduledJob("jengu:follow-up", "jengu.jobs.follow_up_run", "0 10 * * 1-5", "queue due follow-ups"),
    ScheduledJob("jengu:enrichment", "jengu.jobs.enrichment_run", "*/5 6,19-23 * * *", "enrich new prospects"),
    ScheduledJob("jengu:composition", "jengu.jobs.composition_run", "*/10 * * * *", "write emails for ready prospects"),
    ScheduledJob("jengu:reply-poll", "jengu.jobs.reply_poll", "* * * * *", "read replies from every inbox"),
    ScheduledJob("jengu:sweeper", "jengu.jobs.sweep_stale_claims", "*/5 * * * *", "return claims of dead workers"),
    # before the working day starts anywhere in Europe: a domain that broke overnight is held before it sends
    ScheduledJob(
        "jengu:domain-auth", "jengu.jobs.domain_auth_check", "30 5 * * *", "check the sending domains' DNS (SPF, DKIM…)"
    ),
    ScheduledJob("jengu:inbox-scores", "jengu.jobs.inbox_scores", "45 5 * * *", "inbox health and reputation"),
    ScheduledJob("jengu:retention", "jengu.jobs.retention_run", "30 3 * * *", "anonymise long-idle prospects"),
    ScheduledJob(
        "jengu:operational-retention", "jengu.jobs.operational_retention_run", "45 3 * * *",
        "prune old events, decisions, deliveries, task results, web pages",
    ),  # fmt: skip
    # its heartbeat also tells /api/health/ready that the scheduler and a worker are alive
    ScheduledJob("jengu:alerts", "jengu.jobs.alerts_evaluate", "* * * * *", "evaluate the alert rules"),
]
