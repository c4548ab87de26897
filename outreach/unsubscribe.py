"""Unsubscribe links: short random tokens stored per address, and their effect.

Every email carries ``unsubscribe_url(address)`` in its footer and the RFC 8058 headers
from ``unsubscribe_headers(address)``, so mail clients can offer one-click unsubscribe.
The token is 22 random characters stored with the address (``UnsubscribeLink``): it
cannot be guessed, and the URL stays short enough that ``List-Unsubscribe`` reaches the
wire as plain ``<https://…>`` (a long header is RFC 2047-encoded by the email package,
and mail clients do not decode that header). Links of older emails carried the address
signed with the project's secret; those still work.

The token is made when an email to the address is queued (outreach.services.composition),
so the send only reads it, in the statement that reads the email (outreach.selectors).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from infra.errors import ApplicationError
from infra.events import event_record
from outreach import events
from outreach.models import UnsubscribeLink, suppression_hash

SALT = "jengu.unsubscribe"  # of the signed tokens in emails sent before the random ones
INVALID = "This unsubscribe link is not valid (it may have been cut or altered)."


def unsubscribe_token(address: str) -> str:
    """The address's token: made on first use, then the same for every email to it."""
    address = address.strip().lower()
    link, _ = UnsubscribeLink.objects.get_or_create(
        address_hash=suppression_hash(address), defaults={"address": address}
    )
    return link.token


def unsubscribe_url(address: str, *, token: str | None = None) -> str:
    """The address's one-click link; ``token``: its token when the caller read it already."""
    path = reverse("unsubscribe", args=[token or unsubscribe_token(address)])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def unsubscribe_headers(address: str, *, url: str = "") -> dict[str, str]:
    """The RFC 8058 pair; ``url``: the address's unsubscribe URL when the caller already has it."""
    return {
        "List-Unsubscribe": f"<{url or unsubscribe_url(address)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_token_address(token: str) -> str:
    if ":" in token:  # a signed address, from an email sent before the random tokens
        try:
            return signing.Signer(salt=SALT).unsign_object(token)
        except signing.BadSignature:
            raise ApplicationError(INVALID) from None
    link = UnsubscribeLink.objects.filter(token=token).first()
    if link is None:
        raise ApplicationError(INVALID)
    if not link.address:
        raise ApplicationError("This address was erased from our records; we will not write to it again.")
    return link.address


def unsubscribe_address(*, token: str, source: str) -> str:
    """Suppress the token's address and stop every sequence to it; a second click is harmless."""
    from outreach.services.sequences import sequence_stop
    from outreach.services.suppression import suppression_add
    from prospects.models import Prospect

    address = unsubscribe_token_address(token)
    with transaction.atomic():
        _, created = suppression_add(kind="address", value=address, reason="unsubscribe", source=source)
        for prospect in Prospect.objects.filter(email__iexact=address):
            sequence_stop(prospect=prospect, reason=f"unsubscribed ({source})", by=f"system:{source}")
        if created:
            event_record(events.EMAIL_UNSUBSCRIBED, message=f"unsubscribed via {source}", data={"source": source})
    return address
