"""The demo's catalogue: places, people, hotels and texts, read from the files in ``data/``.

Contract: every table the demo draws from is loaded here once, at import, into plain
typed values (tuples, dicts, frozen dataclasses); nothing here touches the database
or draws a random number. The files are the place to change what the demo says:

* ``countries.csv``: share of hotels, language of job ads and auto-replies, name pools
  with weights, areas of a city, currency. ``cities.csv``: the demo's cities and their
  phone patterns (fictional ranges only: NANP 555-01xx, Ofcom's drama numbers, ACMA's
  5550 block; ``#`` is a random digit). A city's region and time zone come from the
  product's own gazetteer, ``prospects/data/cities.csv``, so the demo places a hotel
  exactly where location parsing would.
* ``people.json`` (first names with f/m, family names per pool), ``titles.json``,
  ``brands.csv`` (name pattern, web short name, market tier, countries; ``{area}`` is
  a part of the city so one brand can have several hotels there), ``hotels.json``
  (independent hotels, invented regional head offices, room ranges per market tier),
  ``jobs.json``, ``research.json``, ``campaigns.json``, ``replies.json``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from prospects.models import MarketTier

DATA = Path(__file__).resolve().parent / "data"
GAZETTEER = Path(__file__).resolve().parents[2] / "prospects" / "data" / "cities.csv"


def _json(name: str):
    with open(DATA / name, encoding="utf-8") as f:
        return json.load(f)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class City:
    name: str
    region: str
    tz: str
    phone: str = ""


@dataclass(frozen=True)
class Country:
    code: str
    weight: int
    lang: str  # language of job ads, local titles and auto-replies
    people: tuple[tuple[str, int], ...]  # name pools and their weights
    areas: tuple[str, ...]
    cities: tuple[City, ...]
    currency: str = "€"


def _read_countries() -> list[Country]:
    gazetteer = {(row["country_code"], row["name"]): row for row in _csv(GAZETTEER)}
    cities: dict[str, list[City]] = {}
    for row in _csv(DATA / "cities.csv"):
        known = gazetteer[(row["country_code"], row["name"])]
        cities.setdefault(row["country_code"], []).append(
            City(row["name"], known["region"], known["timezone"], row["phone"])
        )
    return [
        Country(
            row["code"],
            int(row["weight"]),
            row["language"],
            tuple((pool, int(w)) for pool, _, w in (item.partition(":") for item in row["name_pools"].split())),
            tuple(row["areas"].split("|")),
            tuple(cities[row["code"]]),
            row["currency"],
        )
        for row in _csv(DATA / "countries.csv")
    ]


COUNTRIES = _read_countries()
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

# pool → ([(first name, "f"/"m"), …], [family name, …])
PEOPLE = {
    pool: ([tuple(item.rsplit(" ", 1)) for item in names["first_names"]], names["family_names"])
    for pool, names in _json("people.json").items()
}

_titles = _json("titles.json")
LOCAL_TITLES: dict[str, dict[str, list[str]]] = _titles["local"]
PROPERTY_TITLES = [tuple(pair) for pair in _titles["property"]]
INDEPENDENT_TITLES = [tuple(pair) for pair in _titles["independent"]]
HQ_TITLES: list[str] = _titles["head_office"]
DELEGATE_TITLES: list[str] = _titles["delegate"]

# (name pattern, short name for the web domain, market tier, countries)
BRANDS = [
    (row["pattern"], row["short"], MarketTier(row["market_tier"]), row["countries"])
    for row in _csv(DATA / "brands.csv")
]

_hotels = _json("hotels.json")
INDEPENDENTS: dict[str, list[str]] = _hotels["independents"]
HEAD_OFFICES: dict[str, str] = _hotels["head_offices"]  # the head offices we pitch a roll-out to
ROOMS = {MarketTier(tier): tuple(span) for tier, span in _hotels["rooms"].items()}

_jobs = _json("jobs.json")
JOB_TITLES: dict[str, list[str]] = _jobs["titles"]
JOB_SNIPPETS: dict[str, str] = _jobs["snippets"]

_research = _json("research.json")
PMS: list[str] = _research["pms"]
BOOKING_ENGINES: list[str] = _research["booking_engines"]
GUEST_TOOLS: list[str] = _research["guest_tools"]
PAIN_SIGNALS: list[str] = _research["pain_signals"]
NEWS: list[str] = _research["news"]

_campaigns = _json("campaigns.json")
POSTAL_ADDRESS: str = _campaigns["postal_address"]
# a campaign writes its pitch several ways ("---" between them): one pitch in every email is a fingerprint
CAMPAIGNS = [{**spec, "product_pitch": "\n---\n".join(spec["product_pitch"])} for spec in _campaigns["campaigns"]]
# (address, days since warmup started, daily ceiling); SMTP points at the local sink the
# demo runs, never at a real server
INBOXES = [(row["address"], row["warmup_days"], row["daily_ceiling"]) for row in _campaigns["inboxes"]]
INBOX_WEIGHTS = [row["weight"] for row in _campaigns["inboxes"]]
SEND_FAILURES: list[str] = _campaigns["send_failures"]
# domains suppressed by hand: vendors and a group that asked us to stay away
SUPPRESSED_DOMAINS = [(row["domain"], row["why"]) for row in _campaigns["suppressed_domains"]]

_replies = _json("replies.json")
# intent → [(body template, [questions the body asks]), …]
REPLY_BODIES = {
    intent: [(body["template"], body["questions"]) for body in bodies] for intent, bodies in _replies["bodies"].items()
}
NOT_INTERESTED = [(row["reason"], row["template"]) for row in _replies["not_interested"]]
OUT_OF_OFFICE = {lang: (row["subject_prefix"], row["template"]) for lang, row in _replies["out_of_office"].items()}
MEETING_SLOTS: list[str] = _replies["meeting_slots"]
