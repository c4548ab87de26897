"""The inbox's own SMTP server (Django's SMTP backend over smtplib), with our Message-ID.

Port 465 uses implicit TLS; otherwise STARTTLS is used when the server offers it (a
local sink or test server may not). A login failure is reported separately so the
send path can open the inbox's circuit.
"""

from __future__ import annotations

import smtplib
import ssl

from django.core.mail.backends.smtp import EmailBackend

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
        # one backend per inbox, named by an alias as Django 6.1's mailers are (get_connection()
        # is deprecated); with an alias it reads nothing from the EMAIL_* settings
        backend = EmailBackend(
            alias=f"jengu-smtp-{self.host}",
            host=self.host,
            port=self.port,
            username=self.username if self.password else "",
            password=self.password,
            use_ssl=self.port == 465,
            use_tls=self._offers_starttls(),
            timeout=TIMEOUT_SECONDS,
        )
        where = f"SMTP {self.host}:{self.port}"
        try:  # connect, STARTTLS, login: a failure here sent nothing
            backend.open()
        except smtplib.SMTPAuthenticationError as exc:
            backend.close()  # the half-open session Django keeps after a failed login
            raise ProviderError(f"SMTP login refused by {self.host} ({exc.smtp_code})", login_failed=True) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            backend.close()
            raise ProviderError(f"{where}: {type(exc).__name__}: {exc}") from None
        try:
            sent = backend.send_messages([message.as_django_message()])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise ProviderError(f"{where} refused the message: {type(exc).__name__}: {exc}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            # the session broke mid-transaction: the server may have queued it before it went quiet
            raise ProviderError(
                f"{where}: {type(exc).__name__} during the send; it may have been delivered: {exc}",
                outcome_unknown=True,
            ) from None
        finally:
            backend.close()
        if not sent:
            raise ProviderError(f"{where} accepted no recipient")
        return message.message_id
