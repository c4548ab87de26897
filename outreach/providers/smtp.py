"""The inbox's own SMTP server (Django's SMTP backend over smtplib), with our Message-ID.

Port 465 uses implicit TLS; otherwise STARTTLS is used when the server offers it (a
local sink or test server may not). A login failure is reported separately so the
send path can open the inbox's circuit.
"""

from __future__ import annotations

import smtplib
import ssl

from django.core.mail import get_connection

from outreach.providers.base import OutgoingMessage, ProviderError

TIMEOUT_SECONDS = 20


class SmtpProvider:
    name = "smtp"

    def __init__(self, *, host: str, port: int, username: str, password: str):
        self.host, self.port, self.username, self.password = host, port, username, password

    def _offers_starttls(self) -> bool:
        if self.port == 465:
            return False
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as probe:
                probe.ehlo()
                return probe.has_extn("starttls")
        except (OSError, smtplib.SMTPException):
            return False  # the real connection below reports the problem

    def send(self, message: OutgoingMessage) -> str:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=self.host,
            port=self.port,
            username=self.username if self.password else "",
            password=self.password,
            use_ssl=self.port == 465,
            use_tls=self._offers_starttls(),
            timeout=TIMEOUT_SECONDS,
            fail_silently=False,
        )
        try:
            sent = message.as_django_message(connection).send()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(f"SMTP login refused by {self.host} ({exc.smtp_code})", login_failed=True) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise ProviderError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None
        if not sent:
            raise ProviderError(f"SMTP {self.host}:{self.port} accepted no recipient")
        return message.message_id
