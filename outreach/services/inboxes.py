"""Writers for the inbox pool: pause, resume, and the sync from SMTP_INBOX_n settings."""

from django.conf import settings
from django.db import transaction

from infra.circuit import CircuitBreaker
from infra.config import SmtpInboxConfig
from infra.events import event_record
from infra.statemachine import transition
from outreach.models import Inbox


def inbox_pause(*, inbox: Inbox, by, reason: str = "paused by an operator") -> Inbox:
    with transaction.atomic():
        transition(inbox, "pause", by=by, reason=reason)
        inbox.state_reason = reason[:300]
        inbox.save(update_fields=["state_reason"])
        event_record("inbox.paused", message=f"{inbox.email}: {reason}", data={"inbox_id": inbox.pk}, by=by)
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
        event_record("inbox.resumed", message=inbox.email, data={"inbox_id": inbox.pk}, by=by)
    return inbox


def inboxes_sync_from_settings(configs: list[SmtpInboxConfig] | None = None) -> tuple[int, int]:
    """Create or update an Inbox for each SMTP_INBOX_n; returns (created, updated).

    The state, warmup date and scores of an existing inbox are kept: the environment
    owns only its connection settings.
    """
    created = updated = 0
    for config in settings.SMTP_INBOXES if configs is None else configs:
        _, was_created = Inbox.objects.update_or_create(
            email=config.email,
            defaults={
                "display_name": config.display_name,
                "smtp_host": config.host,
                "smtp_port": config.port,
                "smtp_password": config.password,
                "imap_host": config.host.replace("smtp.", "imap.", 1),
                "source": config.variable,
            },
        )
        created += was_created
        updated += not was_created
    return created, updated
