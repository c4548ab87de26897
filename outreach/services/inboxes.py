"""Writers for the inbox pool: pause, resume, and the sync from SMTP_INBOX_n settings.

And the rule every change of an inbox's servers follows, wherever it comes from (the
admin's form, the environment): a stored password is only ever sent to the server it
was entered for. Changing the SMTP host, port or username (the address, when the
username is blank) needs the SMTP password in the same change; changing the IMAP host
or port (or that username) needs the IMAP password — or the SMTP one, when IMAP uses
it. Otherwise an operator could point the IMAP host at a machine of their own and
Jengu would log in there with the stored password.
"""

import copy

from django.conf import settings
from django.db import transaction

from infra.circuit import CircuitBreaker
from infra.config import SmtpInboxConfig
from infra.events import event_record
from infra.statemachine import transition
from outreach import events
from outreach.models import Inbox
from outreach.services.domain_auth import domain_check_queue

# the fields that say where a password goes; a change to any needs the password again
CONNECTION_FIELDS = ["email", "smtp_host", "smtp_port", "smtp_username", "imap_host", "imap_port"]


def _smtp_server(inbox: Inbox) -> tuple:
    return (inbox.smtp_host.strip().lower(), inbox.smtp_port, inbox.smtp_username or inbox.email)


def _imap_server(inbox: Inbox) -> tuple:
    # replies.inbound.imap logs in with the SMTP username (or the address) too
    return (inbox.imap_host.strip().lower(), inbox.imap_port, inbox.smtp_username or inbox.email)


def inbox_passwords_to_enter_again(
    *, stored: Inbox, changed: Inbox, smtp_password_entered: bool, imap_password_entered: bool
) -> dict[str, str]:
    """The password fields a change must carry, with why; {} when it may be saved.

    ``stored`` is the inbox as saved, ``changed`` the same inbox with the new values
    (passwords included: a password left blank in a form is the stored one). A password
    counts as entered when it was typed (or supplied by the environment) in this change.
    """
    problems = {}
    if stored.smtp_password and _smtp_server(changed) != _smtp_server(stored) and not smtp_password_entered:
        problems["smtp_password"] = (
            "The SMTP server or username changed: enter the SMTP password again "
            "(a stored password is only sent to the server it was entered for)."
        )
    imap_password_fresh = imap_password_entered or (not changed.imap_password and smtp_password_entered)
    if (
        changed.imap_host
        and (stored.imap_password or stored.smtp_password)
        and _imap_server(changed) != _imap_server(stored)
        and not imap_password_fresh
    ):
        problems["imap_password"] = (
            "The IMAP server or username changed: enter the IMAP password again (or the SMTP password, "
            "when IMAP uses it; a stored password is only sent to the server it was entered for)."
        )
    return problems


def inbox_pause(*, inbox: Inbox, by, reason: str = "paused by an operator") -> Inbox:
    with transaction.atomic():
        transition(inbox, "pause", by=by, reason=reason)
        inbox.state_reason = reason[:300]
        inbox.save(update_fields=["state_reason"])
        event_record(events.INBOX_PAUSED, message=f"{inbox.email}: {reason}", data={"inbox_id": inbox.pk}, by=by)
    return inbox


def inbox_resume(*, inbox: Inbox, by) -> Inbox:
    """Back into the pool, from paused or circuit-open.

    The inbox's SMTP circuits are closed as well: a person resuming it says the cause
    (a wrong password, a server down) is fixed, and a still-open login circuit would
    trip the inbox again on its first failure instead of after three.
    """
    with transaction.atomic():
        transition(inbox, "resume", by=by)
        inbox.state_reason = ""
        inbox.save(update_fields=["state_reason"])
        for key in (f"smtp-login:{inbox.pk}", f"smtp:{inbox.pk}"):
            CircuitBreaker(key).record_success()
        event_record(events.INBOX_RESUMED, message=inbox.email, data={"inbox_id": inbox.pk}, by=by)
    return inbox


def inboxes_sync_from_settings(configs: list[SmtpInboxConfig] | None = None) -> tuple[int, int]:
    """Create or update an Inbox for each SMTP_INBOX_n; returns (created, updated).

    A new inbox, or one whose SMTP host changed, has its domain's DNS check queued
    (outreach.services.domain_auth.domain_check_queue).

    The state, warmup date and scores of an existing inbox are kept: the environment
    owns only its connection settings. Its one password is always fresh, so it may go
    to a new SMTP server; a separate IMAP password set in the admin is dropped when
    the IMAP server moves (the environment's password is used there instead), never
    sent to the new server.
    """
    created = updated = 0
    for config in settings.SMTP_INBOXES if configs is None else configs:
        values = {
            "display_name": config.display_name,
            "smtp_host": config.host,
            "smtp_port": config.port,
            "smtp_password": config.password,
            "imap_host": config.host.replace("smtp.", "imap.", 1),
            "source": config.variable,
        }
        with transaction.atomic():
            inbox = Inbox.objects.select_for_update().filter(email=config.email).first()
            if inbox is None:
                inbox = Inbox.objects.create(email=config.email, **values)
                domain_check_queue(inbox=inbox, created=True)  # its domain's DNS check, by a worker
                created += 1
                continue
            stored = copy.copy(inbox)
            for name, value in values.items():
                setattr(inbox, name, value)
            problems = inbox_passwords_to_enter_again(
                stored=stored, changed=inbox, smtp_password_entered=True, imap_password_entered=False
            )
            if "imap_password" in problems:
                inbox.imap_password = ""
            inbox.save(update_fields=[*values, "imap_password"])
            changed = [name for name in values if getattr(stored, name) != getattr(inbox, name)]
            domain_check_queue(inbox=inbox, created=False, changed_fields=changed)
            updated += 1
    return created, updated
