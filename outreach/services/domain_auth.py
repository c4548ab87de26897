"""Sending-domain authentication: SPF, DKIM, DMARC and MX of each sending domain, before and while sending.

Since 2024 Gmail and Yahoo, and since May 2025 Outlook.com, reject or junk bulk mail
that is not authenticated. A *sending domain* is the domain of an inbox's address (the
From domain). ``domain_check(domain=...)`` reads its DNS, stores a verdict per check on
its SendingDomain row and returns a ``DomainReport``; while the domain fails, the
sender does not use its inboxes (``outreach.selectors.sending_domains_held``) and an
alert goes out. It runs when an inbox is added or its sending identity changes
(``domain_check_queue``: a worker runs it, the admin never waits on DNS), daily
(jengu.jobs.domain_auth_check), and on demand (the Domains admin page's *Check now*,
``manage.py domain_report --check``).

What is checked, and how a check that got no answer is told apart from one that
failed, lives in ``outreach.services.dns_checks`` (the DNS reads and record rules); this
module decides which ways out a domain has (``sending_paths``), runs the checks, stores
the verdicts and alerts, and writes the report the admin and ``manage.py domain_report``
show. An unknown domain keeps sending while it passed within DNS_UNKNOWN_GRACE_DAYS: a
DNS outage on our side does not stop a domain that was fine yesterday.

The demo's inboxes (DEBUG on, SMTP host on MAIL_PLAINTEXT_HOSTS: the local sink) are
not checked: their domain is "not checked — sandbox" and keeps sending. With DEBUG off
nothing is skipped.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infra.alerts import alert_send
from infra.events import event_record
from outreach import events
from outreach.models import Inbox, SendingDomain
from outreach.providers.registry import esps, inbox_is_sandbox
from outreach.services.dns_checks import CHECKS, FAIL, UNKNOWN, CheckResult, SendingPath, checks_run
from outreach.services.suppression import email_domain

ACTOR = "task:domain-auth"
CHECK_TITLES = {"spf": "SPF", "dkim": "DKIM", "dmarc": "DMARC", "mx": "MX", "blocklist": "Blocklist"}
# the fields of an inbox that change what its domain's check looks at
INBOX_IDENTITY_FIELDS = {"email", "smtp_host", "dkim_selectors", "dkim_domain", "return_path_domain"}
ALERT_WINDOW_SECONDS = 24 * 3600


@dataclass
class DomainReport:
    domain: str
    checks: dict[str, CheckResult]
    paths: list[SendingPath]
    checked_at: datetime.datetime
    sandbox: bool = False

    @property
    def state(self) -> str:
        if self.sandbox:
            return SendingDomain.State.SANDBOX
        verdicts = {check.verdict for check in self.checks.values()}
        if FAIL in verdicts:
            return SendingDomain.State.FAILING
        if UNKNOWN in verdicts:
            return SendingDomain.State.UNKNOWN
        return SendingDomain.State.OK

    @property
    def failure_reason(self) -> str:
        """What holds the domain, in the words an operator acts on ('' when it passes)."""
        failures = [reason for check in self.checks.values() for reason in check.failures]
        unknowns = [reason for check in self.checks.values() for reason in check.unknowns]
        return "; ".join(dict.fromkeys(failures or unknowns))

    def verdicts_json(self) -> dict:
        return {name: check.as_json() for name, check in self.checks.items()}

    def records_json(self) -> dict:
        records = {name: check.records for name, check in self.checks.items() if check.records}
        records["sent_via"] = [path.label for path in self.paths]
        return records


# --- which ways out a domain has ---------------------------------------------------------------


def _selectors(value) -> tuple[str, ...]:
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(part.strip().lower() for part in parts or [] if part.strip()))


def _return_path(prefix: str, domain: str) -> str:
    prefix = (prefix or "").strip().strip(".").lower()
    return f"{prefix}.{domain}" if prefix else domain


def _esp_path(esp, domain: str) -> SendingPath:
    """An ESP's way out: its Return-Path and DKIM selectors are set per ESP (RESEND_RETURN_PATH, …)."""
    prefix = esp.name.upper()
    return SendingPath(
        provider=esp.name,
        label=esp.label,
        spf_domain=_return_path(getattr(settings, f"{prefix}_RETURN_PATH"), domain),
        dkim_domain=domain,
        dkim_selectors=_selectors(getattr(settings, f"{prefix}_DKIM_SELECTORS")),
        selectors_explicit=True,
        spf_include=esp.spf_include,
    )


def sending_paths(domain: str, inboxes: list[Inbox]) -> list[SendingPath]:
    """Every way mail from ``domain`` may leave, in the order ``providers.registry.providers_for`` tries them."""
    configured = esps()
    paths = [_esp_path(esp, domain) for esp in configured if esp.before_smtp]
    for inbox in inboxes:
        explicit = _selectors(inbox.dkim_selectors)
        paths.append(
            SendingPath(
                provider="smtp",
                label=f"SMTP {inbox.smtp_host.strip().lower()}",
                spf_domain=(inbox.return_path_domain or domain).strip().lower(),
                dkim_domain=(inbox.dkim_domain or domain).strip().lower(),
                dkim_selectors=explicit or _selectors(settings.DKIM_SELECTORS),
                selectors_explicit=bool(explicit),
                smtp_host=inbox.smtp_host.strip().strip("[]").lower(),
            )
        )
    paths += [_esp_path(esp, domain) for esp in configured if not esp.before_smtp]
    return list(dict.fromkeys(paths))  # two inboxes on one server are one way out


def domain_inboxes(domain: str) -> list[Inbox]:
    return list(Inbox.objects.filter(email__iendswith=f"@{domain}").order_by("email"))


def sending_domains() -> list[str]:
    """The domains of the inbox pool's addresses, sorted."""
    return sorted({email_domain(address) for address in Inbox.objects.values_list("email", flat=True)} - {""})


# --- the service ------------------------------------------------------------------------------


def domain_check(*, domain: str, now: datetime.datetime | None = None, by=ACTOR) -> DomainReport:
    """Read ``domain``'s DNS, store the verdicts on its SendingDomain row, alert when it holds sending."""
    domain = domain.strip().lower().rstrip(".")
    now = now or timezone.now()
    inboxes = domain_inboxes(domain)
    paths = sending_paths(domain, [inbox for inbox in inboxes if not inbox_is_sandbox(inbox)])
    if inboxes and all(inbox_is_sandbox(inbox) for inbox in inboxes):
        checks = {
            name: CheckResult(name, skipped="not checked: sandbox (the demo's local SMTP sink)") for name in CHECKS
        }
        report = DomainReport(domain, checks, paths, now, sandbox=True)
    else:
        report = DomainReport(domain, checks_run(domain, paths), paths, now)
    _store(report, by)
    return report


def _store(report: DomainReport, by) -> SendingDomain:
    from outreach.selectors import sending_domain_hold_reason

    with transaction.atomic():
        row, _ = SendingDomain.objects.select_for_update().get_or_create(domain=report.domain)
        previous = row.state
        row.state = report.state
        row.verdicts = report.verdicts_json()
        row.records = report.records_json()
        row.failure_reason = report.failure_reason[:500]
        row.last_checked_at = report.checked_at
        if row.state == SendingDomain.State.OK:
            row.last_passed_at = report.checked_at
        row.save()
        if previous != row.state:
            event_record(
                events.DOMAIN_CHECKED,
                level="warning" if row.state in (SendingDomain.State.FAILING, SendingDomain.State.UNKNOWN) else "info",
                message=f"{row.domain}: {row.get_state_display()}"
                + (f": {row.failure_reason}" if row.failure_reason else ""),
                data={"domain": row.domain, "state": row.state, "previous": previous},
                by=by,
            )
    held = sending_domain_hold_reason(row, now=report.checked_at)
    if held:
        alert_send(
            key=f"domain-auth:{row.domain}",
            text=f"Sending domain {row.domain} is held: {held}. Its inboxes send nothing until it passes "
            "(admin: Outreach → Domains).",
            window=ALERT_WINDOW_SECONDS,
            now=report.checked_at,
        )
    return row


def domain_check_all(*, now: datetime.datetime | None = None, by=ACTOR) -> list[DomainReport]:
    """Check every domain of the inbox pool (the daily job)."""
    return [domain_check(domain=domain, now=now, by=by) for domain in sending_domains()]


def domain_check_queued(domain: str) -> str:
    """The q2 task ``domain_check_queue`` enqueues."""
    report = domain_check(domain=domain)
    return f"{report.domain}: {report.state}"


def domain_check_queue(*, inbox: Inbox, created: bool, changed_fields=()) -> bool:
    """After an inbox was added, or its address, SMTP host, DKIM or Return-Path settings changed: a
    worker checks its domain (so saving an inbox never waits on DNS). A domain never checked before is
    'not checked yet' meanwhile, which holds its inboxes; a sandbox domain is settled at once (no DNS).
    Returns whether a check was started."""
    if not created and not set(changed_fields) & INBOX_IDENTITY_FIELDS:
        return False
    domain = email_domain(inbox.email)
    if not domain:
        return False
    inboxes = domain_inboxes(domain)
    if inboxes and all(inbox_is_sandbox(other) for other in inboxes):
        domain_check(domain=domain)
        return True
    SendingDomain.objects.get_or_create(domain=domain)  # pending until the worker has checked it

    def enqueue():
        from django_q.tasks import async_task

        # never run inline (JENGU_TASKS_SYNC is not honoured here): saving an inbox must not wait on DNS
        async_task(
            "outreach.services.domain_auth.domain_check_queued",
            domain,
            task_name=f"domain-check:{domain}",
            timeout=max(60, int(settings.DNS_TIMEOUT * 40)),
        )

    transaction.on_commit(enqueue)
    return True


# --- the report, as the admin and `manage.py domain_report` show it ---------------------------------


def domain_report_lines(row: SendingDomain) -> list[str]:
    """A stored check as text: each check's verdict and reasons, then the records it read."""
    checked = f"checked {row.last_checked_at:%Y-%m-%d %H:%M} UTC" if row.last_checked_at else "never checked"
    lines = [f"{row.domain}: {row.get_state_display()} ({checked})"]
    sent_via = (row.records or {}).get("sent_via") or []
    if sent_via:
        lines.append(f"  sends via: {', '.join(sent_via)}")
    for name in CHECKS:
        verdict = (row.verdicts or {}).get(name)
        if not verdict:
            continue
        reasons = verdict["failures"] + verdict["unknowns"] + verdict["warnings"] + verdict["notes"]
        lines.append(f"  {CHECK_TITLES[name]:<9} {verdict['verdict'].upper():<7} {reasons[0] if reasons else ''}")
        lines += [f"  {'':<9} {'':<7} {reason}" for reason in reasons[1:]]
        for record_name, value in ((row.records or {}).get(name) or {}).items():
            lines.append(f"  {'':<9} {'':<7} record {record_name}: {_record_text(value)}")
    return lines


def _record_text(value) -> str:
    if isinstance(value, dict):
        value = value.get("record", "")
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    return _DKIM_KEY.sub(r"\1…", str(value))  # a key's first characters tell it apart; the rest is noise


_DKIM_KEY = re.compile(r"(p=[A-Za-z0-9+/]{24})[A-Za-z0-9+/=]+")
