"""/api/prospects: list, detail, create (through dedup), update, operator transitions.

Views only translate HTTP to service calls (prospects.services); the rules live in the
services. Erasure touches every app, so its endpoint is mounted by jengu/api.py. A
prospect's emails and replies are shown in its detail through the reverse relations,
so this module needs no import of outreach or replies.
"""

import datetime
import enum
import uuid
import zoneinfo
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django_countries import countries
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, field_validator

from infra.api_auth import READ, WRITE
from infra.api_common import (
    AUTH_ERRORS,
    ApiConflict,
    BodyIn,
    JsonKeysetPagination,
    ListFilters,
    ManagerList,
    ObjectId,
    RowOut,
    Text,
    UtcDatetime,
    errors,
    invalid,
    page_of,
)
from infra.errors import ApplicationError
from infra.statemachine import actor_label
from prospects.models import (
    CompanyType,
    Consent,
    DataSourceKind,
    EnrichmentStatus,
    LeadSource,
    MarketTier,
    Prospect,
    ProspectStage,
    Tier,
)
from prospects.provenance import consent_record, data_source_after_ingest
from prospects.selectors import prospect_detail
from prospects.services import prospect_create, prospect_mark_lost, prospect_transition, prospect_update

router = Router(tags=["prospects"])


class OperatorTransition(enum.StrEnum):
    """The stage changes a person may make; the pipeline's own claims are not offered."""

    BOOK_MEETING = "book_meeting"
    MARK_WON = "mark_won"
    MARK_LOST = "mark_lost"


# --- output ---------------------------------------------------------------------------


class TransitionOut(RowOut):
    transition: str
    source: str
    target: str
    actor: str
    reason: str
    created_at: datetime.datetime


class ProspectOut(RowOut):
    id: int
    name: str
    email: str
    phone: str
    title: str
    linkedin_url: str
    source: str
    company_name: str
    company_website: str
    company_type: str
    country: Annotated[str, BeforeValidator(lambda v: str(getattr(v, "code", v) or ""))] = Field(
        description="ISO 3166-1 alpha-2, empty when unknown"
    )
    region: str
    city: str
    timezone: str
    market_tier: str
    tier: str
    stage: ProspectStage
    stage_changed_at: datetime.datetime
    lost_reason: str
    enrichment_status: EnrichmentStatus
    enrichment_score: float
    email_verified: bool
    email_sent_count: int
    last_email_sent_at: datetime.datetime | None
    last_reply_at: datetime.datetime | None
    behavioral_score: float
    merged_into_id: int | None
    data_source_kind: str = Field(description="where the contact's data came from ('' when not recorded)")
    data_source_detail: str = Field(description="the page or posting URL, the import file and row, the referrer")
    data_source_at: datetime.datetime | None
    trace_id: uuid.UUID
    created_at: datetime.datetime
    updated_at: datetime.datetime


ProspectPage = page_of(ProspectOut)


class ConsentOut(RowOut):
    id: int
    source: str
    given_at: datetime.datetime
    evidence: str
    recorded_by: str
    recorded_at: datetime.datetime


class ProspectEmailOut(RowOut):
    id: int
    subject: str
    status: str
    type: str
    sequence_step: int
    to_email: str
    inbox_id: int | None
    sent_at: datetime.datetime | None
    created_at: datetime.datetime


class ProspectReplyOut(RowOut):
    id: int
    email_id: int | None
    from_email: str
    subject: str
    intent: str
    confidence: float | None
    needs_human: bool
    received_at: datetime.datetime


class ProspectDetailOut(ProspectOut):
    website_analysis: Any
    research_report: Any
    pain_signals: Any
    competitor_tools: Any
    emails: Annotated[list[ProspectEmailOut], ManagerList]
    replies: Annotated[list[ProspectReplyOut], ManagerList]
    consents: Annotated[list[ConsentOut], ManagerList]
    transitions: list[TransitionOut]


class ProspectCreatedOut(ProspectOut):
    merged: bool = Field(description="true: the hotel or address was already on record; this is that prospect")


# --- input ----------------------------------------------------------------------------


def _check_email(value):
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("not an email address") from None
    return value


def _check_country(value):
    if value and value.upper() not in countries:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return value.upper() if value else value


def _check_timezone(value):
    if value and value not in zoneinfo.available_timezones():
        raise ValueError("not an IANA time zone (e.g. America/Denver)")
    return value


class ProspectFields(BodyIn):
    """Editable prospect fields, shared by create and update."""

    name: Text(200) = None
    email: Text(254) = None
    phone: Text(40) = None
    title: Text(200) = None
    linkedin_url: Text(300) = None
    company_name: Text(200, min_length=1) = None
    company_website: Text(300) = None
    company_type: CompanyType | None = None
    country: Text(2) = Field(None, description="ISO 3166-1 alpha-2, e.g. DE")
    region: Text(100) = None
    city: Text(100) = None
    timezone: Text(64) = Field(None, description="IANA time zone, e.g. Europe/Berlin")
    market_tier: MarketTier | None = None
    tier: Tier | None = None
    referral_note: Text(300) = None

    @field_validator("email")
    @classmethod
    def check_email(cls, value):
        return _check_email(value)

    @field_validator("country")
    @classmethod
    def check_country(cls, value):
        return _check_country(value)

    @field_validator("timezone")
    @classmethod
    def check_timezone(cls, value):
        return _check_timezone(value)

    def changes(self) -> dict:
        # an enum's None means "leave as is" on update; blank-able choices take ""
        return {
            name: (value.value if isinstance(value, enum.Enum) else value)
            for name, value in self.model_dump(exclude_unset=True).items()
            if value is not None
        }


class ProspectIn(ProspectFields):
    company_name: Text(200, min_length=1)
    source: LeadSource = LeadSource.MANUAL
    # where the contact's data came from (GDPR Art. 14: the first email says so)
    data_source_kind: DataSourceKind = DataSourceKind.API
    data_source_detail: Text(500) = Field(None, description="e.g. the page URL where you found the address")
    data_source_at: UtcDatetime | None = Field(None, description="when the data was collected; default: now")

    def changes(self) -> dict:
        return {name: value for name, value in super().changes().items() if name not in DATA_SOURCE_FIELDS}


DATA_SOURCE_FIELDS = ("data_source_kind", "data_source_detail", "data_source_at")


class ConsentIn(BodyIn):
    source: Consent.Source
    evidence: Text(2000, min_length=1) = Field(description="what shows it: a quote, a form submission id, a URL")
    given_at: UtcDatetime | None = Field(None, description="when it was given; default: now")


class ProspectPatch(ProspectFields):
    """Only the fields sent are changed; the stage changes through the transition endpoints."""


class TransitionIn(BodyIn):
    reason: Text(300) = Field("", description="required for mark_lost: why the prospect is lost")


class ProspectFilters(ListFilters):
    stage: ProspectStage | None = None
    tier: Tier | None = None
    market_tier: MarketTier | None = None
    country: Text(2) | None = Field(None, description="ISO 3166-1 alpha-2")
    city: Text(100) | None = Field(None, description="exact city name, case-insensitive")
    created_after: UtcDatetime | None = None
    created_before: UtcDatetime | None = None
    search: Text(100) | None = Field(None, description="substring of company, contact name, email or city")

    lookups: ClassVar[dict[str, str]] = {
        "stage": "stage",
        "tier": "tier",
        "market_tier": "market_tier",
        "city": "city__iexact",
        "created_after": "created_at__gte",
        "created_before": "created_at__lt",
    }

    def apply(self, queryset):
        queryset = super().apply(queryset)
        if self.country:
            queryset = queryset.filter(country=self.country.upper())
        if self.search and self.search.strip():
            term = self.search.strip()
            queryset = queryset.filter(
                Q(company_name__icontains=term)
                | Q(name__icontains=term)
                | Q(email__icontains=term)
                | Q(city__icontains=term)
            )
        return queryset


# --- views ----------------------------------------------------------------------------


@router.get("/prospects", auth=READ, response={200: ProspectPage, **errors(*AUTH_ERRORS)})
@paginate(JsonKeysetPagination, page=ProspectPage)
def list_prospects(request, filters: Query[ProspectFilters]):
    """Prospects, newest first. Follow `next_cursor` for the next page; there is no total count."""
    # the page reads only ProspectOut's columns (not the analyses' JSON): see JsonKeysetPagination
    return filters.apply(Prospect.objects.all())


@router.get("/prospects/{prospect_id}", auth=READ, response={200: ProspectDetailOut, **errors(*AUTH_ERRORS, 404)})
def get_prospect(request, prospect_id: ObjectId):
    """One prospect with its emails, replies and stage history (the latest 200 changes)."""
    return prospect_detail(prospect_id=prospect_id)


@router.post(
    "/prospects",
    auth=WRITE,
    response={200: ProspectCreatedOut, 201: ProspectCreatedOut, **errors(*AUTH_ERRORS, 400, 409)},
)
def create_prospect(request, payload: ProspectIn):
    """Add a prospect. If dedup finds the hotel or address on record, that prospect comes back with
    200 and `merged: true` (filled in with what it lacked); otherwise 201."""
    fields = payload.changes()
    with transaction.atomic():  # enrichment, queued on commit, finds the data source recorded
        prospect, created = prospect_create(fields=fields, by=request.auth)
        data_source_after_ingest(
            prospect=prospect,
            created=created,
            fields=fields,
            kind=payload.data_source_kind.value,
            detail=payload.data_source_detail or f"added through the API by {actor_label(request.auth)}",
            at=payload.data_source_at,
        )
    prospect.merged = not created
    return Status(201 if created else 200, prospect)


@router.get(
    "/prospects/{prospect_id}/consents", auth=READ, response={200: list[ConsentOut], **errors(*AUTH_ERRORS, 404)}
)
def list_consents(request, prospect_id: ObjectId):
    """The consents recorded for a prospect, newest first (needed where its country's rule requires one)."""
    prospect = get_object_or_404(Prospect, pk=prospect_id)
    return list(prospect.consents.all())


@router.post(
    "/prospects/{prospect_id}/consents",
    auth=WRITE,
    response={201: ConsentOut, **errors(*AUTH_ERRORS, 400, 404)},
)
def record_consent(request, prospect_id: ObjectId, payload: ConsentIn):
    """Record a consent the prospect gave (never edited afterwards). Emails held for want of one go back to
    the queue at the next sender run (within five minutes)."""
    prospect = get_object_or_404(Prospect, pk=prospect_id)
    consent = consent_record(
        prospect=prospect,
        source=payload.source.value,
        evidence=payload.evidence,
        given_at=payload.given_at,
        by=request.auth,
    )
    return Status(201, consent)


@router.patch(
    "/prospects/{prospect_id}", auth=WRITE, response={200: ProspectOut, **errors(*AUTH_ERRORS, 400, 404, 409)}
)
def update_prospect(request, prospect_id: ObjectId, payload: ProspectPatch):
    """Change editable fields. The stage is not one of them: use the transition endpoints."""
    prospect = get_object_or_404(Prospect, pk=prospect_id)
    changes = payload.changes()
    if "company_name" in changes and not changes["company_name"].strip():
        raise invalid("company_name", "a prospect needs a company name")
    try:
        return prospect_update(prospect=prospect, changes=changes, by=request.auth)
    except ApplicationError as exc:
        if exc.extra.get("conflict"):
            raise ApiConflict(exc.message) from None
        raise


@router.put(
    "/prospects/{prospect_id}",
    auth=WRITE,
    response={200: ProspectOut, **errors(*AUTH_ERRORS, 400, 404, 409)},
    summary="Update Prospect (PUT, as PATCH)",
)
def update_prospect_put(request, prospect_id: ObjectId, payload: ProspectPatch):
    """The same change as PATCH, under the verb the reference design's clients use: only the fields
    sent change (this is not a full replacement)."""
    return update_prospect(request, prospect_id, payload)


@router.post(
    "/prospects/{prospect_id}/transitions/{name}",
    auth=WRITE,
    response={200: ProspectOut, **errors(*AUTH_ERRORS, 400, 404, 409)},
)
def transition_prospect(request, prospect_id: ObjectId, name: OperatorTransition, payload: TransitionIn = None):
    """Move a prospect by an operator transition: `book_meeting`, `mark_won`, `mark_lost` (needs a reason).

    409 with `current_state` when the prospect is in a stage the transition does not start from.
    """
    prospect = get_object_or_404(Prospect, pk=prospect_id)
    payload = payload or TransitionIn()
    if name == OperatorTransition.MARK_LOST:
        if not payload.reason.strip():
            raise invalid("reason", "say why the prospect is lost (e.g. 'chose a competitor')")
        return prospect_mark_lost(prospect=prospect, by=request.auth, reason=payload.reason)
    return prospect_transition(prospect=prospect, name=name.value, by=request.auth, reason=payload.reason)
