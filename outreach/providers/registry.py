"""Which sending providers this deployment has: the one place outreach reads the settings
that choose them.

Contract:

- ``esps()``: the ESPs whose API key is set (RESEND_API_KEY, SENDGRID_API_KEY), each a
  ready client, in failover order; ``esp.before_smtp`` says whether it is tried before
  the inbox's own SMTP server (Resend) or after it (SendGrid).
- ``providers_for(inbox)``: the clients a send from ``inbox`` tries, in order (the send
  path, outreach.services.delivery, and the domain check, outreach.services.domain_auth,
  both read this order).
- ``inbox_is_sandbox(inbox)``: the demo's inboxes, whose SMTP server is the local sink
  (``manage.py run_smtp_sink``, outreach.sink): DEBUG on and the host on
  MAIL_PLAINTEXT_HOSTS. The sink is the sandbox twin of a real mailbox provider; it is
  reached through the real ``SmtpProvider``, so the twin has the real client's interface
  by construction. With DEBUG off no inbox is a sandbox.
"""

from __future__ import annotations

from django.conf import settings

from outreach.providers.esp import AnymailProvider, ResendProvider, SendGridProvider
from outreach.providers.smtp import SmtpProvider


def esps() -> list[AnymailProvider]:
    """The ESPs whose key is set, in failover order (Resend first, SendGrid last)."""
    found: list[AnymailProvider] = []
    if settings.RESEND_API_KEY:
        found.append(ResendProvider(api_key=settings.RESEND_API_KEY))
    if settings.SENDGRID_API_KEY:
        found.append(SendGridProvider(api_key=settings.SENDGRID_API_KEY))
    return found


def smtp_provider_for(inbox) -> SmtpProvider:
    """The inbox's own SMTP server (the local sink for the demo's inboxes)."""
    return SmtpProvider(
        host=inbox.smtp_host,
        port=inbox.smtp_port,
        username=inbox.smtp_username or inbox.email,
        password=inbox.smtp_password,
    )


def providers_for(inbox) -> list:
    """Resend, then the inbox's own SMTP server, then SendGrid; an ESP without a key is left out."""
    configured = esps()
    return [
        *(esp for esp in configured if esp.before_smtp),
        smtp_provider_for(inbox),
        *(esp for esp in configured if not esp.before_smtp),
    ]


def inbox_is_sandbox(inbox) -> bool:
    """The demo's inboxes: DEBUG on and the SMTP host is the local sink (MAIL_PLAINTEXT_HOSTS)."""
    host = inbox.smtp_host.strip().strip("[]").lower()
    return bool(settings.DEBUG) and host in settings.MAIL_PLAINTEXT_HOSTS
