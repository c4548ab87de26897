"""``manage.py send_now``: one sender run now, for operators; ``--dry-run`` says what would happen and why."""

from django.core.management.base import BaseCommand

from outreach.services.sending import Pacing, sender_run


class Command(BaseCommand):
    help = "Run the sender once now (paced like the cron unless --no-pacing); --dry-run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what would be sent or skipped, change nothing")
        parser.add_argument("--limit", type=int, default=None, help="emails to send at most (default: live setting)")
        parser.add_argument("--no-pacing", action="store_true", help="no random skip and no wait between sends")

    def handle(self, *args, dry_run, limit, no_pacing, **options):
        pacing = Pacing.live()
        if no_pacing:
            pacing.skip_probability, pacing.delay_min, pacing.delay_max = 0.0, 0.0, 0.0
        report = sender_run(limit=limit, pacing=pacing, dry_run=dry_run)
        if report.skipped_run:
            self.stdout.write(self.style.WARNING(f"Nothing sent: {report.skipped_run}."))
            return
        labels = {"would_send": "would send", "would_skip": "would skip", "would_cancel": "would cancel"}
        for outcome in report.outcomes:
            label = labels.get(outcome.outcome, outcome.outcome)
            style = self.style.SUCCESS if outcome.outcome in ("sent", "would_send") else self.style.WARNING
            self.stdout.write(style(f"email {outcome.email_id}: {label} — {outcome.reason}: {outcome.detail}"))
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(f"{report.sent if not dry_run else sum(o.outcome == 'would_send' for o in report.outcomes)} "
                          f"{verb}; {report}")  # fmt: skip
