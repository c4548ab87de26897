"""What the demo's rows say: website analyses, job adverts, research, our emails and the replies.

Contract: pure drafting from the dice's current stream and the catalogue; each function
returns text or an unsaved row and writes nothing to the database. The shapes are the
product's: ``website_analysis`` is what ``prospects.analysis.analyze_website`` produces
(schema_version 1), a research report what the research stage stores. Email bodies carry
no footer: the sender adds the one real footer (postal address, unsubscribe link) when
it sends, and the emails still queued at the end are rewritten by the product's
composer (``batch.compose_queued``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote_plus

from django_countries import countries

from jengu.demo.catalogue import (
    BOOKING_ENGINES,
    BRANDS,
    COUNTRY_BY_CODE,
    DELEGATE_TITLES,
    GUEST_TOOLS,
    JOB_SNIPPETS,
    JOB_TITLES,
    MEETING_SLOTS,
    NEWS,
    NOT_INTERESTED,
    OUT_OF_OFFICE,
    PAIN_SIGNALS,
    REPLY_BODIES,
    City,
    Country,
)
from jengu.demo.dice import DAY, MINUTE, Dice
from jengu.demo.hotels import Context, Hotels, Taken
from outreach.composition.context import phrasings
from outreach.models import Campaign, Email
from prospects.models import CompanyType, JobPosting, Prospect, ResearchReport
from replies.models import Intent


def website_analysis(dice: Dice, p: Prospect, ctx: Context) -> dict:
    rng = dice.rng
    engine = rng.choice(BOOKING_ENGINES)
    chat = rng.random() < 0.3
    return {
        "schema_version": 1,
        "url": p.company_website,
        "contact": {"phones": [], "address": "", "social": {}, "emails": []},
        "technology": {
            "cms": [rng.choice(["WordPress", "Wix", "TYPO3", "Squarespace"])],
            "booking_engine": [engine] if engine else [],
            "chat": ["Tidio"] if chat else [],
            "pms_hints": [ctx.pms],
            "analytics": ["Google Tag Manager"],
            "signatures": [],
            "gaps": [g for g, missing in (("no_booking_engine", not engine), ("no_chat", not chat)) if missing],
        },
        "content": {
            "value_propositions": [],
            "languages": sorted({"en", ctx.lang}),
            "amenities": ["wifi", "breakfast"],
            "room_count": ctx.rooms,
        },
        "design": {
            "mobile_viewport": rng.random() < 0.8,
            "page_weight_bytes": rng.randint(40_000, 900_000),
            "image_count": rng.randint(5, 60),
            "images_missing_alt": rng.randint(0, 10),
        },
        "seo": {"title": p.company_name, "meta_description": "", "structured_data_types": []},
        "errors": [],
        "online_check_in": rng.random() < 0.15,
    }


def _posting_url(dice: Dice, source: str, job: str, p: Prospect, city: City) -> str:
    rng = dice.rng
    if source == JobPosting.Source.LINKEDIN:
        return f"https://www.linkedin.com/jobs/view/{rng.randint(3_900_000_000, 4_100_000_000)}/"
    if source == JobPosting.Source.INDEED:
        return f"https://www.indeed.com/viewjob?jk={rng.getrandbits(64):016x}"
    query = quote_plus(f"{job} {p.company_name} {city.name}")
    return f"https://www.google.com/search?q={query}&ibp=htl;jobs&htidocid={rng.getrandbits(48):012x}"


def job_posting(
    dice: Dice, taken: Taken, p: Prospect, ctx: Context, country: Country, city: City, *, first: bool
) -> JobPosting:
    """One job advert that made us find the hotel (the first one is the job the emails mention)."""
    source = dice.weighted(
        [(JobPosting.Source.LINKEDIN, 45), (JobPosting.Source.INDEED, 35), (JobPosting.Source.GOOGLE_JOBS, 20)]
    )
    job = ctx.job if first else dice.rng.choice(JOB_TITLES[country.lang])
    found = p.created_at - dice.secs(MINUTE, 30 * MINUTE)
    for _ in range(20):  # an advert is recorded once per source and address
        url = _posting_url(dice, source, job, p, city)
        if (source, url) not in taken.postings:
            break
    taken.postings.add((source, url))
    return JobPosting(
        prospect=p,
        source=source,
        title=job,
        company_name=p.company_name,
        location=", ".join(part for part in (city.name, city.region or countries.name(country.code)) if part),
        url=url,
        posted_at=(found - dice.secs(0, 10 * DAY)).date(),
        snippet=JOB_SNIPPETS[country.lang].format(hotel=p.company_name, job=job, pms=ctx.pms),
        found_at=found,
    )


def research_report(dice: Dice, p: Prospect, ctx: Context, at: dt.datetime) -> ResearchReport:
    """The research stage's report on the hotel; also fills the prospect's research fields."""
    rng = dice.rng
    pains = [ctx.pain, *rng.sample([s for s in PAIN_SIGNALS if s != ctx.pain], rng.randint(0, 2))]
    rating = round(rng.uniform(3.4, 4.8), 1)
    reviews = rng.randint(120, 4800)
    nearby = [b for b in BRANDS if p.country.code in b[3].split()]
    competitors = [
        pattern.format(city=p.city, area=rng.choice(COUNTRY_BY_CODE[p.country.code].areas))
        for pattern, *_ in rng.sample(nearby, min(2, len(nearby)))
    ]
    kind = "independent hotel" if p.company_type == CompanyType.INDEPENDENT else "hotel"
    check_in = "online check-in" if p.website_analysis.get("online_check_in") else "no online check-in"
    summary = (
        f"{p.company_name} is a {ctx.rooms}-room {p.market_tier} {kind} in {p.city}. "
        f"Tripadvisor reviews ({rating}/5 from {reviews}) mention {' and '.join(pains[:2])}. "
        f"It is hiring for the front office ({ctx.job}). Front office runs on {ctx.pms}; "
        f"the website offers {check_in}."
    )
    news_date = (at - dice.secs(5 * DAY, 200 * DAY)).date().isoformat()
    news = [
        {
            "title": rng.choice(NEWS).format(hotel=p.company_name, city=p.city, n=rng.randint(20, 120)),
            "date": news_date,
        }
    ]
    tools = rng.sample(GUEST_TOOLS, dice.weighted([(0, 6), (1, 3), (2, 1)]))
    provider = dice.weighted([("sandbox", 6), ("grok", 3), ("claude", 1)])
    p.pain_signals = pains
    p.competitor_tools = tools
    p.research_report = {"summary": summary, "pain_signals": pains, "provider": provider, "at": at.isoformat()}
    search = p.company_name.replace(" ", "+")
    return ResearchReport(
        prospect=p,
        summary=summary,
        news=news,
        competitors=competitors,
        pain_signals=pains,
        social_presence={
            "tripadvisor_rating": rating,
            "tripadvisor_reviews": reviews,
            "google_rating": round(min(5.0, rating + rng.uniform(-0.2, 0.3)), 1),
            "instagram_followers": rng.randint(300, 25000),
        },
        sources=[
            p.company_website,
            f"https://www.tripadvisor.com/Search?q={search}",
            f"https://www.google.com/maps/search/{search}+{p.city.replace(' ', '+')}",
        ],
        provider=provider,
        created_at=at,
    )


def our_answer(dice: Dice, ctx: Context, sender: str) -> tuple[str, str]:
    """Subject and body of our answer to an interested reply."""
    rng = dice.rng
    price = ctx.rooms * rng.choice([2, 3, 4]) * (80 if ctx.currency == "₹" else 1)
    money = f"{ctx.currency} {price:,}" if ctx.currency.isalpha() else f"{ctx.currency}{price:,}"
    body = (
        f"Hi {ctx.first},\n\nThanks for coming back to me. In short: it connects to {ctx.pms} in a day, "
        f"guests check in on their phone before arrival, and the desk sees who is arriving when. Pricing "
        f"is per room, so a {ctx.rooms}-room hotel pays about {money} a month.\n\n"
        f"Would {rng.choice(MEETING_SLOTS)} suit you for a 20-minute call?\n\n{sender}"
    )
    return f"Re: {ctx.subject}", body


def first_email(dice: Dice, ctx: Context, p: Prospect, campaign: Campaign, case: str) -> tuple[str, str]:
    """Subject and body of the first email; remembers the subject for the follow-ups."""
    pitch = dice.rng.choice(phrasings(campaign.product_pitch))  # the campaign writes its pitch several ways
    subjects = [
        f"Your {ctx.job} opening",
        f"Quicker check-ins at {p.company_name}?",
        f"{ctx.first}, a question about check-in at {p.company_name}",
        f"Idea for {p.company_name}'s front office",
    ]
    # the form gate's limit is 60 characters, follow-ups' "Re: " included
    subject = dice.rng.choice([s for s in subjects if len(s) <= 56] or [min(subjects, key=len)])
    ctx.subject = subject
    body = (
        f"Hi {ctx.first},\n\nI saw that {p.company_name} is hiring ({ctx.job}). Reviews mention "
        f"{ctx.pain}, which usually means the desk is stretched.\n\n{pitch}\n\n{case}\n\n"
        f"{campaign.call_to_action}\n\n{campaign.signature}"
    )
    return subject, body


def follow_up(ctx: Context, p: Prospect, campaign: Campaign, step: int, case: str, sender: str) -> tuple[str, str]:
    """Subject and body of follow-up ``step`` (2, 3, then the break-up email)."""
    if step == 2:
        return f"Re: {ctx.subject}", (
            f"Hi {ctx.first},\n\nBringing this back to the top of your inbox: would a two-minute video of "
            f"check-in at a hotel like {p.company_name} help?\n\n{sender}"
        )
    if step == 3:
        return f"Re: {ctx.subject}", (
            f"Hi {ctx.first},\n\nA different angle: most questions guests send before arrival (parking, "
            f"breakfast, late check-in) can be answered automatically, in their language. {case}\n\n"
            f"{campaign.call_to_action}\n\n{sender}"
        )
    return f"Closing the loop, {ctx.first}", (
        f"Hi {ctx.first},\n\nI haven't heard back, so I'll assume the timing isn't right and won't write "
        f"again. If {ctx.pain} becomes a priority, just reply to this email.\n\nAll the best,\n{sender}"
    )


@dataclass
class ReplyText:
    subject: str
    body: str
    questions: list[str]
    delegate: tuple[str, str, str] = ("", "", "")  # name, title, address
    preference: str = ""  # when a meeting suits them


def out_of_office(dice: Dice, ctx: Context, p: Prospect, email: Email, at: dt.datetime) -> ReplyText:
    prefix, text = OUT_OF_OFFICE.get(ctx.lang, OUT_OF_OFFICE["en"])
    back = (at + dice.secs(3 * DAY, 14 * DAY)).date()
    body = text.format(
        back=back.strftime("%d %B %Y") if ctx.lang == "en" else back.strftime("%d.%m.%Y"),
        desk=f"reception@{ctx.domain}",
        full=p.name,
        title=p.title,
        hotel=p.company_name,
    )
    return ReplyText(prefix + email.subject, body, [])


def reply_text(
    dice: Dice, hotels: Hotels, *, intent: str, variant: int, ctx: Context, p: Prospect, email: Email, sender: str
) -> ReplyText:
    """What the prospect wrote back, for a reply that is not an out-of-office."""
    subject = email.subject if email.subject.startswith("Re: ") else f"Re: {email.subject}"
    if intent == Intent.NOT_INTERESTED:
        return ReplyText(subject, NOT_INTERESTED[variant][1].format(sender=sender, first=ctx.first), [])
    rng = dice.rng
    delegate, preference = ("", "", ""), ""
    if intent == Intent.DELEGATED:
        first, last, _, _ = hotels.person(COUNTRY_BY_CODE[p.country.code])
        delegate = (f"{first} {last}", rng.choice(DELEGATE_TITLES), hotels.address(first, last, ctx.domain))
    if intent == Intent.MEETING_REQUEST:
        preference = rng.choice(MEETING_SLOTS)
    template, asks = rng.choice(REPLY_BODIES[intent])
    values = {
        "sender": sender,
        "first": ctx.first,
        "pms": ctx.pms,
        "rooms": ctx.rooms,
        "country": countries.name(p.country.code),
        "dname": delegate[0],
        "dtitle": delegate[1],
        "demail": delegate[2],
        "pref": preference[:1].upper() + preference[1:],
    }
    return ReplyText(subject, template.format(**values), [q.format(**values) for q in asks], delegate, preference)
