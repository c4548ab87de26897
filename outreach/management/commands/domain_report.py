"""``manage.py domain_report``: the sending domains' DNS checks, as the admin's Domains page shows them.

Without ``--check`` it prints the last stored check of each domain (no DNS query);
with ``--check`` it checks now first (outreach.services.domain_auth.domain_check),
which also holds or releases the domain's inboxes, and exits with code 1 when a
domain is held, so a deployment script or a monitor can stop on it.
"""

from django.core.management.base import BaseCommand, CommandError

from outreach.models import SendingDomain
from outreach.selectors import sending_domain_hold_reason
from outreach.services.domain_auth import domain_check, domain_report_lines, sending_domains


class Command(BaseCommand):
    help = (
        "Show each sending domain's SPF, DKIM, DMARC, MX (and Spamhaus DQS) verdicts and records; "
        "--check reads DNS now and exits 1 when a domain is held."
    )

    def add_arguments(self, parser):
        parser.add_argument("--domain", action="append", default=[], help="only this domain (repeatable)")
        parser.add_argument("--check", action="store_true", help="check DNS now, then report")

    def handle(self, *args, domain, check, **options):
        domains = [d.strip().lower().rstrip(".") for d in domain if d.strip()] or sending_domains()
        if not domains:
            self.stdout.write("No sending domain: add an inbox first.")
            return
        if check:
            for name in domains:
                domain_check(domain=name, by="command:domain_report")
        rows = {row.domain: row for row in SendingDomain.objects.filter(domain__in=domains)}
        held = []
        for name in domains:
            row = rows.get(name)
            if row is None:
                self.stdout.write(self.style.WARNING(f"{name}: never checked (run with --check)"))
                continue
            lines = domain_report_lines(row)
            reason = sending_domain_hold_reason(row)
            style = self.style.ERROR if reason else self.style.SUCCESS
            self.stdout.write(style(lines[0]))
            for line in lines[1:]:
                self.stdout.write(line)
            if reason:
                held.append(name)
                self.stdout.write(self.style.ERROR(f"  HELD: its inboxes send nothing: {reason}"))
            self.stdout.write("")
        if check and held:
            raise CommandError(f"{len(held)} sending domain(s) held: {', '.join(held)}")
