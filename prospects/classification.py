"""Is a job posting's employer a hotel we can sell to, and in which market tier?

``classify_posting(posting)`` asks the AI gateway (Grok → Claude) and falls back to
``classify_posting_rules(posting)``, a deterministic classifier that needs no network.
Both answer a ``PostingClassification``: the posting's text travels as fenced data
(``infra.ai``), and the schema's enums are all an answer can say.
``classify_postings(postings)`` does the same for a page of postings in one AI call per
``BATCH_SIZE``: each posting is its own data block (``posting_0``, ``posting_1``…), the
answer is a list keyed by block number, and any posting the answer leaves out (or
numbers twice) gets the rules' answer on its own.

What counts as hospitality here — an employer that operates lodging, or runs hotels:

* yes: hotels, resorts, inns, lodges, motels, hostels, B&Bs, guesthouses, ryokans,
  pousadas, paradores, agriturismi, serviced apartments; hotel chains, brands and hotel
  management companies, including their head offices; restaurants, bars and spas
  *inside* a hotel;
* no: hospitals, hospices and care homes (whatever the job title says), restaurants and
  bars without rooms, airlines, cruise lines (a ship's "hotel director" is crew, and
  there is no GM ashore to write to), staffing and recruitment agencies (the hotel is
  their client, and unnamed), software vendors, OTAs, bedbanks and booking apps that
  sell *to* hotels, suppliers and contractors, schools of hospitality, and companies
  that merely have "hotel" in their name (Hotel Chocolat, The Hotel Collection).

The rules score evidence (``HOSPITALITY_THRESHOLD``): lodging words and hotel brands in
the company name weigh most, then the job title, then the snippet; hotel-only roles
(night auditor, room attendant) and hotel operations ("check-in", "120 rooms") corroborate;
healthcare, public-office, school, travel, software, staffing, retail and "we serve
hotels" language counts against. Brand names that are also ordinary words or other
businesses (Four Seasons, Hilton, Fairmont, Raffles…) only count half unless they are
followed by a city ("Fairmont Banff Springs") or the posting shows lodging.

Market tier, first answer wins: a property brand in the company or title (brand table
``data/hotel_brands.csv``, chain scales as the brands position them) → a group's tier
(empty for multi-brand groups: their head office has no single tier) → a star rating
("5-Sterne", "4 estrellas") → a brand named in the snippet → words ("luxury", "boutique",
"budget hotel") → the kind of lodging (hostels, hostales and unbranded motels → budget) →
midscale, the modal segment, for an unbranded hotel that says nothing about itself.

Company type: a chain or management company with head-office signals (headquarters,
corporate, regional office, franchise development, contact centre) → chain_hq; a branded
property → franchise; anything else → independent.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from infra.ai import complete_json
from infra.text import fold
from prospects.extraction import known_city
from prospects.providers.base import PostingFound

DATA = Path(__file__).resolve().parent / "data"

MarketTierValue = Literal["luxury", "upscale", "midscale", "economy", "budget"]  # prospects.models.MarketTier
CompanyTypeValue = Literal["chain_hq", "franchise", "independent"]  # prospects.models.CompanyType

HOSPITALITY_THRESHOLD = 3.0
SNIPPET_LIMIT = 2000  # characters of snippet sent to the AI: enough to judge, bounded cost
# postings per AI call: a job board's page (25 on the busiest) is one call, and the answer
# (about 40 tokens a posting) stays far below any output limit
BATCH_SIZE = 25


class PostingClassification(BaseModel):
    """What we conclude about a posting's employer (the AI's answer schema, too)."""

    is_hospitality: bool = Field(description="the employer operates lodging or runs hotels")
    market_tier: MarketTierValue | None = Field(description="chain scale of the property; null if not a hotel")
    company_type: CompanyTypeValue = Field(description="chain head office, branded property, or independent")
    confidence: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _no_tier_without_a_hotel(self):
        # an answer saying "not a hotel, but luxury" is normalised, not rejected
        if not self.is_hospitality:
            self.market_tier = None
        return self


# --- text -------------------------------------------------------------------------------

# typographic punctuation as people type it on a keyboard; letters are infra.text.fold's
_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-"})


def _fold(text: str) -> str:
    return " ".join(fold((text or "").translate(_PUNCTUATION)).split())


def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# "Hôtel" that is not a hotel: French public buildings and a Paris hospital
NOT_A_HOTEL = _words(
    r"hotel[- ]de[- ]ville",
    r"hotel des (?:impots|ventes|postes|finances)",
    r"hotel de (?:region|police|la monnaie)",
    r"hotel du departement",
    r"hotel[- ]dieu",
)
LODGING = re.compile(
    # hotel, Strandhotel, Landhotel, aparthotel — any word ending in "hotel(s)"
    r"hotels?\b|"
    + _words(
        r"hotell(?:et|i|s)?",
        r"hoteles|hoteis",
        r"hostels?",
        r"motels?",
        r"albergo|alberghi",
        r"pousadas?",
        r"paradore?s?",
        r"ryokan|minshuku",
        r"hostal(?:es)?",
        r"guest ?houses?",
        r"b ?& ?bs?",
        r"bed (?:and|&) breakfasts?",
        r"(?:land)?gasthof|gasthaus",
        r"agriturismo|pensione|locanda|posada|riad",
        r"serviced apartments?",
        r"chambres? d'hotes",
    ).pattern
)
LODGING_WEAKER = _words(
    r"inns?",
    r"lodges?",
    r"(?<!last )resorts?(?! (?:wear|collection|fashion|season|line)\b)",
    r"auberge|masseria",
    r"holiday (?:park|village)s?",
    r"glamping",
)
PENSION = re.compile(r"\b\w*pension\b(?! (?:fund|scheme|plan|trust|insurance|benefit))")
HOTEL_TRADE = _words(
    r"hotel(?:lerie|ier|iere|iers|ieres|ero|era|eros|eria|aria|eiro|fach\w*|kauf\w*)",
    r"alberghier[oai]",
)

ROLE_HOTEL_ONLY = _words(
    r"night audit\w*",
    r"room attendants?",
    r"chambermaids?",
    r"bell ?(?:man|men|boy|hop|person|attendant|captain|staff)s?",
    r"front office",
    r"director of rooms",
    r"rooms division",
    r"executive housekeeper",
    r"guest service agents?",
    r"innkeeper",
    r"night (?:porter|manager)",
    r"houseman",
    r"femme de chambre|valet de chambre",
    r"camarer[oa]s? de pisos",
    r"camerier[ea] ai piani",
    r"gobernanta|governante",
    r"empregad[oa] de andares",
    r"zimmermadchen|nachtportier",
    r"rezeptionist\w*|empfangschef",
    r"chef de reception|jefe de recepcion",
)
ROLE_HOTEL_LIKE = _words(
    r"front desk",
    r"reception\w*",
    r"recepcionista|rececionista|receptiemedewerker",
    r"ricevimento|rezeption|empfang\w*",
    r"concierge",
    r"housekeep\w*",
    r"reservations?",
    r"revenue",
    r"general manager",
    r"guest (?:relations|services?|experience)",
    r"doorman|porter|portier|butler",
    r"banquet\w*",
    r"food (?:and|&) beverage|f ?& ?b",
    r"sommelier|chef de rang|room service|in-room dining",
    r"spa (?:therapist|receptionist|manager|attendant)",
)
HOTEL_OPERATIONS = _words(
    r"check-?ins?",
    r"check-?outs?",
    r"guest ?rooms?",
    r"rooms and suites",
    r"\d+[- ](?:rooms?|keys|suites|bedrooms|zimmern?|habitaciones|camere|quartos|chambres)",
    r"all-suite",
    r"in-house guests",
    r"overnight guests?",
    r"arrivals",
    r"room nights?",
    r"occupancy|revpar",
    r"night audit",
    r"turndown",
    r"housekeeping",
    r"front (?:desk|office)",
    r"reception|rezeption|recepcion|recepção|recepcao",
    r"huespedes|hospedes|gaste|ospiti",
    r"en-?suite|bedrooms",
    r"lobby",
    r"stays?",
)
GUESTS = _words(r"guests?")

HEALTHCARE = _words(
    r"hospitals?|hospice|hospitalization|hospitalizacion|hospitalisation",
    r"clinics?|clinical|clinique|clinica|klinik\w*|krankenhaus|hopital|ospedale",
    r"medical|medicine|medecine|healthcare|health ?care|health system|nhs|dental|dentist",
    r"patients?|pacientes?|pazienti|patient(?:en|innen)",
    r"nurs(?:e|es|ing)|infirmier\w*|enfermer\w*|krankenpfleg\w*|pflegefach\w*|pflegekr(?:a|ae)ft\w*|altenpfleg\w*",
    r"care home|senior living|assisted living|retirement (?:home|community|village)|memory care",
    r"rehabilitation|skilled nursing",
)
HEALTH_COMPANY = re.compile(r"\bhealth\b(?! (?:club|spa))")
PUBLIC_OFFICE = _words(
    r"embassy(?! suites)", r"consulate", r"city hall|town hall|mairie|ville de", r"municipal\w*", r"government"
)
EDUCATION = _words(
    r"universit\w+|college|school|ecole|escuela|scuola|schule|academy|institute",
    r"lecturer|professor|professeur|teacher|instructor|faculty",
    r"students?|etudiants?|undergraduates?",
)
TRAVEL = _words(
    r"airlines?|airways|air lines|aviation|cabin crew|flight attendants?|flights?|fares|load factors?",
    r"route network|aircraft|fleet",
    r"cruises?|cruise lines?|ships?|on board|onboard|aboard|staterooms?|vessels?|at sea",
    r"rent-a-car|car rental|tour operator|pauschalreise\w*|travel agency|airport lounge",
)
TECH_COMPANY = _words(r"software|technolog\w*|tech|labs|systems|solutions|analytics|digital|saas|cloud|apps?")
TECH_TEXT = _words(
    r"software|saas|platform|mobile app|app|b2b|startup|engineers?|developers?|data pipelines",
    r"bedbank|price comparison|search product|channel manager|booking platform|point-of-sale",
    r"our (?:\w+ ){0,2}(?:pms|platform|software|app|product|solution|system)",
)
TECH_TITLE = _words(
    r"engineer|developer|software|product (?:manager|designer)|data (?:scientist|analyst|engineer)",
    r"account executive|customer success|implementation (?:consultant|manager|specialist)",
    r"business development representative|sales development|inside sales|sales representative",
    r"designer",
)
SELLS_TO_HOTELS = _words(
    # "sell to hotels", "for independent hotels" — but not "welcome guests to our hotels"
    r"(?:for|to|help|helps|helping|onboard|onboards|serve|serves|serving|supply|supplies|deliver\w*|sell\w*)"
    r" (?:(?!our\b|the\b|this\b)[\w,]+ ){0,3}hotels",
    r"hotels (?:[\w,]+ ){0,4}(?:we|our clients) serve",
    r"hotels (?:and resorts )?use",
    r"hotel (?:clients|partners|customers|chains|inventory|bookings?|valuations?|price)",
    r"partner hotels",
    r"clients? (?:sites?|properties)",
    r"accommodation partners",
)
STAFFING_COMPANY = _words(
    r"staffing|recruitment|recruiters?|personnel|employment agency|temp\w* agency|workforce|talent solutions",
    r"recrutement|reclutamento|reclutamiento|recrutamento|personalvermittlung|personalberatung",
    r"personal(?: gmbh| ag| service\w*)|executive search|search partners|headhunt\w*",
    r"personaldienst\w*|zeitarbeit|interim|adecco|randstad|manpower|hays|kelly services|robert half",
    r"berkeley scott|indeed flex|instawork|qwick|syft|blue arrow|gi group|page personnel|michael page",
)
STAFFING_TEXT = _words(
    r"our client|we place|on behalf of|confidential search",
    r"pour (?:le compte de )?notre client|fur unseren kunden",
    r"para (?:nuestro|o nosso) cliente|per (?:il )?nostro cliente",
)
NOT_LODGING_COMPANY = _words(
    r"distiller(?:y|ies)|brewer(?:y|ies)|chocolat\w*|foods?|seafoods?|manufactur\w*|cookware|cast iron",
    r"bank|credit union|insurance|landscaping|outlet|stores?|shop|fitness|gym",
    r"catering|caterers?|venue|properties|residential|apartments",
    r"masonic|freemason\w*|elks|moose lodge|grand lodge",
)
RESTAURANT_COMPANY = _words(r"restaurants?|bar|pub|cafe|brasserie|bistro|grill|steakhouse|pizzeria|kitchen|diner")
RETAIL_TITLE = _words(
    r"store manager|sales associate|retail\w*|cashier|merchandis\w*|brand manager|barista|tasting room|croupier"
)
NOT_LODGING_TEXT = _words(
    r"retail|in store|stores?|shops?|shoppers|outlet|e-?commerce|online sales|merchandising",
    r"chocolate|cacao|cocoa|confectionery|ice cream|crackers|snacks|seafood|distillery|cookware",
    r"bedding|home fragrance|candles|homeware|manufacturing|products?|warehouse",
    r"landscaping|lawn|teller|credit union|fitness|gym|(?<!team )members?|membership",
    r"rides|theme park|stadium|game days|event venue|casino|masonic",
    r"residents?|residential|apartment (?:community|homes|building)|luxury apartments?|condo\w*|tenants?|leasing",
    r"valuations?|feasibility|appraisals?|lenders",
)

STARS = re.compile(
    r"\b(1|2|3|4|5|one|two|three|four|five|funf|fuenf|vier|drei|cinq|quatre|trois|cinco|cuatro|tres|cinque|"
    r"quattro|tre|quatro)[- ]?(?:\*|stars?|sterne?|etoiles?|estrellas?|stelle|estrelas?)"
)
STAR_TIERS = dict.fromkeys(("5", "five", "funf", "fuenf", "cinq", "cinco", "cinque"), "luxury")
STAR_TIERS |= dict.fromkeys(("4", "four", "vier", "quatre", "cuatro", "quattro", "quatro"), "upscale")
STAR_TIERS |= dict.fromkeys(("3", "three", "drei", "trois", "tres", "tre"), "midscale")
STAR_TIERS |= dict.fromkeys(("2", "two"), "economy")
STAR_TIERS |= dict.fromkeys(("1", "one"), "budget")
TIER_WORDS = [
    (
        "luxury",
        _words(
            r"luxury|luxurious|luxe|lusso|lujo|luxus|ultra-luxury|palace hotel|palace parisien|un palace",
            r"relais (?:&|et|and) chateaux|leading hotels of the world|small luxury hotels",
        ),
    ),
    ("upscale", _words(r"boutique|upscale|upper upscale|lifestyle hotel|design hotel|spa resort")),
    ("economy", _words(r"budget hotel|economy hotel|limited[- ]service|no-frills")),
    ("budget", _words(r"backpackers?|dorms?")),
]
BUDGET_LODGING = _words(r"hostels?|hostal(?:es)?|motels?")
HEAD_OFFICE = _words(
    r"headquarters|head office|hq|corporate|support cent(?:re|er)|regional office|area office",
    r"above[- ]property|global|franchise development|portfolio of|across (?:our|the) (?:hotels|portfolio|brands)",
    r"contact cent(?:re|er)|call cent(?:re|er)|centre de contact|siege|zentrale|oficinas centrales|sede central",
)


# --- the brand table --------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    name: str
    kind: str  # "brand" (a property brand) or "group" (a hotel company / management company)
    tier: str  # a MarketTier value, or "" when the brand spans tiers
    ambiguous: bool  # also a common word, a place, or another business


@dataclass(frozen=True)
class _BrandHit:
    brand: Brand
    field: str  # company, title, snippet
    strong: bool  # unambiguous, or ambiguous but followed by a city ("Fairmont Banff Springs")


UNMISTAKABLE_WORDS = frozenset({"hotel", "hotels", "resort", "resorts", "inn", "suites", "by"})
_TOKEN = re.compile(r"[^\s,;:()\[\]\"/|!?]+")


def _tokens(text: str) -> list[str]:
    """'The Ritz-Carlton, Chicago' → ['the', 'ritz-carlton', 'chicago'] (text already folded)."""
    return [t for t in (m.group().strip(".'-") for m in _TOKEN.finditer(text)) if t]


class _BrandIndex:
    """Brand names looked up as word n-grams: one dictionary probe per word, longest first."""

    def __init__(self):
        self.by_alias: dict[tuple[str, ...], tuple[Brand, bool]] = {}
        self.longest_from: dict[str, int] = {}  # first word → longest alias starting with it
        with open(DATA / "hotel_brands.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                brand = Brand(row["name"], row["kind"], row["tier"], row["ambiguous"] == "1")
                for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
                    key = tuple(_tokens(_fold(alias)))
                    # "Courtyard by Marriott", "Omni Hotel": the alias itself is unmistakable
                    ambiguous = brand.ambiguous and not UNMISTAKABLE_WORDS & set(key)
                    self.by_alias.setdefault(key, (brand, ambiguous))
                    self.longest_from[key[0]] = max(self.longest_from.get(key[0], 0), len(key))

    def hits(self, text: str, field: str) -> list[_BrandHit]:
        hits = []
        words = _tokens(text)
        i = 0
        while i < len(words):
            for n in range(min(self.longest_from.get(words[i], 0), len(words) - i), 0, -1):
                found = self.by_alias.get(tuple(words[i : i + n]))
                if found:
                    break
            else:
                i += 1
                continue
            brand, ambiguous = found
            if n == 1 and _city_words(words[i : i + 3]) > 1:
                i += 1
                continue  # the brand is part of a place name: "Hilton Head Island"
            strong = not ambiguous or _city_words(words[i + n : i + n + 3]) > 0
            if strong or field == "company":
                # an ambiguous name counts only as what the employer calls itself:
                # "Four Seasons" in prose, or the "w" of a German "(m/w/d)", is no evidence
                hits.append(_BrandHit(brand, field, strong))
            i += n
        return hits


def _city_words(words: list[str]) -> int:
    """How many of ``words`` (up to three) name a city from the start, else 0."""
    for n in range(len(words), 0, -1):
        if known_city(" ".join(words[:n])):
            return n
    return 0


@cache
def _brands() -> _BrandIndex:
    return _BrandIndex()


# --- the rules --------------------------------------------------------------------------


@dataclass
class _Evidence:
    score: float = 0.0
    brand_hits: tuple[_BrandHit, ...] = ()


def _count(pattern: re.Pattern, text: str) -> int:
    return len({m.group() for m in pattern.finditer(text)})


def _weigh(company: str, title: str, snippet: str) -> _Evidence:
    """The hospitality score: evidence for minus evidence against."""
    company_l, title_l, snippet_l = (NOT_A_HOTEL.sub(" ", t) for t in (company, title, snippet))
    score = 0.0

    # for: what the employer calls itself weighs most
    if LODGING.search(company_l):
        score += 4
    elif LODGING_WEAKER.search(company_l) or PENSION.search(company_l):
        score += 3
    if LODGING.search(title_l) or LODGING_WEAKER.search(title_l):
        score += 3
    if LODGING.search(snippet_l) or LODGING_WEAKER.search(snippet_l):
        score += 2
    if HOTEL_TRADE.search(" ".join((company_l, title_l, snippet_l))):
        score += 2
    if ROLE_HOTEL_ONLY.search(title_l):
        score += 2.5
    elif ROLE_HOTEL_LIKE.search(title_l):
        score += 1
    score += min(3, _count(HOTEL_OPERATIONS, snippet_l)) + (0.5 if GUESTS.search(snippet_l) else 0)

    index = _brands()
    hits = (*index.hits(company, "company"), *index.hits(title, "title"), *index.hits(snippet, "snippet"))
    for field, full, half in (("company", 4.5, 2), ("title", 3, 1.5), ("snippet", 1.5, 0)):
        field_hits = [hit for hit in hits if hit.field == field]
        if field_hits:
            score += full if any(hit.strong for hit in field_hits) else half

    # against: what else the employer evidently is
    if HEALTHCARE.search(company) or HEALTH_COMPANY.search(company):
        score -= 7
    elif HEALTHCARE.search(title):
        score -= 5
    elif HEALTHCARE.search(snippet):
        score -= 3
    if NOT_A_HOTEL.search(" ".join((company, title, snippet))):
        score -= 4
    if PUBLIC_OFFICE.search(company):
        score -= 6
    elif PUBLIC_OFFICE.search(snippet):
        score -= 2
    if EDUCATION.search(company):
        score -= 6
    elif EDUCATION.search(title):
        score -= 4
    elif EDUCATION.search(snippet):
        score -= 1.5
    if TRAVEL.search(company):
        score -= 6
    elif TRAVEL.search(title):
        score -= 3
    elif TRAVEL.search(snippet):
        score -= 2.5
    if STAFFING_COMPANY.search(company):
        score -= 7
    if STAFFING_TEXT.search(snippet):
        score -= 4
    if TECH_COMPANY.search(company):
        score -= 5
    if TECH_TITLE.search(title):
        score -= 2.5
    score -= min(4, 1.5 * _count(TECH_TEXT, snippet))
    score -= min(6, 3 * _count(SELLS_TO_HOTELS, f"{title} {snippet}"))
    if NOT_LODGING_COMPANY.search(company):
        score -= 5
    if RETAIL_TITLE.search(title):
        score -= 3
    score -= min(4, 2 * _count(NOT_LODGING_TEXT, snippet))
    if RESTAURANT_COMPANY.search(company) and not LODGING.search(company_l):
        score -= 1
    return _Evidence(score=score, brand_hits=hits)


def _market_tier(evidence: _Evidence, text: str) -> str | None:
    """The first tier the evidence states, most specific source first (module docstring)."""
    property_hits = [h for h in evidence.brand_hits if h.brand.kind == "brand" and h.field != "snippet"]
    group_hits = [h for h in evidence.brand_hits if h.brand.kind == "group" and h.field != "snippet"]
    for hit in property_hits:
        if hit.brand.tier:
            return hit.brand.tier
    if group_hits and not property_hits:
        return group_hits[0].brand.tier or None
    stars = STARS.search(text)
    if stars:
        return STAR_TIERS[stars.group(1)]
    for hit in evidence.brand_hits:
        if hit.field == "snippet" and hit.brand.kind == "brand" and hit.brand.tier:
            return hit.brand.tier
    for tier, words in TIER_WORDS:
        if words.search(text):
            return tier
    if BUDGET_LODGING.search(text):
        return "budget"
    return "midscale"


def _company_type(evidence: _Evidence, title: str, snippet: str) -> str:
    """chain_hq, franchise or independent: is there a chain, and is this its office?"""
    chain = [h for h in evidence.brand_hits if h.field != "snippet" and (h.strong or h.brand.kind == "group")]
    if not chain:
        return "independent"
    if HEAD_OFFICE.search(f"{title} {snippet}"):
        return "chain_hq"
    if any(h.brand.kind == "group" and h.field == "company" for h in chain) and not any(
        h.brand.kind == "brand" for h in chain
    ):
        return "chain_hq"
    return "franchise"


def _confidence(score: float) -> float:
    """0.55 at the threshold, rising with the margin either way, capped below certainty."""
    margin = abs(score - HOSPITALITY_THRESHOLD)
    if score >= HOSPITALITY_THRESHOLD:
        return round(min(0.97, 0.55 + 0.08 * margin), 2)
    # a posting with no hotel evidence at all is a clear "no"
    return round(min(0.97, 0.6 + 0.07 * margin), 2)


def classify_posting_rules(posting: PostingFound) -> PostingClassification:
    """The deterministic classifier: no network, the same answer every time."""
    company, title, snippet = _fold(posting.company), _fold(posting.title), _fold(posting.snippet)
    evidence = _weigh(company, title, snippet)
    is_hospitality = evidence.score >= HOSPITALITY_THRESHOLD
    text = f"{company} {title} {snippet}"
    return PostingClassification(
        is_hospitality=is_hospitality,
        market_tier=_market_tier(evidence, text) if is_hospitality else None,
        company_type=_company_type(evidence, title, snippet) if is_hospitality else "independent",
        confidence=_confidence(evidence.score),
    )


# --- the AI path ------------------------------------------------------------------------

PROMPT = """Classify the employer of the job posting given as data below.

is_hospitality: true only if the employer operates lodging (hotel, resort, inn, lodge,
motel, hostel, B&B, guesthouse, serviced apartments) or is a hotel chain, hotel brand or
hotel management company, including its head office. A restaurant, bar or spa inside a
hotel counts. False for hospitals, hospices and care homes, restaurants or bars without
rooms, airlines, cruise lines, staffing or recruitment agencies, software vendors, booking
sites and apps, suppliers and contractors serving hotels, schools, and retailers or other
companies that only have "hotel" in their name.
market_tier: the property's chain scale (luxury, upscale, midscale, economy, budget);
null when is_hospitality is false or when it cannot be told (a multi-brand head office).
company_type: chain_hq for a chain's or management company's corporate or regional
office, franchise for a branded property, independent otherwise.
confidence: how sure you are, 0 to 1."""


def posting_as_data(posting: PostingFound) -> str:
    return "\n".join(
        (
            f"Title: {posting.title}",
            f"Company: {posting.company}",
            f"Location: {posting.location}",
            f"Snippet: {posting.snippet[:SNIPPET_LIMIT]}",
        )
    )


def classify_posting(posting: PostingFound, *, providers: list | None = None) -> tuple[PostingClassification, str]:
    """The AI's classification when a provider answers within the schema, else the rules'.

    Returns the classification and who made it: "grok", "claude" or "fallback".
    """
    answer = complete_json(
        purpose="classify_posting",
        prompt=PROMPT,
        schema=PostingClassification,
        fallback=lambda: classify_posting_rules(posting),
        data={"posting": posting_as_data(posting)},
        providers=providers,
    )
    return answer.value, answer.provider


# --- the AI path, a page at a time ------------------------------------------------------

BATCH_PROMPT = (
    "Classify the employer of each job posting given as data below. Each posting is a data block "
    "named posting_N; answer with one item per posting, its number N in `number`.\n\n" + PROMPT.split("\n\n", 1)[1]
)


class PostingVerdict(PostingClassification):
    """One posting's classification in a batch answer, keyed by the number of its data block."""

    # a nested object must forbid extra keys in its own schema, too (strict structured outputs)
    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=0, description="N of the data block posting_N this item classifies")


class PostingBatchClassification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    postings: list[PostingVerdict]


def classify_postings(
    postings: list[PostingFound], *, providers: list | None = None
) -> list[tuple[PostingClassification, str]]:
    """Each posting's classification and who made it, ``BATCH_SIZE`` postings per AI call.

    The answer is matched to the postings by block number, never by position: a posting
    it leaves out, numbers twice or numbers out of range is classified by the rules alone.
    """
    results: list[tuple[PostingClassification, str]] = []
    for start in range(0, len(postings), BATCH_SIZE):
        results += _classify_batch(postings[start : start + BATCH_SIZE], providers)
    return results


def _classify_batch(batch: list[PostingFound], providers: list | None) -> list[tuple[PostingClassification, str]]:
    answer = complete_json(
        purpose="classify_postings",
        prompt=BATCH_PROMPT,
        schema=PostingBatchClassification,
        # no provider answered: an empty list, so every posting falls to the rules below
        fallback=lambda: PostingBatchClassification(postings=[]),
        data={f"posting_{number}": posting_as_data(posting) for number, posting in enumerate(batch)},
        providers=providers,
    )
    numbered: dict[int, PostingVerdict] = {}
    twice: set[int] = set()
    for verdict in answer.value.postings:
        if verdict.number in numbered:
            twice.add(verdict.number)  # two answers for one posting: trust neither
        numbered.setdefault(verdict.number, verdict)
    results = []
    for number, posting in enumerate(batch):
        verdict = numbered.get(number) if number not in twice else None
        if verdict is None:
            results.append((classify_posting_rules(posting), "fallback"))
        else:
            results.append((PostingClassification(**verdict.model_dump(exclude={"number"})), answer.provider))
    return results
