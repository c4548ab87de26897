"""Stages two and three: enrichment (website, email, analysis) and research.

Each stage claims its prospect with a transition (new → enriching, enriched →
researching); a failed claim makes a duplicate task a no-op, and a failed attempt gives
the claim back (infra.stages). The stages keep going on partial data: a hotel without a
findable website or email still moves on, with enrichment_status saying what is
missing. An outage of the search service or of the email verifier is an error the
runtime retries (three retries after the first attempt, then the dead letters): finishing
without an address would leave a `ready` prospect nothing writes to or enriches again.
The research stage searches with ``prospects.providers.registry.research_search()``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from infra.events import event_record
from infra.stages import STAGES, Claim, Stage, register_stage, stage_enqueue
from infra.statemachine import transition
from prospects import events
from prospects.models import (
    DataSourceKind,
    EnrichmentStatus,
    PossibleDuplicate,
    Prospect,
    ProspectStage,
    ResearchReport,
)
from prospects.provenance import data_source_fields
from prospects.selectors import prospect_holding_email, prospect_holding_website

logger = logging.getLogger(__name__)

# what each finding is worth in enrichment_score (0–1)
SCORE_WEIGHTS = {"website": 0.3, "email": 0.4, "analysis": 0.2, "timezone": 0.1}


def _email_weight(finding) -> float:
    if finding is None or not finding.email:
        return 0.0
    if finding.generic:
        return 0.25  # info@ reaches the hotel, not the person we write to
    if finding.verified:
        return 1.0
    if finding.catch_all:
        return 0.5
    return 0.25  # a guess or a generic role address


TEAM_LINK_WORDS = (
    "team",
    "about",
    "contact",
    "management",
    "ueber-uns",
    "uber-uns",
    "kontakt",
    "equipe",
    "équipe",
    "qui-sommes",
    "equipo",
    "nosotros",
    "chi-siamo",
    "contatti",
    "sobre",
    "over-ons",
)


def team_page_url(html: str, base_url: str) -> str:
    """The link on a hotel's home page most likely to name its general manager."""
    from urllib.parse import urljoin, urlsplit

    from selectolax.lexbor import LexborHTMLParser

    if not html:
        return ""
    host = urlsplit(base_url).hostname
    best = ""
    for anchor in LexborHTMLParser(html).css("a[href]"):
        href = anchor.attributes.get("href") or ""
        text = f"{href} {anchor.text(strip=True)}".lower()
        target = urljoin(base_url, href)
        if urlsplit(target).hostname != host:
            continue
        if any(word in text for word in TEAM_LINK_WORDS[:1]):  # an explicit "team" page beats the rest
            return target
        if not best and any(word in text for word in TEAM_LINK_WORDS):
            best = target
    return best


def run_enrichment(prospect_id: int, *, trace_id=None) -> str:
    from prospects.analysis import analyze_website
    from prospects.emails import find_email, names_from_team_page
    from prospects.website import fetch_website, find_website, page_html

    prospect = Prospect.objects.get(pk=prospect_id)
    transition(prospect, "start_enrichment", by="task:enrichment")
    notes = []

    website, html = prospect.company_website, ""
    if not website:
        finding = find_website(company=prospect.company_name, city=prospect.city)  # outage → retry
        website = finding.url or ""
        notes.append(f"website: {finding.reason}")
    if website:
        page = fetch_website(website)
        html = page_html(page) if page else ""
        if page is None:
            notes.append("website did not answer")

    email_finding = None
    if prospect.email:
        notes.append("email: already known")
    elif website:
        from prospects.dedup import website_domain

        team_html = html
        team_url = team_page_url(html, website)
        if not prospect.name and team_url:
            team_page = fetch_website(team_url)
            team_html = page_html(team_page) if team_page else html
        name = prospect.name or next(iter(n for n, _ in names_from_team_page(team_html)), "")
        # a verifier outage → retry (then the dead letters), as a search outage does: finishing
        # without an address would leave a `ready` prospect nothing writes to or enriches again
        email_finding = find_email(name=name, domain=website_domain(website), team_page_html=team_html)
        if email_finding and not prospect.name and name:
            prospect.name = name

    analysis = (
        analyze_website(html, url=website, country_hint=prospect.country.code if prospect.country else "")
        if html
        else {}
    )

    found = {
        "website": 1.0 if website else 0.0,
        "email": _email_weight(email_finding) if email_finding else (1.0 if prospect.email else 0.0),
        "analysis": 1.0 if analysis and not analysis.get("errors") else (0.5 if analysis else 0.0),
        "timezone": 1.0 if prospect.timezone else 0.0,
    }
    score = round(sum(SCORE_WEIGHTS[k] * v for k, v in found.items()), 3)
    if found["website"] and found["email"] >= 1.0:
        status = EnrichmentStatus.COMPLETED
    elif any(found.values()):
        status = EnrichmentStatus.PARTIAL
    else:
        status = EnrichmentStatus.FAILED

    with transaction.atomic():
        twin = prospect_holding_website(prospect=prospect, website=website)
        if twin:  # the site says it is one hotel: a human decides whether to merge
            notes.append(f"website {website} already belongs to prospect #{twin.pk}: flagged as a possible duplicate")
            first, second = sorted([twin, prospect], key=lambda p: p.pk)
            PossibleDuplicate.objects.get_or_create(prospect=first, other=second, defaults={"score": 100.0})
        else:
            prospect.company_website = website
        holder = prospect_holding_email(prospect=prospect, email=email_finding.email if email_finding else "")
        if holder:  # e.g. two contacts at one hotel both landing on info@: the first keeps it
            notes.append(f"email {email_finding.email} already belongs to prospect #{holder.pk}")
        elif email_finding and email_finding.email:
            prospect.email = email_finding.email
            prospect.email_verified = bool(email_finding.verified)
            prospect.email_verification_score = email_finding.score
            if prospect.data_source_kind in ("", DataSourceKind.JOB_POSTING):
                # where the person's details came from, for the first email's privacy line: the
                # hotel's page that named them (the address follows the domain's pattern), or Hunter
                hunter = email_finding.source == "hunter"
                source = data_source_fields(
                    DataSourceKind.EMAIL_FINDER if hunter else DataSourceKind.WEBSITE,
                    "Hunter (hunter.io)" if hunter else team_url or website,
                )
                for name, value in source.items():
                    setattr(prospect, name, value)
        if analysis:
            prospect.website_analysis = analysis
            phones = analysis.get("contact", {}).get("phones") or []
            if phones and not prospect.phone:
                prospect.phone = phones[0][:40]
        prospect.enrichment_status = status
        prospect.enrichment_score = score
        prospect.save()
        transition(prospect, "finish_enrichment", by="task:enrichment", reason=f"{status}, score {score}")
        event_record(
            events.ENRICHMENT_DONE,
            message=f"{status} ({score}): " + "; ".join(notes),
            data={"score": score, "found": found, "credits": getattr(email_finding, "credits_used", 0)},
        )
        stage_enqueue("research", subject_id=prospect.pk, trace_id=prospect.trace_id)
    return f"{status} {score}"


def run_research(prospect_id: int, *, trace_id=None) -> str:
    from prospects.providers.registry import research_search
    from prospects.research import research_prospect

    prospect = Prospect.objects.get(pk=prospect_id)
    transition(prospect, "start_research", by="task:research")
    findings = research_prospect(
        company=prospect.company_name,
        city=prospect.city,
        country=prospect.country.code if prospect.country else "",
        website=prospect.company_website,
        website_analysis=prospect.website_analysis or None,
        search=research_search(),
    )
    with transaction.atomic():
        report = ResearchReport.objects.create(
            prospect=prospect,
            summary=findings.summary,
            news=findings.news,
            competitors=findings.competitors,
            pain_signals=findings.pain_signals,
            social_presence=findings.social_presence,
            sources=findings.sources,
            provider=findings.provider,
        )
        prospect.research_report = {
            "report_id": report.pk,
            "summary": findings.summary,
            "news": [n.get("title", "") for n in findings.news][:3],
            "competitors": [c.get("name", "") for c in findings.competitors][:5],
            "researched_at": timezone.now().isoformat(),
        }
        prospect.pain_signals = [p.get("label") or p.get("key") for p in findings.pain_signals]
        prospect.competitor_tools = findings.competitor_tools
        prospect.save()
        transition(prospect, "finish_research", by="task:research")
        event_record(events.RESEARCH_DONE, message=findings.summary[:200], data={"pains": len(findings.pain_signals)})
        if "composition" in STAGES:
            stage_enqueue("composition", subject_id=prospect.pk, trace_id=prospect.trace_id)
    return f"{len(findings.pain_signals)} pain signals"


ENRICHMENT = register_stage(
    Stage(
        name="enrichment",
        func="prospects.pipeline.run_enrichment",
        queue="enrichment",
        timeout=180,
        claim=Claim("prospects.Prospect", ProspectStage.ENRICHING, release="release_enrichment"),
    )
)
RESEARCH = register_stage(
    Stage(
        name="research",
        func="prospects.pipeline.run_research",
        queue="research",
        timeout=180,
        claim=Claim("prospects.Prospect", ProspectStage.RESEARCHING, release="release_research"),
    )
)
