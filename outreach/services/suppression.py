"""The suppression list: addresses and whole domains we must never email again.

Every send checks ``suppression_blocks(address)`` at the moment of sending, so an
unsubscribe, hard bounce or complaint takes effect on the very next send. Entries are
keyed by a hash of the value, so an erased person's address stays blocked after their
data is gone.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from infra.errors import ApplicationError
from infra.events import event_record
from outreach import events
from outreach.models import Suppression, suppression_hash


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def suppression_value_clean(kind: str, value: str) -> str:
    """The normalised address or domain, or ApplicationError saying what is wrong with it."""
    value = (value or "").strip().lower()
    if kind == Suppression.Kind.ADDRESS:
        try:
            validate_email(value)
        except ValidationError:
            raise ApplicationError(f"'{value}' is not an email address.") from None
    elif kind == Suppression.Kind.DOMAIN:
        value = value.lstrip("@")
        if "." not in value or "@" in value or " " in value:
            raise ApplicationError(f"'{value}' is not a domain (e.g. example-hotel.com).")
    else:
        raise ApplicationError(f"Unknown suppression kind '{kind}' (address or domain).")
    return value


def suppression_add(*, kind: str, value: str, reason: str, source: str = "", by=None) -> tuple[Suppression, bool]:
    """Suppress ``value``; returns (entry, created). Adding an existing value is not an error."""
    value = suppression_value_clean(kind, value)
    try:
        with transaction.atomic():
            entry = Suppression.objects.create(kind=kind, value=value, reason=reason, source=source[:120])
    except IntegrityError:
        return Suppression.objects.get(value_hash=suppression_hash(value)), False
    event_record(
        events.SUPPRESSION_ADDED,
        message=f"{kind} suppressed ({reason}, {source or 'no source'})",
        data={"suppression_id": entry.pk, "kind": kind, "reason": reason},
        by=by,
    )
    return entry, True


def suppression_remove(*, entry: Suppression, by) -> None:
    event_record(
        events.SUPPRESSION_REMOVED,
        message=f"{entry.kind} removed from suppression (was {entry.reason})",
        data={"suppression_id": entry.pk},
        by=by,
    )
    entry.delete()


def suppression_blocks(address: str) -> Suppression | None:
    """The entry that forbids emailing ``address`` (by address or by its domain), if any."""
    address = (address or "").strip().lower()
    hashes = [suppression_hash(address), suppression_hash(email_domain(address))]
    return Suppression.objects.filter(value_hash__in=hashes).first()
