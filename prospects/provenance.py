"""Where a prospect's personal data came from, and the consents they gave us.

GDPR Art. 14 asks a sender who did not collect the data from the person to say where it
came from; some countries (prospects in Germany, Austria …) may only be emailed with a
recorded consent. Both live on the prospect, written only here:

- ``data_source_record(prospect=..., kind=..., detail=..., at=...)`` stores the source
  of the contact's data: a job posting URL, "import #3 leads.csv, row 12", the hotel's
  web page the name was read from, an email finder, a referral by another prospect, an
  API client, a person. With ``only_if`` it replaces only a source of those kinds (e.g.
  enrichment replaces "job posting" once it found the address on the hotel's site, but
  never an import's). The acquisition, import, API, enrichment and delegation paths
  call it, or pass the same three fields to ``prospects.dedup.prospect_ingest``;
- ``consent_record(prospect=..., source=..., given_at=..., evidence=..., by=...)``
  appends a Consent row (source, date, evidence, who recorded it) and an event. Evidence
  is required: a consent we cannot show is no consent. Rows are never edited.

Releasing emails the sender held for want of a consent is outreach's business
(``outreach.compliance.consent_record_and_release``, which calls this first); a consent
recorded here directly (the API) is picked up by the next sender run.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import event_record
from infra.statemachine import actor_label
from prospects import events
from prospects.models import Consent, DataSourceKind, Prospect

DETAIL_MAX = Prospect._meta.get_field("data_source_detail").max_length


def data_source_fields(kind: str, detail: str = "", at: datetime.datetime | None = None) -> dict:
    """The three Prospect fields for a source, to pass to ``prospect_ingest`` with the rest."""
    if kind not in DataSourceKind.values:
        raise ApplicationError(f"Unknown data source kind '{kind}'. Known: {', '.join(DataSourceKind.values)}.")
    return {
        "data_source_kind": kind,
        "data_source_detail": (detail or "")[:DETAIL_MAX],
        "data_source_at": at or timezone.now(),
    }


def data_source_record(
    *,
    prospect: Prospect,
    kind: str,
    detail: str = "",
    at: datetime.datetime | None = None,
    only_if: tuple[str, ...] | None = None,
) -> bool:
    """Record where ``prospect``'s data came from; returns whether it changed.

    ``only_if``: replace only a source of one of these kinds ("" = none recorded yet).
    One conditional UPDATE, so a concurrent writer of a better source is not overwritten.
    """
    fields = data_source_fields(kind, detail, at)
    rows = Prospect.objects.filter(pk=prospect.pk)
    if only_if is not None:
        rows = rows.filter(data_source_kind__in=list(only_if))
    changed = bool(rows.update(**fields))
    if changed:
        for name, value in fields.items():
            setattr(prospect, name, value)
    return changed


def data_source_after_ingest(
    *, prospect: Prospect, created: bool, fields: dict, kind: str, detail: str = "", at=None
) -> bool:
    """After ``prospect_ingest``: the source of a new prospect, or of a merged one that had none.

    A merged prospect whose recorded source is a job posting (an advert names the hotel,
    not the person) takes this source when it brought the address the prospect now has.
    """
    if created or not prospect.data_source_kind:
        return data_source_record(prospect=prospect, kind=kind, detail=detail, at=at, only_if=("",))
    address = (fields.get("email") or "").strip().lower()
    if address and prospect.email == address:
        return data_source_record(
            prospect=prospect, kind=kind, detail=detail, at=at, only_if=("", DataSourceKind.JOB_POSTING)
        )
    return False


def consent_record(
    *, prospect: Prospect, source: str, evidence: str, by, given_at: datetime.datetime | None = None
) -> Consent:
    """Append a recorded consent to ``prospect`` (see the module docstring)."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise ApplicationError("Say what shows the consent (a quote, a form submission id, a URL, where it is filed).")
    if source not in Consent.Source.values:
        raise ApplicationError(f"Unknown consent source '{source}'. Known: {', '.join(Consent.Source.values)}.")
    now = timezone.now()
    given_at = given_at or now
    if given_at > now + datetime.timedelta(minutes=5):
        raise ApplicationError("A consent cannot be given in the future: check the date.")
    if prospect.erased_at:
        raise ApplicationError("This prospect's personal data was erased; a consent cannot be recorded on it.")
    with transaction.atomic():
        consent = Consent.objects.create(
            prospect=prospect,
            source=source,
            given_at=given_at,
            evidence=evidence,
            recorded_by=actor_label(by)[:150],
            recorded_at=now,
        )
        event_record(
            events.PROSPECT_CONSENT_RECORDED,
            message=f"{prospect.company_name}: {consent.get_source_display()} consent of {given_at:%Y-%m-%d}",
            data={"prospect_id": prospect.pk, "consent_id": consent.pk, "source": source},
            trace_id=prospect.trace_id,
            by=by,
        )
    return consent
