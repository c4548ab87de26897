"""Delivery: the message as it leaves, and the providers it is handed to, in order.

``message_build`` writes what goes on the wire: our Message-ID (stable per email, so a
retry carries the same one), the footer (postal address, the privacy line of a first
email, the unsubscribe link) and the RFC 8058 headers. ``deliver`` tries Resend, the
inbox's own SMTP server, then SendGrid (``outreach.providers.registry.providers_for``:
the one place the settings choose them), each behind its circuit breaker, and fails over
only while the failed provider surely did not take the message:

- a provider whose answer was lost (``ProviderError.outcome_unknown``) ends the failover:
  an idempotent provider (Resend) is asked once more with the same key; the caller holds
  any other such email for a person;
- a recipient refused for good (``recipient_refused``) ends it too, and does not count
  against the provider's circuit: the provider works, the address does not;
- repeated SMTP login failures open the inbox's circuit (the inbox is shown as such).

A provider's success is returned, not written (``Delivered.record``): the sender books it
in the transaction that records the send, so a healthy send costs no write of its own
here. The circuits are read in one query (``circuits_read``), or not at all when the
sender's read of the email found them all closed without failures (``circuits_clean``).

No business rule about *whether* to send lives here: outreach.services.sending decides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from infra.circuit import CircuitBreaker, circuits_read
from infra.events import event_record
from infra.models import CircuitState
from infra.statemachine import transition_if_allowed
from outreach import events
from outreach.compliance import privacy_line
from outreach.models import Email, Inbox
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.registry import providers_for  # which providers, in which order: chosen there

logger = logging.getLogger(__name__)

ACTOR = "task:sending"
SMTP_LOGIN_FAILURES_TO_OPEN = 3


def message_id_for(email: Email, inbox: Inbox) -> str:
    """Stable per email (a retry carries the same id, so receivers can drop a duplicate) and
    short enough that the header is never folded."""
    domain = inbox.email.rpartition("@")[2] or "jengu.local"
    return email.message_id or f"<{email.idempotency_key.hex}@{domain}>"


def message_build(email: Email, inbox: Inbox, *, unsubscribe_token: str | None = None) -> OutgoingMessage:
    """Our Message-ID, the footer (postal address, unsubscribe link) and the RFC 8058 headers.

    ``unsubscribe_token``: the address's token when the caller read it already."""
    from outreach.unsubscribe import unsubscribe_headers, unsubscribe_url

    message_id = message_id_for(email, inbox)
    address = (email.campaign.postal_address if email.campaign else "").strip()
    footer = ["--", address] if address else ["--"]
    url = unsubscribe_url(email.to_email, token=unsubscribe_token)
    if line := privacy_line(email):  # GDPR Art. 14: who we are, where we found the address (first emails)
        footer.append(line)
    # the link on a line of its own: a long line makes the body quoted-printable, whose soft
    # line breaks would cut a URL on the wire
    footer += ["Not the right time? One click and we won't write again:", url]
    headers = unsubscribe_headers(email.to_email, url=url)
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.in_reply_to
    return OutgoingMessage(
        from_email=inbox.email,
        from_name=inbox.display_name,
        to=email.to_email,
        subject=email.subject,
        text=f"{email.body.rstrip()}\n\n" + "\n".join(footer) + "\n",
        message_id=message_id,
        idempotency_key=str(email.idempotency_key),
        headers=headers,
    )


def _circuit_key(provider, inbox: Inbox) -> str:
    return f"smtp:{inbox.pk}" if provider.name == "smtp" else f"send:{provider.name}"


def circuit_keys(inbox: Inbox, providers: list | None = None) -> list[str]:
    """The circuits of the providers a send from ``inbox`` may use, in their order."""
    providers = providers_for(inbox) if providers is None else providers
    return [_circuit_key(p, inbox) for p in providers]


def login_circuit_key(inbox: Inbox) -> str:
    """The circuit counting the inbox's failed SMTP logins (it exists once one failed)."""
    return f"smtp-login:{inbox.pk}"


def _smtp_login_failed(inbox: Inbox, error: str) -> None:
    """Repeated login failures open the inbox's circuit: it is shown as such and not used."""
    breaker = CircuitBreaker(f"smtp-login:{inbox.pk}", failure_threshold=SMTP_LOGIN_FAILURES_TO_OPEN)
    breaker.record_failure(error)
    if breaker.state() == "open":
        with transaction.atomic():
            # not moved: already open, or paused by someone
            if transition_if_allowed(inbox, "open_circuit", by=ACTOR, reason=error[:500]):
                Inbox.objects.filter(pk=inbox.pk).update(
                    state_reason=f"SMTP login failed {SMTP_LOGIN_FAILURES_TO_OPEN} times: {error}"[:300]
                )
                event_record(events.INBOX_CIRCUIT_OPEN, level="error", message=f"{inbox.email}: {error}",
                             data={"inbox_id": inbox.pk}, by=ACTOR)  # fmt: skip


class NoProviderAsked(ProviderError):
    """Every provider's circuit was open: nobody refused the email, so the run does not count
    toward its SEND_MAX_ATTEMPTS."""


@dataclass
class Delivered:
    """A provider took the message. ``record()`` books its success (its circuit, the metrics,
    earlier SMTP login failures forgotten): call it in the transaction that records the send."""

    provider: str
    provider_message_id: str
    errors: list[str] = field(default_factory=list)
    breaker: CircuitBreaker | None = None
    login_failures_to_forget: str = ""  # the smtp-login circuit key, when it had failures

    def record(self) -> None:
        if self.breaker is not None:
            self.breaker.record_success()
        if self.login_failures_to_forget:  # the login worked: earlier login failures no longer count
            CircuitState.objects.filter(key=self.login_failures_to_forget, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )


def deliver(
    message: OutgoingMessage,
    inbox: Inbox,
    email: Email,
    *,
    providers: list | None = None,
    circuits_clean: bool = False,
    attempt_recorded: str = "",
) -> Delivered:
    """Try the providers in order; returns what took it, or raises ProviderError.

    ``circuits_clean``: the caller read a moment ago that every circuit of
    ``circuit_keys(inbox)`` exists and is closed with no failures, and that the inbox's
    login circuit has none either (none is read again). ``attempt_recorded``: the provider whose
    attempt event the caller wrote already (with its claim of the email).
    """
    providers = providers_for(inbox) if providers is None else providers
    keys = [*circuit_keys(inbox, providers), login_circuit_key(inbox)]
    # a circuit without a row is read (and created) by its breaker, as on first use
    rows = {key: CircuitState(key=key) for key in keys} if circuits_clean else circuits_read(keys)
    errors = []
    asked = False
    for provider in providers:
        key = _circuit_key(provider, inbox)
        breaker = CircuitBreaker(key, row=rows.get(key))
        if not breaker.allow():
            errors.append(f"{provider.name}: circuit open")
            continue
        if provider.name != attempt_recorded or asked:
            # recorded before the call: after a crash, the review shows which provider may have it
            event_record(events.EMAIL_PROVIDER_ATTEMPT, message=f"email {email.pk} via {provider.name}",
                         data={"email_id": email.pk, "provider": provider.name}, trace_id=email.trace_id)  # fmt: skip
        asked = True
        try:
            provider_message_id = _send_once_or_unknown(provider, message)
        except ProviderError as exc:
            if exc.recipient_refused:
                # the provider works and answered for the address: not a failure of its
                # circuit, and no other provider would be allowed further
                errors.append(str(exc))
                raise ProviderError("; ".join(errors), recipient_refused=True) from None
            breaker.record_failure(str(exc))
            errors.append(str(exc))
            if exc.outcome_unknown:  # it may be out: another provider could send it twice
                raise ProviderError("; ".join(errors), outcome_unknown=True) from None
            if exc.login_failed:
                _smtp_login_failed(inbox, str(exc))
            continue
        login = rows.get(login_circuit_key(inbox))
        forget = login.key if provider.name == "smtp" and login and login.consecutive_failures else ""
        return Delivered(provider.name, provider_message_id, errors, breaker, forget)
    if not asked:
        raise NoProviderAsked("; ".join(errors) or "no provider available")
    raise ProviderError("; ".join(errors) or "no provider available")


def _send_once_or_unknown(provider, message: OutgoingMessage) -> str:
    """``provider.send``; a provider with an idempotency key is asked once more when the
    outcome is unknown (it drops the repeat if the first call got through)."""
    try:
        return provider.send(message)
    except ProviderError as exc:
        if not (exc.outcome_unknown and getattr(provider, "idempotent", False)):
            raise
        first = str(exc)
    logger.info("%s: outcome unknown (%s); asking again with the same idempotency key", provider.name, first)
    try:
        return provider.send(message)
    except ProviderError as exc:
        # whatever the second answer says, the first call may have gone through
        raise ProviderError(f"{first}; asked again: {exc}", outcome_unknown=True) from None
