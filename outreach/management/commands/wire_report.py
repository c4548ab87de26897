"""Print what each kind of email looks like on the wire, and PASS/FAIL for each deliverability rule."""

from django.core.management.base import BaseCommand, CommandError

from outreach.services.wire_check import wire_report


class Command(BaseCommand):
    help = (
        "Send one email of each kind (first, follow-up, reply) through the SMTP provider to a local sink and "
        "build the Resend and SendGrid request bodies; print the raw List-Unsubscribe, List-Unsubscribe-Post, "
        "Message-ID, Date and MIME structure with PASS/FAIL per rule. Nothing is sent anywhere else and "
        "nothing is kept in the database."
    )

    def handle(self, *args, **options):
        reports = wire_report()
        for report in reports:
            verdict = self.style.SUCCESS("PASS") if report.passed else self.style.ERROR("FAIL")
            self.stdout.write(f"\n{verdict} {report.kind} via {report.path}")
            for name, value in report.shown.items():
                self.stdout.write(f"  {name}: {value!r}" if "\r\n" in value else f"  {name}: {value}")
            for rule in report.rules:
                mark = "PASS" if rule.passed else "FAIL"
                self.stdout.write(f"    {mark}  {rule.rule:<30} {rule.detail}")
        failed = [f"{r.kind} via {r.path}" for r in reports if not r.passed]
        if failed:
            raise CommandError(f"{len(failed)} of {len(reports)} messages break a rule: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS(f"\nAll {len(reports)} messages are right on the wire."))
