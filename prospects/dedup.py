"""One prospect per hotel, however many sources and workers report it.

Identity is enforced by database unique constraints (prospects.models.Prospect.Meta):

* the normalized company name plus city (``company_key``, ``city_key``);
* the hotel's website domain once known;
* the contact's email once known.

``prospect_ingest`` inserts optimistically and, when a constraint says the hotel
exists, merges onto the existing row instead — so eight workers racing on the same
hotel create one prospect and keep every job posting. Near-duplicates the keys miss
("Marriott Courtyard Denver" / "Courtyard by Marriott Denver Downtown") are flagged
for a human with a similarity score, never merged silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz

from infra.text import fold
from prospects.models import JobPosting, PossibleDuplicate, Prospect

LEGAL_SUFFIXES = {
    "ltd",
    "limited",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "sa",
    "sarl",
    "sas",
    "srl",
    "spa",
    "sl",
    "slu",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "pty",
    "pvt",
    "lp",
    "llp",
}
NOISE_WORDS = {"the", "hotel", "hotels", "hôtel", "hotell", "a", "an", "and", "&", "by"}
NEAR_DUPLICATE_THRESHOLD = 88.0


def company_key(name: str) -> str:
    """'The Grand Hôtel Müller GmbH' → 'grand muller'; stable under case, accents, punctuation."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(name or "")).split()
    kept = [w for w in words if w not in NOISE_WORDS and w not in LEGAL_SUFFIXES]
    return " ".join(kept or words)[:200]


def city_key(city: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(city or "")).split())[:100]


def website_domain(url: str) -> str:
    """'https://www.Hotel-Adlon.de/en/' → 'hotel-adlon.de'."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.lower().removeprefix("www.")


def prospect_clashes(
    *, pk: int | None, company_name: str, city: str, company_website: str, email: str, contact_key: str = ""
) -> dict[str, str]:
    """What another live prospect already holds of these values (the unique constraints'
    view), by field, in words a person can act on; {} when nothing clashes."""
    from prospects.models import Prospect

    live = Prospect.objects.filter(merged_into__isnull=True).exclude(pk=pk)
    held = {
        "email": live.filter(email__iexact=email) if email else None,
        "company_name": (
            live.filter(company_key=company_key(company_name), city_key=city_key(city), contact_key=contact_key)
            if company_key(company_name)
            else None
        ),
        "company_website": (
            live.filter(website_domain=website_domain(company_website), contact_key=contact_key)
            if website_domain(company_website)
            else None
        ),
    }
    what = {"email": "this email address", "company_name": "this hotel in this city", "company_website": "this website"}
    clashes = {}
    for field, queryset in held.items():
        other = queryset.only("pk", "company_name").first() if queryset is not None else None
        if other:
            clashes[field] = f"Prospect #{other.pk} ({other.company_name}) already has {what[field]}."
    return clashes


def similarity(a: str, b: str) -> float:
    """0–100: weighted similarity of two company keys (word order and an extra word forgiven)."""
    return fuzz.WRatio(company_key(a), company_key(b))


@dataclass
class IngestResult:
    prospect: Prospect
    created: bool
    posting: JobPosting | None  # None when this exact posting was already on record
    flagged: list[PossibleDuplicate]


def _find_existing(fields: dict) -> Prospect | None:
    ckey, town = company_key(fields["company_name"]), city_key(fields.get("city", ""))
    contact = fields.get("contact_key", "")
    match = Q(company_key=ckey, city_key=town, contact_key=contact)
    domain = website_domain(fields.get("company_website", ""))
    if domain:
        match |= Q(website_domain=domain, contact_key=contact)
    email = (fields.get("email") or "").strip().lower()
    if email:
        match |= Q(email=email)
    return Prospect.objects.filter(match, merged_into__isnull=True).order_by("id").first()


def prospect_ingest(*, fields: dict, posting: dict | None = None, by: str = "task:acquisition") -> IngestResult:
    """Create the prospect for a hotel, or merge onto the one that exists; keep the posting.

    ``fields`` are Prospect fields (company_name and city at least); ``posting`` the
    JobPosting fields of the advert that revealed it (it refreshes the hiring signal).
    Safe to run concurrently: the unique constraints decide who creates.
    """
    with transaction.atomic():
        existing = _find_existing(fields)
        created = False
        if existing is None:
            try:
                with transaction.atomic():  # a savepoint: losing the race must not abort the caller's transaction
                    prospect = Prospect.objects.create(**fields)
                    created = True
            except IntegrityError:
                existing = _find_existing(fields)
                if existing is None:
                    raise
        if not created:
            prospect = prospect_fill_in(existing, fields)
        job_posting = _record_posting(prospect, posting) if posting else None
        flagged = _flag_near_duplicates(prospect) if created else []
    return IngestResult(prospect=prospect, created=created, posting=job_posting, flagged=flagged)


def prospect_fill_in(prospect: Prospect, fields: dict) -> Prospect:
    """Fill what the existing prospect lacks; never overwrite what it already knows (the
    company name, city and contact, its identity, are never taken from ``fields``)."""
    changed = []
    for name, value in fields.items():
        if name in ("company_name", "city", "contact_key") or value in ("", None):
            continue
        if getattr(prospect, name) in ("", None):
            setattr(prospect, name, value)
            changed.append(name)
    if changed:
        prospect.save()
    return prospect


def _record_posting(prospect: Prospect, posting: dict) -> JobPosting | None:
    """A new advert refreshes the hiring signal; the same advert seen again is not duplicated."""
    posting = dict(posting)
    tier = posting.pop("tier", None)
    url = posting.get("url", "")
    if url and JobPosting.objects.filter(source=posting["source"], url=url).exists():
        return None
    try:
        with transaction.atomic():
            job_posting = JobPosting.objects.create(prospect=prospect, **posting)
    except IntegrityError:  # another worker recorded this very advert a moment ago
        return None
    # the freshest signal wins: a hot posting warms up a cold prospect, never the reverse
    if tier:
        order = {"cold": 0, "warm": 1, "hot": 2}
        if order.get(tier, 0) > order.get(prospect.tier, 0):
            Prospect.objects.filter(pk=prospect.pk).update(tier=tier, updated_at=timezone.now())
            prospect.tier = tier
    return job_posting


def _flag_near_duplicates(prospect: Prospect) -> list[PossibleDuplicate]:
    """Compare a new hotel with the others in its city; flag close names for review."""
    if not prospect.city_key:
        return []
    flagged = []
    others = (
        Prospect.objects.filter(city_key=prospect.city_key, contact_key="", merged_into__isnull=True)
        .exclude(pk=prospect.pk)
        .values_list("pk", "company_name")[:500]
    )
    for other_pk, other_name in others:
        score = similarity(prospect.company_name, other_name)
        if score >= NEAR_DUPLICATE_THRESHOLD:
            first, second = sorted([other_pk, prospect.pk])
            duplicate, _ = PossibleDuplicate.objects.get_or_create(
                prospect_id=first, other_id=second, defaults={"score": score}
            )
            flagged.append(duplicate)
    return flagged
