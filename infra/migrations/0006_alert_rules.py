"""The alert rules of the reference design and issue 20, as data Operations can edit."""

from django.db import migrations

RULES = [
    # (name, metric, comparison, threshold, duration min, scope, severity, repeat min, message, runbook)
    ("Queue backlog", "queue_depth", ">", 1000, 5, "", "warning", 60,
     "Queue {scope}: {value} tasks waiting for over {duration}.",
     "Workers cannot keep up: see Pipeline health; start more `qcluster` processes for this queue "
     "(Q_CLUSTER_NAME={scope}) or look for a slow provider (Circuit states)."),
    ("Queue not moving", "queue_wait_over_timeout", ">", 1, 0, "", "critical", 30,
     "Queue {scope}: nobody is taking work — {detail}.",
     "No worker serves this queue: check `manage.py run_workers` / the qcluster processes and "
     "/api/health/ready; restart the worker for the queue."),
    ("Stage error rate", "stage_error_rate", ">", 0.05, 0, "", "warning", 30,
     "Stage {scope}: {value} of task attempts failed ({detail}).",
     "Open Dead letters and the Event log (stage.failed) for the errors; a provider down shows under Circuit states."),
    ("Provider error rate", "provider_error_rate", ">", 0.05, 0, "", "warning", 30,
     "Provider {scope}: {value} of calls failed ({detail}).",
     "Check the provider's status page and its key; Circuit states shows its last error."),
    ("Circuit breakers opening", "circuit_opens_per_minute", ">", 10, 0, "", "critical", 15,
     "{value} circuit breakers opened in the last minute ({detail}).",
     "Several providers fail at once: check this machine's network and DNS, then Circuit states."),
    ("Provider circuit open", "circuit_open", ">", 0, 15, "", "warning", 60,
     "Circuit {scope} has been open for over {duration}: {detail}.",
     "The provider keeps failing: check its key and status page; reset the circuit in Circuit states once fixed."),
    ("No inbox can send", "inboxes_able_to_send", "<", 1, 5, "", "critical", 60,
     "No inbox can send: {detail}.",
     "Inboxes page: resume paused inboxes once their cause is fixed; Domains page for held domains (DNS)."),
    ("Sends behind capacity", "sends_vs_capacity", "<", 0.5, 0, "", "warning", 120,
     "Sending is behind: {detail} ({value} of capacity).",
     "Look at the sender's decisions (Send decisions, reason column), the emergency stop and the inboxes' circuits."),
    ("Delivery rate low", "delivered_ratio_24h", "<", 0.97, 0, "", "warning", 240,
     "Only {value} of emails delivered in 24 h: {detail}.",
     "High bounces: see the dashboard's bounce panels per inbox and domain; raise EMAIL_VERIFICATION_THRESHOLD."),
    ("Domain bounce rate", "domain_bounce_rate_vs_threshold", ">", 1, 0, "", "critical", 240,
     "Sending domain {scope}: {detail}.",
     "Its inboxes pause by themselves; review the bounced emails (Emails, status bounced) and the verifier threshold."),
    ("Domain complaint rate", "domain_complaint_rate_vs_threshold", ">", 1, 0, "", "critical", 240,
     "Sending domain {scope}: {detail}.",
     "Review the complained emails (Emails, status spam), the campaign's copy and the audience before resuming."),
    ("Acquisition source failing", "acquisition_source_failed_runs", ">=", 2, 0, "", "warning", 1440,
     "Acquisition source {scope} failed on the last two runs: {detail}.",
     "The site blocked us or changed its layout: see the Event log (acquisition.source_failed); the parser may need "
     "an update."),
    ("AI spend over daily budget", "ai_spend_vs_daily_budget", ">", 1, 0, "", "warning", 360,
     "AI spend over the daily budget: {detail}.",
     "See the dashboard's cost panel; AI_DAILY_BUDGET and AI_PRICES_PER_1K_TOKENS are settings."),
    ("Verifier spend over daily budget", "verifier_spend_vs_daily_budget", ">", 1, 0, "", "warning", 360,
     "Verifier spend over the daily budget: {detail}.",
     "See the dashboard's cost panel; VERIFIER_DAILY_BUDGET is a setting."),
    ("Verifier credits low", "verifier_credits_left", "<", 1000, 0, "", "warning", 1440,
     "Verifier {scope}: only {value} credits left ({detail}).",
     "Buy credits at MillionVerifier; without credits every verification fails and enrichment stalls."),
    ("Emergency stop pressed", "emergency_stop_minutes", ">=", 0, 0, "", "info", 0,
     "Emergency stop: {detail}.",
     "Nothing is sent until someone presses Resume on the dashboard."),
    ("Emergency stop left on", "emergency_stop_minutes", ">", 60, 0, "", "warning", 60,
     "Sending has been stopped for {value} minutes: {detail}.",
     "Resume on the dashboard when the cause is fixed, or say why it stays off."),
    ("Reply poll stalled", "heartbeat_age_minutes", ">", 5, 0, "reply_poll", "critical", 30,
     "No reply poll has completed for {value} minutes ({detail}).",
     "The scheduler cluster runs the poll every minute: check the qcluster processes, /api/health/ready and the "
     "Event log (reply.poll_failed)."),
    ("Dead letters waiting", "dead_letters_waiting_over_a_day", ">", 0, 0, "", "warning", 1440,
     "{value} dead letters have waited more than a day for a decision.",
     "Pipeline health → dead letters: retry or discard each."),
]  # fmt: skip


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("infra", "AlertRule")
    for name, metric, comparison, threshold, duration, scope, severity, repeat, message, runbook in RULES:
        AlertRule.objects.get_or_create(
            name=name,
            defaults={
                "metric": metric,
                "comparison": comparison,
                "threshold": threshold,
                "duration_minutes": duration,
                "scope": scope,
                "severity": severity,
                "repeat_minutes": repeat,
                "message": message,
                "runbook": runbook,
            },
        )


def remove_rules(apps, schema_editor):
    apps.get_model("infra", "AlertRule").objects.filter(name__in=[rule[0] for rule in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("infra", "0005_monitoring")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
