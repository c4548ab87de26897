"""Delivery: the message as it leaves, and the providers it is handed to, in order.

``message_build`` writes what goes on the wire: our Message-ID (stable per email, so a
retry carries the same one), the footer (postal address, the privacy line of a first
email, the unsubscribe link) and the RFC 8058 headers. ``deliver`` tries Resend, the
inbox's own SMTP server, then SendGrid, each behind its circuit breaker, and fails over
only while the failed provider surely did not take the message:

- a provider whose answer was lost (``ProviderError.outcome_unknown``) ends the failover:
  an idempotent provider (Resend) is asked once more with the same key; the caller holds
  any other such email for a person;
- a recipient refused for good (``recipient_refused``) ends it too, and does not count
  against the provider's circuit: the provider works, the address does not;
- repeated SMTP login failures open the inbox's circuit (the inbox is shown as such).

No business rule about *whether* to send lives here: outreach.services.sending decides.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from infra.circuit import CircuitBreaker
from infra.errors import AlreadyMoved, TransitionNotAllowed
from infra.events import event_record
from infra.models import CircuitState
from infra.statemachine import transition
from outreach.compliance import privacy_line
from outreach.models import Email, Inbox
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.esp import ResendProvider, SendGridProvider
from outreach.providers.smtp import SmtpProvider

logger = logging.getLogger(__name__)

ACTOR = "task:sending"
SMTP_LOGIN_FAILURES_TO_OPEN = 3


def message_build(email: Email, inbox: Inbox) -> OutgoingMessage:
    """Our Message-ID, the footer (postal address, unsubscribe link) and the RFC 8058 headers."""
    from outreach.unsubscribe import unsubscribe_headers, unsubscribe_url

    domain = inbox.email.rpartition("@")[2] or "jengu.local"
    # stable per email (a retry carries the same id, so receivers can drop a duplicate) and
    # short enough that the header is never folded
    message_id = email.message_id or f"<{email.idempotency_key.hex}@{domain}>"
    address = (email.campaign.postal_address if email.campaign else "").strip()
    footer = ["--", address] if address else ["--"]
    url = unsubscribe_url(email.to_email)
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


def providers_for(inbox: Inbox) -> list:
    """Resend, then the inbox's own SMTP server, then SendGrid; an ESP without a key is left out."""
    providers = []
    if settings.RESEND_API_KEY:
        providers.append(ResendProvider(api_key=settings.RESEND_API_KEY))
    providers.append(
        SmtpProvider(
            host=inbox.smtp_host,
            port=inbox.smtp_port,
            username=inbox.smtp_username or inbox.email,
            password=inbox.smtp_password,
        )
    )
    if settings.SENDGRID_API_KEY:
        providers.append(SendGridProvider(api_key=settings.SENDGRID_API_KEY))
    return providers


def _breaker(provider, inbox: Inbox) -> CircuitBreaker:
    key = f"smtp:{inbox.pk}" if provider.name == "smtp" else f"send:{provider.name}"
    return CircuitBreaker(key)


def _smtp_login_failed(inbox: Inbox, error: str) -> None:
    """Repeated login failures open the inbox's circuit: it is shown as such and not used."""
    breaker = CircuitBreaker(f"smtp-login:{inbox.pk}", failure_threshold=SMTP_LOGIN_FAILURES_TO_OPEN)
    breaker.record_failure(error)
    if breaker.state() == "open":
        try:
            with transaction.atomic():
                transition(inbox, "open_circuit", by=ACTOR, reason=error[:500])
                Inbox.objects.filter(pk=inbox.pk).update(
                    state_reason=f"SMTP login failed {SMTP_LOGIN_FAILURES_TO_OPEN} times: {error}"[:300]
                )
                event_record("inbox.circuit_open", level="error", message=f"{inbox.email}: {error}",
                             data={"inbox_id": inbox.pk}, by=ACTOR)  # fmt: skip
        except (AlreadyMoved, TransitionNotAllowed):
            pass  # already open or paused by someone


class NoProviderAsked(ProviderError):
    """Every provider's circuit was open: nobody refused the email, so the run does not count
    toward its SEND_MAX_ATTEMPTS."""


def deliver(message: OutgoingMessage, inbox: Inbox, email: Email) -> tuple[str, str, list[str]]:
    """Try the providers in order; returns (provider name, provider message id, errors) or raises ProviderError."""
    errors = []
    asked = False
    for provider in providers_for(inbox):
        breaker = _breaker(provider, inbox)
        if not breaker.allow():
            errors.append(f"{provider.name}: circuit open")
            continue
        # recorded before the call: after a crash, the review shows which provider may have it
        event_record("email.provider_attempt", message=f"email {email.pk} via {provider.name}",
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
        breaker.record_success()
        if provider.name == "smtp":  # the login worked: earlier login failures no longer count
            CircuitState.objects.filter(key=f"smtp-login:{inbox.pk}", consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
        return provider.name, provider_message_id, errors
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
