"""Unsubscribe links: signed, unguessable tokens carrying the address, and their effect.

Every email carries ``unsubscribe_url(address)`` in its footer and the RFC 8058 headers
from ``unsubscribe_headers(address)``, so mail clients can offer one-click unsubscribe.
The token is the address signed with the project's secret (django.core.signing, with
its own salt): it cannot be guessed or altered, and it needs no database row.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from infra.errors import ApplicationError
from infra.events import event_record

SALT = "jengu.unsubscribe"


def unsubscribe_token(address: str) -> str:
    # no timestamp: the same address always gets the same token, so the footer link and
    # the List-Unsubscribe header of one email match, and an old email's link keeps working
    return signing.Signer(salt=SALT).sign_object(address.strip().lower(), compress=True)


def unsubscribe_url(address: str) -> str:
    path = reverse("unsubscribe", args=[unsubscribe_token(address)])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def unsubscribe_headers(address: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(address)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_token_address(token: str) -> str:
    try:
        return signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        raise ApplicationError("This unsubscribe link is not valid (it may have been cut or altered).") from None


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
            event_record("email.unsubscribed", message=f"unsubscribed via {source}", data={"source": source})
    return address
