"""``manage.py doctor``: what is wrong with this installation, and what to do about it.

Three parts, each line a finding and its remedy:

1. **Configuration**: Django's system checks (with the deployment checks when DEBUG is
   off: secrets, HTTPS, webhook secrets, METRICS_TOKEN …), whether the schedules are
   installed and where alerts go;
2. **Health**: what /api/health/ready reports (database, broker, a worker heartbeat, the
   scheduler);
3. **Alert rules**: every enabled rule evaluated now, without storing or posting anything
   (infra.alert_rules.rules_check); a rule that holds prints its message and its runbook.

Exit code 1 when anything is wrong: a check error, a component down, a warning or critical
rule holding (an info rule, like "emergency stop pressed", is printed but is not a fault).
"""

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from infra.alert_rules import rules_check
from infra.models import AlertRule


class Command(BaseCommand):
    help = "Check the configuration, the health of the workers and scheduler, and every alert rule; say what to do."

    def add_arguments(self, parser):
        parser.add_argument("--no-rules", action="store_true", help="skip the alert rules")

    def handle(self, *args, no_rules: bool = False, **options):
        self.problems = 0
        self.section("Configuration")
        self.configuration()
        self.section("Health (what /api/health/ready reports)")
        self.health()
        if not no_rules:
            self.section("Alert rules (evaluated now; nothing is posted)")
            self.rules()
        if self.problems:
            raise CommandError(f"{self.problems} problem(s) found: see above for what to do.")
        self.stdout.write(self.style.SUCCESS("No problem found."))

    def section(self, title: str):
        self.stdout.write(self.style.MIGRATE_HEADING(f"==> {title}"))

    def problem(self, text: str, remedy: str = ""):
        self.problems += 1
        self.stdout.write(self.style.ERROR(f"  ✗ {text}"))
        if remedy:
            self.stdout.write(f"    → {remedy}")

    def note(self, text: str, remedy: str = ""):
        self.stdout.write(self.style.WARNING(f"  ! {text}"))
        if remedy:
            self.stdout.write(f"    → {remedy}")

    def ok(self, text: str):
        self.stdout.write(f"  ✓ {text}")

    def configuration(self):
        from django_q.models import Schedule

        from jengu.schedules import SCHEDULES

        found = checks.run_checks(include_deployment_checks=not settings.DEBUG)
        for message in found:
            if message.is_silenced():
                continue
            text = f"{message.id}: {message.msg}"
            if message.level >= checks.ERROR:
                self.problem(text, message.hint or "")
            elif message.level >= checks.WARNING:
                self.note(text, message.hint or "")
        if not any(m.level >= checks.WARNING and not m.is_silenced() for m in found):
            self.ok("system checks pass" + ("" if settings.DEBUG else " (with the deployment checks)"))
        installed = set(Schedule.objects.filter(name__startswith="jengu:").values_list("name", flat=True))
        missing = sorted({job.name for job in SCHEDULES} - installed)
        if missing:
            self.problem(
                f"schedules not installed: {', '.join(missing)}",
                "run `manage.py install_schedules` (every deploy does it)",
            )
        else:
            self.ok(f"{len(SCHEDULES)} schedules installed")
        if settings.ALERT_WEBHOOK_URL:
            self.ok(f"alerts go to the webhook ({settings.ALERT_WEBHOOK_FORMAT} format)")
        else:
            self.note(
                "ALERT_WEBHOOK_URL is not set: alerts only appear on the admin's Alerts page",
                "set ALERT_WEBHOOK_URL (and ALERT_WEBHOOK_FORMAT: slack, discord or json)",
            )

    def health(self):
        from jengu.api import _check_broker, _check_database, _check_scheduler, _check_worker_heartbeat, _timed

        remedies = {
            "database": "check DATABASE_URL and that PostgreSQL is up (`pg_isready`)",
            "broker": "check REDIS_URL / the database the ORM broker uses",
            "workers": "start the workers: `manage.py run_workers` (or a qcluster per queue)",
            "scheduler": "start the scheduler cluster: `manage.py run_workers` runs it (not with --no-scheduler)",
        }
        for name, check in [("database", _check_database), ("broker", _check_broker),
                            ("workers", _check_worker_heartbeat), ("scheduler", _check_scheduler)]:  # fmt: skip
            result = _timed(check)
            line = f"{name}: {result['status']} — {result.get('detail', '')}"
            if result["status"] == "down":
                self.problem(line, remedies[name])
            elif result["status"] == "ok":
                self.ok(line)
            else:
                self.note(line)

    def rules(self):
        findings, errors = rules_check()
        for error in errors:
            self.problem(error, "fix the rule on the admin's Alert rules page")
        enabled = AlertRule.objects.filter(enabled=True).count()
        for finding in findings:
            severity = finding.rule.severity
            where = f" [{finding.scope}]" if finding.scope else ""
            text = f"{severity}: {finding.rule.name}{where}: {finding.text}"
            if finding.state == "firing":
                text += " (alert firing)"
            if severity == AlertRule.Severity.INFO:
                self.note(text, finding.rule.runbook)
            else:
                self.problem(text, finding.rule.runbook)
        if not findings and not errors:
            self.ok(f"none of the {enabled} enabled rules holds")
