"""The law of the prospect's country, applied at the moment of sending; the privacy line.

Contract:

- ``country_rule_for(code)`` is the CountryRule of a country: its row in the table
  Operations edits (*Outreach → Country rules*, defaults shipped in a migration), or for
  a country not in the table an unsaved rule of legitimate interest with a postal
  address and an unsubscribe link.
- ``country_rule_check(prospect, campaign=...)`` says whether an outreach email
  (first or follow-up) may go to ``prospect`` now, and why not:

  * ``consent_required`` (Germany, Austria …): a recorded Consent other than a merely
    published address, else "consent required in DE: none recorded";
  * ``conspicuous_publication`` (Canada's CASL): any recorded Consent, including a
    published-address one a person recorded, or the prospect's address itself appearing
    on the hotel's website (the enrichment's analysis of its page) or in one of its job
    postings. An address we derived from a name (first.last@) is not published;
  * ``legitimate_interest``: nothing to record;
  * a prospect whose country is unknown is held: its rule cannot be checked;
  * the footer: a rule that requires a postal address holds an email whose campaign has
    none (the privacy line and the unsubscribe link are always added when required).

  The verdict is the sender's ``held`` decision (outreach.services.sending): the email
  leaves the queue for the ``held`` state with a send decision naming the reason, so it
  is visible in the admin (*Emails*, status Held) and never re-examined every five
  minutes.
- Held emails go back to the queue when what held them changed:
  ``consent_record_and_release`` (the admin's consent inline) re-checks the prospect's
  held emails at once; ``country_rule_save`` (the admin) those of the rule's country;
  ``held_emails_recheck`` (each sender run, jengu.jobs) only the held emails whose
  prospect got a consent, or was edited, or whose country's rule changed since the hold
  — a consent recorded through the API is released within five minutes. An email that
  still fails is held again with the current reason, so it is not looked at again
  until something changes.
- ``privacy_line(email)`` is the first email's GDPR Art. 14 line: who we are, where we
  found the address (from the prospect's data source; only hosts and fixed phrases,
  never free text somebody else wrote) and the privacy notice's URL. It is '' for
  follow-ups, replies, and campaigns that turned it off where no rule requires it.
  ``message_build`` appends it to the footer of step 1.
- ``held_back_by_rule(campaign=None)`` counts, per restrictive rule, the prospects not
  yet emailed without a recorded consent and the emails held, for the dashboard and the
  campaign preview (two grouped queries).

This is a tool for following rules Operations decided on, not legal advice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from infra.errors import AlreadyMoved, TransitionNotAllowed
from infra.events import event_record
from infra.statemachine import actor_label, transition, transition_if_allowed
from outreach import events
from outreach.models import Campaign, CountryRule, Email, EmailStatus, SendDecision
from prospects.models import Consent, DataSourceKind, LeadSource, Prospect, ProspectStage

ACTOR = "task:sending"
Basis = CountryRule.Basis
Footer = CountryRule.Footer
DEFAULT_FOOTER = [Footer.POSTAL_ADDRESS, Footer.UNSUBSCRIBE_LINK]
# the consent a consent-only country accepts: given by the person, not inferred from a publication
EXPRESS_CONSENT = [s for s in Consent.Source.values if s != Consent.Source.PUBLISHED]
# prospects the rules still hold back: never emailed, not closed, not erased
NOT_YET_EMAILED = [
    ProspectStage.NEW,
    ProspectStage.ENRICHING,
    ProspectStage.ENRICHED,
    ProspectStage.RESEARCHING,
    ProspectStage.READY,
    ProspectStage.COMPOSING,
    ProspectStage.COMPOSED,
    ProspectStage.QUEUED,
]
# the job boards a posting's host may be named as in the privacy line (any other: "a job advert")
JOB_BOARDS = [("linkedin.com", "LinkedIn"), ("indeed.com", "Indeed"), ("google.com", "Google Jobs")]
DISCLAIMER = (
    "These rules are a starting point shipped with Jengu and edited by Operations. They are not legal advice: "
    "check them with your counsel for the countries you write to."
)


@dataclass(frozen=True)
class CountryVerdict:
    ok: bool
    country: str  # ISO 3166-1 alpha-2, "" when unknown
    basis: str
    reason: str = ""  # consent_required, conspicuous_publication, country_unknown, footer
    detail: str = ""


COUNTRY_RULES_CACHE_KEY = "compliance:country-rules"
# the table is tiny and rarely edited; every send reads it (twice for a first email)
COUNTRY_RULES_CACHE_SECONDS = 10


def country_rules() -> dict[str, CountryRule]:
    """Every CountryRule by country code, read at most once per COUNTRY_RULES_CACHE_SECONDS.

    Saving or deleting a rule forgets the copy (in this process, or everywhere when the
    cache is Redis); another process with a local cache sees an edit within those seconds.
    """
    rules = cache.get(COUNTRY_RULES_CACHE_KEY)
    if rules is None:
        rules = {str(rule.country): rule for rule in CountryRule.objects.all()}
        cache.set(COUNTRY_RULES_CACHE_KEY, rules, COUNTRY_RULES_CACHE_SECONDS)
    return rules


def country_rules_forget(**_kwargs) -> None:
    cache.delete(COUNTRY_RULES_CACHE_KEY)


post_save.connect(country_rules_forget, sender=CountryRule, dispatch_uid="compliance.country_rule_saved")
post_delete.connect(country_rules_forget, sender=CountryRule, dispatch_uid="compliance.country_rule_deleted")


def country_rule_for(code: str) -> CountryRule:
    code = (code or "").upper()
    rule = country_rules().get(code) if code else None
    return rule or CountryRule(
        country=code, basis=Basis.LEGITIMATE_INTEREST, footer_requirements=list(DEFAULT_FOOTER), note="not listed"
    )


def _country_code(prospect: Prospect) -> str:
    return str(getattr(prospect.country, "code", prospect.country) or "").upper()


def address_published_at(prospect: Prospect) -> str:
    """Where the prospect's own address is conspicuously published ('' when we know of no such page)."""
    address = (prospect.email or "").strip().lower()
    if not address:
        return ""
    contact = (prospect.website_analysis or {}).get("contact") or {}
    if address in {str(e).strip().lower() for e in contact.get("emails") or []}:
        return prospect.company_website or "the hotel's website"
    posting = prospect.job_postings.filter(snippet__icontains=address).only("url").first()
    if posting:
        return posting.url or "one of the hotel's job postings"
    return ""


def country_rule_check(prospect: Prospect, *, campaign: Campaign | None = None, rule=None) -> CountryVerdict:
    """May an outreach email go to ``prospect`` under its country's rule? (see the module docstring)"""
    code = _country_code(prospect)
    if not code:
        return CountryVerdict(
            False, "", "", "country_unknown", "the prospect's country is unknown, so its country rule cannot be checked"
        )
    rule = rule or country_rule_for(code)
    ok_detail = f"{code}: {rule.get_basis_display().lower()}"
    if rule.basis == Basis.CONSENT_REQUIRED:
        consent = prospect.consents.filter(source__in=EXPRESS_CONSENT).order_by("-given_at", "-id").first()
        if consent is None:
            return CountryVerdict(
                False, code, rule.basis, "consent_required", f"consent required in {code}: none recorded"
            )
        ok_detail = f"{code}: consent recorded ({consent.get_source_display()}, {consent.given_at:%Y-%m-%d})"
    elif rule.basis == Basis.CONSPICUOUS_PUBLICATION:
        consent = prospect.consents.order_by("-given_at", "-id").first()
        published = "" if consent else address_published_at(prospect)
        if consent:
            ok_detail = f"{code}: consent recorded ({consent.get_source_display()}, {consent.given_at:%Y-%m-%d})"
        elif published:
            ok_detail = f"{code}: address conspicuously published on {published}"
        else:
            return CountryVerdict(
                False,
                code,
                rule.basis,
                "conspicuous_publication",
                f"consent or a conspicuously published address required in {code}: no consent recorded, and the "
                "address was not found published on the hotel's website or job postings",
            )
    requirements = set(rule.footer_requirements or [])
    if Footer.POSTAL_ADDRESS in requirements and not (campaign and campaign.postal_address.strip()):
        which = f"campaign '{campaign}'" if campaign else "an email without a campaign"
        return CountryVerdict(
            False, code, rule.basis, "footer", f"a postal address is required in the footer in {code}: {which} has none"
        )
    return CountryVerdict(True, code, rule.basis, "", ok_detail)


# --- held emails -------------------------------------------------------------------------


def email_hold(email: Email, *, reason: str, detail: str, by=ACTOR, now=None) -> bool:
    """Take a queued email out of the queue (status held) with its reason; False if another worker moved it."""
    now = now or timezone.now()
    with transaction.atomic():
        if not transition_if_allowed(email, "hold", by=by, reason=detail[:500]):
            return False
        SendDecision.objects.create(
            email=email, outcome=SendDecision.Outcome.HELD, reason=reason[:40], detail=detail[:2000], created_at=now
        )
        event_record(
            events.EMAIL_HELD,
            message=f"email {email.pk} held: {detail}",
            data={"email_id": email.pk, "prospect_id": email.prospect_id, "reason": reason},
            trace_id=email.trace_id,
            by=by,
        )
    return True


@dataclass
class ReleaseReport:
    released: int = 0
    still_held: int = 0
    cancelled: int = 0  # the prospect was closed (lost, won) while its email waited

    def __str__(self):
        cancelled = f", {self.cancelled} cancelled (prospect closed)" if self.cancelled else ""
        return f"{self.released} held email(s) released, {self.still_held} still held{cancelled}"


def _cancel_held(email: Email, *, by, now, detail: str) -> None:
    with transaction.atomic():
        # not moved: moved meanwhile, and whoever moved it decided
        if transition_if_allowed(email, "cancel", by=by, reason=detail[:500]):
            SendDecision.objects.create(
                email=email, outcome=SendDecision.Outcome.CANCELLED, reason="closed", detail=detail, created_at=now
            )


def held_emails_release(emails, *, by, now=None) -> ReleaseReport:
    """Check each held email of ``emails`` again; back to the queue when its rule now allows it.

    One that is still not allowed is held again under the current reason (a new held
    decision when the reason changed), which also dates the hold anew for
    ``held_emails_recheck``.
    """
    now = now or timezone.now()
    report = ReleaseReport()
    for email in emails.filter(status=EmailStatus.HELD).select_related("prospect", "campaign"):
        if email.prospect.stage in (ProspectStage.LOST, ProspectStage.WON):
            _cancel_held(email, by=by, now=now, detail=f"the prospect is {email.prospect.stage}")
            report.cancelled += 1
            continue
        verdict = country_rule_check(email.prospect, campaign=email.campaign)
        try:
            with transaction.atomic():
                transition(email, "release_hold", by=by, reason=verdict.detail[:500] if verdict.ok else "checked again")
                if verdict.ok:
                    SendDecision.objects.create(
                        email=email,
                        outcome=SendDecision.Outcome.SKIPPED,
                        reason="released",
                        detail=f"released: {verdict.detail}; back in the queue",
                        created_at=now,
                    )
                    report.released += 1
                    continue
                transition(email, "hold", by=by, reason=verdict.detail[:500])
                last = email.send_decisions.order_by("-created_at", "-id").first()
                if last and (last.outcome, last.reason, last.detail) == ("held", verdict.reason, verdict.detail):
                    SendDecision.objects.filter(pk=last.pk).update(created_at=now)
                else:
                    SendDecision.objects.create(
                        email=email,
                        outcome=SendDecision.Outcome.HELD,
                        reason=verdict.reason[:40],
                        detail=verdict.detail[:2000],
                        created_at=now,
                    )
                report.still_held += 1
        except (AlreadyMoved, TransitionNotAllowed):
            continue  # someone cancelled or released it meanwhile
    if report.released:
        event_record(events.EMAIL_HELD_RELEASED, message=str(report), data={"released": report.released}, by=by)
    return report


def held_emails_recheck(*, by="task:sending", now=None) -> ReleaseReport:
    """The held emails whose reason may have gone: a consent recorded, the prospect edited or
    moved (a lost prospect's held email is cancelled), or its country's rule changed since
    the hold. Cheap when nothing changed: one query."""
    held_since = OuterRef("status_changed_at")
    newer_consent = Consent.objects.filter(prospect=OuterRef("prospect_id"), recorded_at__gt=held_since)
    rule_changed = CountryRule.objects.filter(country=OuterRef("prospect__country"), updated_at__gt=held_since)
    candidates = Email.objects.filter(status=EmailStatus.HELD).filter(
        Exists(newer_consent)
        | Exists(rule_changed)
        | Q(prospect__updated_at__gt=F("status_changed_at"))
        | Q(prospect__stage_changed_at__gt=F("status_changed_at"))
    )
    return held_emails_release(candidates, by=by, now=now)


def consent_record_and_release(
    *, prospect: Prospect, source: str, evidence: str, by, given_at: datetime.datetime | None = None
) -> tuple[Consent, ReleaseReport]:
    """Record a consent (prospects.provenance) and send the prospect's held emails back to the queue."""
    from prospects.provenance import consent_record

    with transaction.atomic():
        consent = consent_record(prospect=prospect, source=source, evidence=evidence, by=by, given_at=given_at)
        report = held_emails_release(Email.objects.filter(prospect=prospect), by=by)
    return consent, report


def country_rule_save(*, rule: CountryRule, by) -> ReleaseReport:
    """Save an edited country rule; the held emails of its country are checked against it at once."""
    rule.full_clean()
    rule.updated_by = actor_label(by)[:150]
    with transaction.atomic():
        rule.save()
        event_record(
            events.COUNTRY_RULE_SAVED,
            message=f"{rule.country}: {rule.basis}; footer {', '.join(rule.footer_requirements) or 'none'}",
            data={"country": str(rule.country), "basis": rule.basis, "footer": rule.footer_requirements},
            by=by,
        )
        report = held_emails_release(Email.objects.filter(prospect__country=str(rule.country)), by=by)
    return report


def country_rule_delete(*, rule: CountryRule, by) -> ReleaseReport:
    """Remove a country's rule (it falls back to legitimate interest); its held emails are checked again."""
    country = str(rule.country)
    with transaction.atomic():
        rule.delete()
        event_record(
            events.COUNTRY_RULE_DELETED, message=f"{country}: back to the default", data={"country": country}, by=by
        )
        report = held_emails_release(Email.objects.filter(prospect__country=country), by=by)
    return report


# --- the privacy line --------------------------------------------------------------------


def privacy_notice_url(campaign: Campaign | None) -> str:
    """The campaign's own notice, or this instance's notice page for it."""
    if campaign and campaign.privacy_notice_url:
        return campaign.privacy_notice_url
    path = reverse("privacy_notice_campaign", args=[campaign.pk]) if campaign else reverse("privacy_notice")
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _host_and_path(url: str, *, with_path: bool = True) -> str:
    """'https://www.hotel-x.example/en/contact?x=1' → 'hotel-x.example/en/contact' (at most 60 characters)."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return ""
    path = parts.path.rstrip("/") if with_path else ""
    shown = f"{host}{path}"
    return shown if len(shown) <= 60 else host


def data_source_phrase(prospect: Prospect) -> str:
    """Where we found the address, in one short sentence for the recipient."""
    from outreach.composition.context import referral_note_of

    kind, detail = prospect.data_source_kind, prospect.data_source_detail or ""
    if kind == DataSourceKind.WEBSITE:
        # only the hotel's own site is named: a detail an API client wrote is not copied into mail
        where = _host_and_path(detail or prospect.company_website)
        hotel = prospect.website_domain
        if not (hotel and (where.split("/")[0] == hotel or where.split("/")[0].endswith(f".{hotel}"))):
            where = ""
        return f"We found your details on {where}." if where else "We found your details on your hotel's website."
    if kind == DataSourceKind.JOB_POSTING:
        host = _host_and_path(detail, with_path=False)
        board = next((name for suffix, name in JOB_BOARDS if host == suffix or host.endswith(f".{suffix}")), "")
        return (
            f"We came across your hotel in a job advert on {board}."
            if board
            else ("We came across your hotel in a job advert.")
        )
    if kind == DataSourceKind.IMPORT:
        if prospect.linkedin_url or prospect.source == LeadSource.SALES_NAVIGATOR:
            return "Your details came from a LinkedIn Sales Navigator export."
        return "Your details came from a business contact list we imported."
    if kind == DataSourceKind.EMAIL_FINDER:
        return "We found your address with an email finder service (Hunter)."
    if kind == DataSourceKind.REFERRAL:
        note = referral_note_of(prospect.referred_by)
        return f"{note}." if note else "A colleague of yours suggested we contact you."
    return "Ask us and we will tell you where we found your address."


def privacy_line(email: Email) -> str:
    """The first email's GDPR Art. 14 line ('' when none is due; see the module docstring)."""
    campaign = email.campaign
    if campaign is None or email.type != Email.Type.OUTREACH or email.sequence_step != 1:
        return ""
    rule = country_rule_for(_country_code(email.prospect))
    if not (campaign.privacy_line_enabled or Footer.PRIVACY_LINE in (rule.footer_requirements or [])):
        return ""
    who = (campaign.privacy_identity or campaign.sender_name).strip()
    return (
        f"{who} sent you this email. {data_source_phrase(email.prospect)} "
        # the URL on a line of its own, so quoted-printable never breaks it on the wire
        f"How we use your details, and how to object or have them erased:\n{privacy_notice_url(campaign)}"
    )


# --- what the rules hold back ----------------------------------------------------------------


@dataclass
class HeldBack:
    country: str
    country_name: str
    basis: str
    basis_label: str
    waiting_prospects: int  # not yet emailed, no recorded consent
    held_emails: int


def held_back_by_rule(*, campaign: Campaign | None = None) -> list[HeldBack]:
    """Per restrictive rule (and for prospects of unknown country): what it holds back now."""
    rules = list(CountryRule.objects.exclude(basis=Basis.LEGITIMATE_INTEREST).values_list("country", "basis"))
    basis_of = dict(rules)
    held = Email.objects.filter(status=EmailStatus.HELD)
    if campaign is not None:
        held = held.filter(campaign=campaign)
    held_per_country = dict(held.values_list("prospect__country").annotate(n=Count("id")).order_by())
    waiting = dict(
        Prospect.objects.filter(
            country__in=list(basis_of), stage__in=NOT_YET_EMAILED, email_sent_count=0, erased_at__isnull=True
        )
        .exclude(Exists(Consent.objects.filter(prospect=OuterRef("pk"))))
        .values_list("country")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = dict(Basis.choices)
    rows = []
    for code in sorted(set(basis_of) | {c for c in held_per_country if c}):
        basis = basis_of.get(code, Basis.LEGITIMATE_INTEREST)
        count_waiting, count_held = waiting.get(code, 0), held_per_country.get(code, 0)
        if count_waiting or count_held:
            rows.append(HeldBack(code, countries.name(code) or code, basis, labels[basis], count_waiting, count_held))
    if held_per_country.get(""):
        rows.append(HeldBack("", "Unknown country", "", "country unknown", 0, held_per_country[""]))
    return rows
