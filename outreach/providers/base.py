"""What every sending provider takes and returns, and how it fails.

A provider gets a ready ``OutgoingMessage`` (our Message-ID, headers, plain-text body)
and returns the provider's own message id, or raises ``ProviderError``. Providers hold
no business rules and touch no models: the send path (outreach.services.sending)
decides which provider to try and what a failure means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.errors import ProviderError as InfraProviderError
from outreach.providers.wire import WireEmailMessage


class ProviderError(InfraProviderError):
    """A mail provider did not take the message (one of infra.errors.ProviderError's family).
    ``login_failed`` marks bad SMTP credentials.

    ``outcome_unknown``: the message may have gone out (the connection broke or timed
    out after it was handed over), so no other provider may send it.

    ``recipient_refused``: the receiving side refused the recipient's address for good (an
    SMTP 5xx naming the address as unknown or disabled, an ESP that rejects it): a hard
    bounce at send time. The provider itself works, and no other provider would fare better.
    """

    def __init__(
        self,
        message: str,
        *,
        login_failed: bool = False,
        outcome_unknown: bool = False,
        recipient_refused: bool = False,
    ):
        super().__init__(message)
        self.login_failed = login_failed
        self.outcome_unknown = outcome_unknown
        self.recipient_refused = recipient_refused


@dataclass
class OutgoingMessage:
    from_email: str
    from_name: str
    to: str
    subject: str
    text: str
    message_id: str
    idempotency_key: str
    headers: dict[str, str] = field(default_factory=dict)

    def as_django_message(self) -> WireEmailMessage:
        headers = {"Message-ID": self.message_id, **self.headers}
        return WireEmailMessage(
            subject=self.subject,
            body=self.text,
            from_email=f"{self.from_name} <{self.from_email}>" if self.from_name else self.from_email,
            to=[self.to],
            headers=headers,
        )
