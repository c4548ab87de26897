"""Resend and SendGrid through django-anymail, each with its own API key.

Resend: https://resend.com/docs/api-reference/emails/send-email — we add the
``Idempotency-Key`` request header (our email's key), so a retried call inside 24 h
cannot send twice. SendGrid: https://www.twilio.com/docs/sendgrid/api-reference/mail-send
(no idempotency key; it is tried last).

anymail reports each recipient's status; when the ESP says the recipient is ``rejected``
(it will not send to the address: its suppression list, a prior hard bounce or
complaint) or ``invalid`` (the address cannot be delivered), that is a permanent refusal
of the recipient (``ProviderError.recipient_refused``): a hard bounce at send time, not
a failing ESP. ``failed`` stays an ordinary failure. Resend and SendGrid report every
accepted recipient as ``queued`` and their bounces come later through the tracking
webhooks, so for them this is anymail's contract kept rather than a daily event.
"""

from __future__ import annotations

from anymail.backends.resend import EmailBackend as ResendBackend
from anymail.backends.resend import ResendPayload
from anymail.backends.sendgrid import EmailBackend as SendGridBackend
from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, RequestException, SSLError
from urllib3.exceptions import NewConnectionError

from outreach.providers.base import OutgoingMessage, ProviderError


class IdempotentResendPayload(ResendPayload):
    def __init__(self, message, defaults, backend, *args, **kwargs):
        super().__init__(message, defaults, backend, *args, **kwargs)
        key = getattr(message, "idempotency_key", "")
        if key:
            self.headers["Idempotency-Key"] = key


class IdempotentResendBackend(ResendBackend):
    def build_message_payload(self, message, defaults):
        return IdempotentResendPayload(message, defaults, self)


class AnymailProvider:
    backend: type
    name: str
    label: str  # as people read it
    spf_include: str  # the domain the ESP documents for SPF: a sending domain's record must include it
    before_smtp: bool  # failover order: tried before the inbox's own SMTP server, or after it
    idempotent = False

    def __init__(self, *, api_key: str):
        self.api_key = api_key

    def send(self, message: OutgoingMessage) -> str:
        # built per key under an alias, as Django 6.1's mailers build theirs (get_connection()
        # and a message's connection are deprecated); with an alias no EMAIL_* setting is read
        backend = self.backend(alias=f"jengu-{self.name}", api_key=self.api_key)
        django_message = message.as_django_message()
        django_message.idempotency_key = message.idempotency_key
        try:
            backend.send_messages([django_message])
        except AnymailRecipientsRefused:
            # the ESP answered (2xx) that it will send to none of the recipients
            raise ProviderError(f"{self.name}: the recipient was rejected or invalid", recipient_refused=True) from None
        except AnymailError as exc:
            # anymail's message includes the ESP's answer, never our API key
            cause = f" ({type(exc.__cause__).__name__})" if exc.__cause__ else ""
            raise ProviderError(
                f"{self.name}: {str(exc).splitlines()[0][:300]}{cause}", outcome_unknown=_request_may_have_arrived(exc)
            ) from None
        status = django_message.anymail_status
        if status.status and status.status.issubset({"rejected", "invalid"}):
            raise ProviderError(f"{self.name}: recipient {', '.join(sorted(status.status))}", recipient_refused=True)
        if status.status and status.status.issubset({"rejected", "invalid", "failed"}):
            raise ProviderError(f"{self.name}: message {', '.join(sorted(status.status))}")
        return status.message_id or message.message_id


class ResendProvider(AnymailProvider):
    name = "resend"
    label = "Resend"
    spf_include = "amazonses.com"  # https://resend.com/docs/dashboard/domains/introduction (it sends through SES)
    before_smtp = True
    idempotent = True  # Idempotency-Key: Resend drops a repeat of the same key within 24 h
    backend = IdempotentResendBackend


class SendGridProvider(AnymailProvider):
    name = "sendgrid"
    label = "SendGrid"
    spf_include = "sendgrid.net"  # https://www.twilio.com/docs/sendgrid/ui/account-and-settings/spf-records
    before_smtp = False  # no idempotency key: tried last
    backend = SendGridBackend


# answers after which the ESP may still have taken the message: a gateway that lost its
# upstream's answer, and (Resend) a request with the same idempotency key still in flight
STATUSES_OF_UNKNOWN_OUTCOME = {409, 502, 504}


def _request_may_have_arrived(exc: AnymailError) -> bool:
    """Whether the ESP may have taken the message although the call failed.

    Definitely not: an error answer that says so (4xx, 500, 503), a connection that never
    opened (refused, DNS, connect timeout, TLS handshake). Nobody knows: a read timeout,
    a connection dropped mid-request, a gateway 502/504, a 409, or a 2xx anymail could not
    read. (anymail's error is also an instance of the requests exception it wraps.)
    """
    response = getattr(exc, "response", None)
    if response is not None:
        return response.status_code < 300 or response.status_code in STATUSES_OF_UNKNOWN_OUTCOME
    if isinstance(exc, (ConnectTimeout, SSLError)):
        return False
    if isinstance(exc, RequestsConnectionError):
        original = exc.__cause__ or exc  # anymail raises its error from the requests one
        reason = getattr(original.args[0], "reason", None) if original.args else None
        return not isinstance(reason, NewConnectionError)
    return isinstance(exc, RequestException)  # the request went out: ReadTimeout, a broken answer
