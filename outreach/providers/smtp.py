"""The inbox's own SMTP server (Django's SMTP backend over smtplib), with our Message-ID.

Port 465 uses implicit TLS; any other port must STARTTLS, and the handshake (with the
certificate verified) must succeed before AUTH or the message goes out (infra.mail_tls).
Only a host on ``MAIL_PLAINTEXT_HOSTS`` (the demo's local sink, test servers) may be
used without: STARTTLS then when the server offers it, plaintext when not. A login
failure, or a server that refuses TLS, is reported as a login failure so the send path
opens the inbox's circuit after repeated ones.
"""

from __future__ import annotations

import smtplib
import ssl

from django.core.mail.backends.smtp import EmailBackend

from infra.mail_tls import plaintext_allowed, refusal
from outreach.providers.base import OutgoingMessage, ProviderError

TIMEOUT_SECONDS = 20


class SmtpProvider:
    name = "smtp"

    def __init__(self, *, host: str, port: int, username: str, password: str):
        self.host, self.port, self.username, self.password = host, port, username, password

    def _use_starttls(self) -> bool:
        """STARTTLS on every port but 465; only an allow-listed host may go without when it has none."""
        if self.port == 465:
            return False
        if not plaintext_allowed(self.host):
            return True  # smtplib raises SMTPNotSupportedError before AUTH when it is not offered
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
            use_tls=self._use_starttls(),
            timeout=TIMEOUT_SECONDS,
        )
        where = f"SMTP {self.host}:{self.port}"
        try:  # connect, STARTTLS, login: a failure here sent nothing
            backend.open()
        except smtplib.SMTPAuthenticationError as exc:
            backend.close()  # the half-open session Django keeps after a failed login
            raise ProviderError(f"SMTP login refused by {self.host} ({exc.smtp_code})", login_failed=True) from None
        except smtplib.SMTPNotSupportedError as exc:
            backend.close()
            if "STARTTLS" not in str(exc):  # e.g. no AUTH offered
                raise ProviderError(f"{where}: {type(exc).__name__}: {exc}") from None
            # STARTTLS not offered: nothing but EHLO was said
            raise ProviderError(refusal("SMTP", self.host, self.port), login_failed=True) from None
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
