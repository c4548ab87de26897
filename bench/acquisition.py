"""How many job postings per second acquisition turns into prospects, against a plain bulk insert.

Usage (PostgreSQL only; the database is created if missing, its prospects emptied each run)::

    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_acq .venv/bin/python bench/acquisition.py \\
        [--postings 100000] [--runs 1]

The daily run reads job boards page by page and sends every card through parsing,
classification, extraction and the dedup path (``prospects.dedup.prospect_ingest``, one
transaction per posting). This measures that path on ``--postings`` generated cards and
sets it beside the floor: the same number of Prospect rows written with ``bulk_create``
in batches of 1,000 (one transaction per batch, no dedup, no job postings). The ratio
full/floor says how much of the database's insert speed the dedup path keeps.

The postings are saved LinkedIn guest-API pages (the markup of tests/fixtures/linkedin/,
25 cards a page) from a seeded generator, mixing hotels in about a thousand cities:
about half are a hotel's first advert, a fifth a new advert of a hotel seen before under
another spelling of its name ("The X Hotel", "X HOTEL", "X Hotel LLC", "X Hotel -
Careers") and location ("Denver, CO", "Greater Denver Area"), a sixth an advert seen
again (same URL, new tracking parameters), and the rest other employers (hospitals,
restaurants, staffing agencies, software vendors) the classifier should turn away.
acquisition_run drops an advert repeated within one run before ingesting it; re-seen
adverts are kept here because later daily runs meet them and the database must.

Each phase is timed with time.perf_counter: parsing (``linkedin.parse_search_page``),
classification and extraction (``classify_posting_rules`` — the AI keys are emptied, so
no network — then ``parse_location``, ``hiring_tier``, ``company_name_clean``, as
``acquisition.ingest_posting`` does), and the database ingest. The hand-off to enrichment
(an Event and a stage enqueue per new prospect) is left out: it is not dedup. Each
figure is the median of ``--runs`` runs (the floor: of three), each on emptied tables
that are ANALYZEd as they grow, as autovacuum would (see ``Autoanalyze``). Afterwards
the prospects are checked: one per (company_key, city_key).
"""

import argparse
import base64
import csv
import datetime
import html
import math
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# run as a script, sys.path[0] is bench/; the project's packages live one level up
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/jengu_bench_acq")
os.environ["DEBUG"] = "false"  # DEBUG keeps every query in memory
# rules only: with a key set, classification would be a network call per posting
os.environ["GROK_API_KEY"] = os.environ["ANTHROPIC_API_KEY"] = ""

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from prospects.acquisition import posting_fields  # noqa: E402
from prospects.classification import PostingClassification, classify_posting_rules  # noqa: E402
from prospects.dedup import company_key, prospect_ingest  # noqa: E402
from prospects.extraction import parse_location  # noqa: E402
from prospects.models import JobPosting, LeadSource, PossibleDuplicate, Prospect  # noqa: E402
from prospects.providers import linkedin  # noqa: E402
from prospects.providers.base import PostingFound  # noqa: E402

TODAY = datetime.date(2026, 3, 12)  # the injected "today" of parsing and hiring_tier
FLOOR_BATCH = 1000
FLOOR_RUNS = 3
DATA = REPO / "prospects" / "data"

# the mix of the posting stream (the rest are first adverts of new hotels)
OTHER_EMPLOYER_SHARE = 0.12
RESEEN_SHARE = 0.15
KNOWN_HOTEL_SHARE = 0.20

# --- cities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    region: str
    country_code: str
    timezone: str
    locations: tuple[str, ...]  # how boards write it; each parses back to this city
    weight: float


def load_cities() -> list[City]:
    """The cities of prospects/data/cities.csv, with the location strings boards write for them.

    Only spellings that parse_location resolves to the city itself are kept: a hotel's
    repeat adverts must land in the same city for the dedup keys to meet.
    """
    with open(DATA / "countries.csv", encoding="utf-8") as f:
        countries = {row["code"]: row["aliases"].split("|")[0] for row in csv.DictReader(f)}
    with open(DATA / "regions.csv", encoding="utf-8") as f:
        state_codes = {(row["country_code"], row["name"]): row["code"] for row in csv.DictReader(f)}
    cities = []
    with open(DATA / "cities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name, region, code = row["name"], row["region"], row["country_code"]
            country = countries.get(code, "")
            spellings = [
                ", ".join(part for part in (name, region, country) if part),  # LinkedIn's own
                f"Greater {name} Area",
                f"{name} Metropolitan Area",
            ]
            if code == "US" and (code, region) in state_codes:
                spellings.append(f"{name}, {state_codes[code, region]}")
            elif country:
                spellings.append(f"{name}, {country}")
            kept = tuple(s for s in spellings if parse_location(s).city == name)
            if kept:
                weight = math.sqrt(float(row["population_k"] or 1))  # spread hotels beyond the capitals
                cities.append(City(name, region, code, row["timezone"], kept, weight))
    return cities


# --- hotels and other employers --------------------------------------------------------

SYLLABLES = (  # noqa: SIM905 (a word list reads better as one string)
    "al bren cas dor el fen gal har is jor kel lan mor nor or pen quin ros sel tor ul val wen yar zan "
    "ash bel cor dun ever fair glen holt ivy kings lyn mar north oak pine rav stow thorn well win"
).split()
AREAS = (  # noqa: SIM905
    "Downtown,Airport,Old Town,Harbourside,Riverside,City Centre,Central Station,Beach,Marina,Park,Uptown,"
    "Midtown,West End,East Side,North Shore,South Bank,Lakeside,Convention Centre,University,Cathedral,"
    "Market Square,Bay,Old Port,Waterfront"
).split(",")
INDEPENDENT_NAMES = [
    "{brand} Hotel",
    "Hotel {brand}",
    "The {brand} Hotel",
    "The {brand} Inn",
    "{brand} Resort & Spa",
    "{brand} Boutique Hotel",
    "{brand} Lodge",
    "{brand} House Hotel",
    "{brand} Hotel {area}",
    "Hostel {brand}",
    "{brand} Inn & Suites",
]
CHAINS = [
    "Hampton Inn & Suites",
    "Courtyard by Marriott",
    "Holiday Inn Express",
    "Hilton Garden Inn",
    "Novotel",
    "NH Collection",
    "Premier Inn",
    "Radisson Blu",
    "Kimpton",
    "Hyatt Place",
    "Motel One",
    "Mercure",
    "Fairfield Inn & Suites",
]
CHAIN_SHARE = 0.3
LEGAL_FORMS = {"US": "LLC", "GB": "Ltd", "IE": "Ltd", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SAS"}
HOTEL_ROLES = [
    "General Manager",
    "Assistant General Manager",
    "Front Desk Agent",
    "Front Office Manager",
    "Night Auditor",
    "Guest Service Agent",
    "Revenue Manager",
    "Reservations Agent",
    "Executive Housekeeper",
    "Room Attendant",
    "Director of Sales",
    "Sous Chef",
    "Banquet Server",
    "Concierge",
    "Maintenance Technician",
    "Spa Therapist",
    "Bartender",
    "Director of Operations",
]
OTHER_JOBS = [
    ("Registered Nurse", "{brand} General Hospital"),
    ("Patient Access Representative - Front Desk", "{brand} Health"),
    ("Dental Receptionist", "{brand} Family Dental"),
    ("Line Cook", "{brand} Kitchen & Bar"),
    ("Server", "{brand} Steakhouse"),
    ("Account Executive, Hotels", "{brand} Software"),
    ("Customer Success Manager", "{brand} Technologies"),
    ("Hospitality Recruiter", "{brand} Staffing"),
    ("Flight Attendant", "{brand} Airlines"),
    ("Leasing Consultant", "{brand} Apartments"),
    ("Store Manager", "{brand} Outlet"),
]
SALARIES = ["$18.00 - $22.00", "$52,000.00 - $61,000.00", "$75,000.00 - $95,000.00", "£28,000 - £32,000", ""]


@dataclass(frozen=True)
class Card:
    """One job card as a page shows it."""

    job_id: int
    title: str
    company: str  # as this card spells it
    city: City
    location: str
    posted_at: datetime.date
    salary: str
    hotel: int | None  # which generated hotel; None for another employer


@dataclass
class Mix:
    """What the generator put in the stream, to compare with what the database ends up holding."""

    hotels: int = 0
    hotel_adverts: int = 0  # distinct hotel job ids
    known_hotel_adverts: int = 0  # of which adverts of a hotel seen before, under a name variant
    reseen: int = 0  # cards repeating an earlier hotel advert
    other_adverts: int = 0
    cities: set[str] = field(default_factory=set)


def brand_name(rng: random.Random) -> str:
    first, second = rng.sample(SYLLABLES, 2)
    return (first + second).capitalize()


def new_hotel_name(rng: random.Random, city: City, taken: set[tuple[str, str]]) -> str:
    """A hotel name whose dedup key no other generated hotel in the city has."""
    while True:
        if rng.random() < CHAIN_SHARE:
            name = f"{rng.choice(CHAINS)} {city.name} {rng.choice(AREAS)}"
        else:
            brand = f"{brand_name(rng)} {rng.choice(AREAS)}" if rng.random() < 0.5 else brand_name(rng)
            name = rng.choice(INDEPENDENT_NAMES).format(brand=brand, area=rng.choice(AREAS))
        key = (company_key(name), city.name)
        if key not in taken:
            taken.add(key)
            return name


def name_variant(name: str, city: City, rng: random.Random) -> str:
    """Another spelling of a hotel's name that the dedup key must see through."""
    roll = rng.random()
    if roll < 0.4:
        return name
    if roll < 0.55:
        return name.removeprefix("The ") if name.startswith("The ") else f"The {name}"
    if roll < 0.65:
        return name.upper()
    if roll < 0.75:
        return f"{name} {LEGAL_FORMS.get(city.country_code, 'Ltd')}"
    if roll < 0.85:
        return f"{name} - Careers"
    return name.replace("&", "and") if "&" in name else name.replace("Hotel", "Hôtel")


def posted_on(rng: random.Random) -> datetime.date:
    return TODAY - datetime.timedelta(days=min(int(rng.expovariate(1 / 12)), 60))


def generate_cards(count: int, rng: random.Random) -> tuple[list[Card], Mix]:
    """``count`` cards in the order the pages show them (see the module docstring for the mix)."""
    cities = load_cities()
    weights = [city.weight for city in cities]
    cards: list[Card] = []
    hotels: list[tuple[str, City]] = []  # canonical name and city of each generated hotel
    hotel_cards: list[int] = []  # positions in ``cards`` of hotel adverts, for re-sightings
    taken: set[tuple[str, str]] = set()
    mix = Mix()
    for job_id in range(3_800_000_000, 3_800_000_000 + count):
        roll = rng.random()
        if roll < OTHER_EMPLOYER_SHARE:
            title, employer = rng.choice(OTHER_JOBS)
            city = rng.choices(cities, weights)[0]
            company = employer.format(brand=brand_name(rng))
            cards.append(Card(job_id, title, company, city, city.locations[0], posted_on(rng), "", None))
            mix.other_adverts += 1
            continue
        roll -= OTHER_EMPLOYER_SHARE
        if roll < RESEEN_SHARE and hotel_cards:
            cards.append(cards[rng.choice(hotel_cards)])
            mix.reseen += 1
            continue
        roll -= RESEEN_SHARE
        if roll < KNOWN_HOTEL_SHARE and hotels:
            hotel = rng.randrange(len(hotels))
            name, city = hotels[hotel]
            company = name_variant(name, city, rng)
            mix.known_hotel_adverts += 1
        else:
            city = rng.choices(cities, weights)[0]
            hotel, company = len(hotels), new_hotel_name(rng, city, taken)
            hotels.append((company, city))
            mix.cities.add(city.name)
        location = rng.choice(city.locations)
        salary = rng.choice(SALARIES)
        hotel_cards.append(len(cards))
        cards.append(Card(job_id, rng.choice(HOTEL_ROLES), company, city, location, posted_on(rng), salary, hotel))
    mix.hotels = len(hotels)
    mix.hotel_adverts = len(hotel_cards)
    return cards, mix


# --- LinkedIn guest-API pages ----------------------------------------------------------

CARD_HTML = """<li>
      <div class="base-card relative w-full hover:no-underline focus:no-underline base-card--link base-search-card base-search-card--link job-search-card" data-entity-urn="urn:li:jobPosting:{job_id}" data-impression-id="jobs-search-result-{index}" data-reference-id="{reference}" data-tracking-id="{tracking}" data-column="1" data-row="{position}">
        <a class="base-card__full-link absolute top-0 right-0 bottom-0 left-0 p-0 z-[2]" href="https://www.linkedin.com/jobs/view/{slug}-{job_id}?position={position}&amp;pageNum={page}&amp;refId={reference_q}&amp;trackingId={tracking_q}&amp;trk=public_jobs_jserp-result_search-card" data-tracking-control-name="public_jobs_jserp-result_search-card" data-tracking-id="{tracking}" data-tracking-will-navigate>
          <span class="sr-only">
              {title}
          </span>
        </a>

      <div class="search-entity-media">
          <img class="artdeco-entity-image artdeco-entity-image--square-4" data-delayed-url="https://media.licdn.com/dms/image/v2/C560BAQ{logo}/company-logo_100_100/company-logo_100_100/0/1630596713441?e=2147483647&amp;v=beta&amp;t={logo}" data-ghost-classes="artdeco-entity-image--ghost" data-ghost-url="https://static.licdn.com/aero-v1/sc/h/6puxblwmhnodu6fjircz4dn4h" alt="{company}">
      </div>
        <div class="base-search-card__info">
          <h3 class="base-search-card__title">
            {title}
          </h3>

            <h4 class="base-search-card__subtitle">
                {company_html}
            </h4>

          <div class="base-search-card__metadata">
              <span class="job-search-card__location">
                {location}
              </span>
{salary_html}
                <time class="job-search-card__listdate{new}" datetime="{posted_at}">
                  {posted_text}
                </time>
          </div>
        </div>
      </div>
</li>
"""  # noqa: E501 (LinkedIn's markup, as tests/fixtures/linkedin/guest_search.html has it)
COMPANY_LINK_HTML = """<a class="hidden-nested-link" data-tracking-client-ingraph data-tracking-control-name="public_jobs_jserp-result_job-search-card-subtitle" data-tracking-will-navigate href="https://www.linkedin.com/company/{slug}?trk=public_jobs_jserp-result_job-search-card-subtitle">
                  {company}
                </a>"""  # noqa: E501
SALARY_HTML = """
              <span class="job-search-card__salary-info">
                {salary}
              </span>
"""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def ago(days: int) -> str:
    if days == 0:
        return "14 hours ago"
    if days < 7:
        return f"{days} day{'s' * (days > 1)} ago"
    if days < 30:
        return f"{days // 7} week{'s' * (days >= 14)} ago"
    return f"{days // 30} month{'s' * (days >= 60)} ago"


def render_card(card: Card, index: int, page: int, rng: random.Random) -> str:
    reference, tracking = (base64.b64encode(rng.randbytes(16)).decode() for _ in range(2))
    company = html.escape(card.company)
    company_html = COMPANY_LINK_HTML.format(slug=slug(card.company), company=company)
    days = (TODAY - card.posted_at).days
    return CARD_HTML.format(
        job_id=card.job_id,
        index=index,
        position=index + 1,
        page=page,
        reference=reference,
        reference_q=reference.replace("=", "%3D"),
        tracking=tracking,
        tracking_q=tracking.replace("=", "%3D"),
        slug=slug(f"{card.title} at {card.company}"),
        title=html.escape(card.title),
        logo=base64.b32encode(card.job_id.to_bytes(5)).decode(),
        company=company,
        # LinkedIn links most companies to their page; some cards show the name alone
        company_html=company_html if card.job_id % 7 else company,
        location=html.escape(card.location),
        salary_html=SALARY_HTML.format(salary=html.escape(card.salary)) if card.salary else "",
        new="--new" if days <= 1 else "",
        posted_at=card.posted_at.isoformat(),
        posted_text=ago(days),
    )


def pages(cards: list[Card], seed: int) -> Iterator[tuple[list[Card], str]]:
    """The cards in pages of 25, each with the HTML the guest endpoint would answer."""
    rng = random.Random(seed)
    size = linkedin.PAGE_SIZE
    for page, start in enumerate(range(0, len(cards), size)):
        page_cards = cards[start : start + size]
        yield page_cards, "".join(render_card(card, i, page, rng) for i, card in enumerate(page_cards))


# --- database set-up -------------------------------------------------------------------


def ensure_database():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/acquisition.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
            print(f"created database {db['NAME']}")


def empty_prospects():
    """Every prospect and what hangs off it (job postings, flagged pairs, outreach rows)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Prospect._meta.db_table} RESTART IDENTITY CASCADE")
        cursor.execute(f"ANALYZE {Prospect._meta.db_table}, {JobPosting._meta.db_table}")


# --- the full path ---------------------------------------------------------------------


class StatementClock:
    """An execute wrapper: how many SQL statements ran, and how long they took.

    COMMIT goes through the driver, not a cursor, so it is not counted.
    """

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


@dataclass
class FullPathRun:
    """Seconds per phase, and what became of the postings, in one run of the full path."""

    postings: int = 0
    parse: float = 0.0
    classify: float = 0.0  # classification and extraction
    ingest: float = 0.0
    hospitality: int = 0
    new: int = 0
    merged: int = 0
    seen_before: int = 0
    flagged: int = 0
    hotels_missed: int = 0  # hotel cards the rules turned away
    others_taken: int = 0  # other employers' cards the rules took for hotels
    statements: int = 0
    sql: float = 0.0
    tenths: list[float] = field(default_factory=list)  # postings/s over each tenth of the run

    @property
    def seconds(self) -> float:
        return self.parse + self.classify + self.ingest


def prospect_and_job(posting: PostingFound, classification: PostingClassification) -> tuple[dict, dict]:
    """The Prospect and JobPosting fields of a hospitality posting, as ingest_posting builds them."""
    return posting_fields(posting, classification, today=TODAY)


def ingest(run: FullPathRun, fields: dict, job: dict):
    with transaction.atomic():  # one transaction per posting, as acquisition does
        result = prospect_ingest(fields=fields, posting=job, by="task:acquisition")
    if result.created:
        run.new += 1
    elif result.posting is None:
        run.seen_before += 1
    else:
        run.merged += 1
    run.flagged += len(result.flagged)


class Autoanalyze:
    """ANALYZE the prospect tables when autovacuum's defaults would: 50 rows + 10% written.

    Right after TRUNCATE the planner has no statistics and takes a NULL test on every row
    (``merged_into IS NULL``) for a selective one; autovacuum fixes that in production
    within a minute. Servers with autovacuum off (a benchmark box) would time a plan
    production never runs, so the bench does autovacuum's work, outside the timed phases.
    """

    def __init__(self):
        self.rows = 0

    def __call__(self, rows: int):
        if rows - self.rows > 50 + 0.1 * self.rows:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Prospect._meta.db_table}, {JobPosting._meta.db_table}")
            self.rows = rows


def full_path(cards: list[Card], *, seed: int) -> FullPathRun:
    """Parse, classify, extract and ingest every card, timing each phase."""
    run = FullPathRun()
    clock, autoanalyze = StatementClock(), Autoanalyze()
    tenth = max(len(cards) // 10, 1)
    mark, mark_seconds = tenth, 0.0
    for page_cards, page in pages(cards, seed):
        started = time.perf_counter()
        postings = linkedin.parse_search_page(page, today=TODAY)
        run.parse += time.perf_counter() - started
        assert len(postings) == len(page_cards), "a generated card did not parse"
        for card, posting in zip(page_cards, postings, strict=True):
            started = time.perf_counter()
            classification = classify_posting_rules(posting)
            prepared = prospect_and_job(posting, classification) if classification.is_hospitality else None
            classified = time.perf_counter()
            run.classify += classified - started
            run.hotels_missed += card.hotel is not None and prepared is None
            run.others_taken += card.hotel is None and prepared is not None
            if prepared:
                run.hospitality += 1
                with connection.execute_wrapper(clock):
                    ingest(run, *prepared)
                run.ingest += time.perf_counter() - classified
        run.postings += len(page_cards)
        autoanalyze(run.new + run.merged)
        if run.postings >= mark:
            run.tenths.append(tenth / (run.seconds - mark_seconds))
            print(f"  {run.postings:>9,} postings  {run.tenths[-1]:>7,.0f}/s over the last {tenth:,}", flush=True)
            mark, mark_seconds = mark + tenth, run.seconds
    run.statements, run.sql = clock.count, clock.seconds
    return run


# --- the floor -------------------------------------------------------------------------


def floor(cards: list[Card]) -> float:
    """Seconds to write one plain Prospect row per card with bulk_create, 1,000 a batch."""
    started = time.perf_counter()
    for start in range(0, len(cards), FLOOR_BATCH):
        Prospect.objects.bulk_create(
            [
                Prospect(
                    company_name=card.company,
                    city=card.city.name,
                    region=card.city.region,
                    country=card.city.country_code,
                    timezone=card.city.timezone,
                    source=LeadSource.LINKEDIN,
                )
                for card in cards[start : start + FLOOR_BATCH]
            ]
        )
    return time.perf_counter() - started


# --- report ----------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT (company_key, city_key)) FROM {Prospect._meta.db_table} "
            "WHERE merged_into_id IS NULL AND contact_key = ''"
        )
        prospects, distinct_keys = cursor.fetchone()
    return {
        "prospects": prospects,
        "distinct_keys": distinct_keys,
        "job_postings": JobPosting.objects.count(),
        "possible_duplicates": PossibleDuplicate.objects.count(),
    }


def print_table(count: int, full: FullPathRun, full_seconds: float, floor_seconds: float):
    header = f"{'path':<44}{'postings':>10}{'seconds':>10}{'postings/s':>12}"
    print(header)
    print("-" * len(header))
    rows = [
        ("full: parse + classify + extract + dedup", full_seconds),
        (f"floor: Prospect bulk_create, {FLOOR_BATCH:,} a batch", floor_seconds),
    ]
    for label, seconds in rows:
        print(f"{label:<44}{count:>10,}{seconds:>10.1f}{count / seconds:>12,.0f}")
    ratio = floor_seconds / full_seconds
    print(f"{'ratio full/floor':<44}{'':>10}{'':>10}{ratio:>12.4f}   (the floor is {1 / ratio:,.0f}× faster)")
    total = full.seconds
    print(
        f"\nfull path time: parsing {full.parse / total:.1%}, classification + extraction "
        f"{full.classify / total:.1%}, database ingest {full.ingest / total:.1%}"
    )
    print(
        f"database ingest: {full.statements / full.hospitality:.1f} SQL statements per ingested posting (COMMIT not "
        f"counted), {full.sql / full.ingest:.0%} of ingest time inside them; "
        f"{full.hospitality / full.ingest:,.0f} ingests/s"
    )
    if full.tenths:
        print(f"rate over the first tenth {full.tenths[0]:,.0f}/s, over the last {full.tenths[-1]:,.0f}/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="runs of the full path (median reported)")
    parser.add_argument("--seed", type=int, default=20260312)
    args = parser.parse_args()
    assert not (settings.GROK_API_KEY or settings.ANTHROPIC_API_KEY), "AI keys must be empty: rules only"

    ensure_database()
    call_command("migrate", verbosity=0)
    version = connection.pg_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    print(
        f"PostgreSQL {version // 10000}.{version % 10000} (autovacuum {autovacuum}); {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}"
    )

    cards, mix = generate_cards(args.postings, random.Random(args.seed))
    print(
        f"{len(cards):,} postings on {math.ceil(len(cards) / linkedin.PAGE_SIZE):,} pages: "
        f"{mix.hotels:,} hotels in {len(mix.cities):,} cities, {mix.known_hotel_adverts:,} further adverts of a "
        f"known hotel under a name variant, {mix.reseen:,} adverts seen again, {mix.other_adverts:,} other employers"
    )

    floor_runs = []
    for _ in range(FLOOR_RUNS):
        empty_prospects()
        floor_runs.append(floor(cards))
    print(f"floor: {', '.join(f'{s:.1f}' for s in floor_runs)} s")

    full_runs = []
    for number in range(1, args.runs + 1):
        empty_prospects()
        print(f"full path, run {number} of {args.runs}:", flush=True)
        full_runs.append(full_path(cards, seed=args.seed))
    # the tables keep the last run's prospects, for the checks below and for a look afterwards
    full = sorted(full_runs, key=lambda run: run.seconds)[len(full_runs) // 2]
    counts = table_counts()

    print()
    print_table(len(cards), full, statistics.median(r.seconds for r in full_runs), statistics.median(floor_runs))
    last = full_runs[-1]
    print(
        f"\noutcome: {last.hospitality:,} hospitality postings → {last.new:,} new prospects, {last.merged:,} merged, "
        f"{last.seen_before:,} adverts already on record; {last.flagged:,} pairs flagged as possible duplicates"
    )
    print(
        f"classifier: {last.hotels_missed:,} hotel cards turned away, {last.others_taken:,} other employers' cards "
        "taken for hotels"
    )
    print(
        f"rows: {counts['prospects']:,} prospects (generated hotels: {mix.hotels:,}), "
        f"{counts['job_postings']:,} job postings (distinct hotel adverts: {mix.hotel_adverts:,}), "
        f"{counts['possible_duplicates']:,} possible duplicates"
    )
    duplicates = counts["prospects"] - counts["distinct_keys"]
    print(
        f"duplicate prospects (same company_key and city_key): {duplicates:,}  {'PASS' if not duplicates else 'FAIL'}"
    )
    print(
        f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work on the machine "
        "slows both paths, not always equally: they run one after the other)"
    )
    return 1 if duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
