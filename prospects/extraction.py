"""What a job posting tells us about the hotel: where it is, its name, how hot the signal is.

Pure functions over offline data in ``prospects/data/`` — no database, no network:

* ``parse_location(text, country_hint=...)`` → ``Location(city, region, country_code,
  country_name, timezone)``. It reads the shapes job boards write ("Denver, CO",
  "München, Bayern, Deutschland", "Greater Chicago Area", "Paris (75)", "75008 Paris",
  "Sydney NSW 2000", "Remote - US") against a city table (``cities.csv``: name, other
  names, region, ISO 3166 alpha-2 country, IANA zone, population), a region table
  (``regions.csv``: states, provinces, Länder, counties as aliases of their region) and
  a country-name table (``countries.csv``; display names come from django-countries, so
  they match ``Prospect.country``). Names are compared case- and accent-insensitively;
  the output uses the table's canonical (English) names: "München" → "Munich".
* ``company_name_clean(raw)`` strips job-board decoration, keeps accents and legal form.
* ``hiring_tier(title, posted_at, today=...)`` → hot / warm / cold.

Time zones, and what we decided when the place is vague:

* a known city gives its own zone, so states that span zones are right city by city
  (El Paso → America/Denver, Pensacola → America/Chicago, Indianapolis →
  America/Indiana/Indianapolis);
* a region without a known city gives the region's zone only when at least ~90% of its
  people keep that clock (Texas → America/Chicago, Colorado → America/Denver); split
  regions (Indiana, Tennessee, Kentucky, Idaho, South Dakota, Nayarit, Nunavut…) give "";
* a country alone gives a zone only when every zone tzdata lists for it keeps the same
  local time (Germany, France, Japan, the UK — yes; the US, Spain with the Canaries,
  Portugal with the Azores, Australia, Brazil, Mexico — ""). A wrong zone would put an
  email in someone's night; an empty one makes the sender fall back to its default
  window and shows up in the admin as missing, which a person can fix;
* nothing recognisable ("Remote", "Anywhere", "") gives an empty Location, never a guess.
  When a region or country *is* recognised, an unknown place name next to it is kept as
  the city as written ("Lamego, Portugal" → city "Lamego", country PT).
"""

from __future__ import annotations

import csv
import datetime
import html
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from infra.text import fold
from prospects.models import Tier

DATA = Path(__file__).resolve().parent / "data"

# a 2-letter token that is both a US state and something else ("CA", "DE", "IN") with
# nothing else to go by: job boards that write "City, XX" are overwhelmingly American
REGION_PREFERENCE = {"US": 3, "CA": 2, "AU": 1}
MIN_CITY_SCORE = -2.0


@dataclass(frozen=True)
class Location:
    city: str = ""
    region: str = ""
    country_code: str = ""  # ISO 3166-1 alpha-2
    country_name: str = ""
    timezone: str = ""  # IANA, e.g. "America/Denver"

    def __bool__(self):
        return bool(self.city or self.region or self.country_code)


@dataclass(frozen=True)
class _City:
    name: str
    region: str
    country_code: str
    timezone: str
    population_k: float


@dataclass(frozen=True)
class _Region:
    name: str
    country_code: str
    timezone: str


@dataclass
class _Piece:
    """One comma-separated part of a location and everything it could name."""

    text: str
    cities: list[_City]
    regions: list[_Region]
    countries: set[str]

    @property
    def known(self) -> bool:
        return bool(self.cities or self.regions or self.countries)


# --- normalising names ------------------------------------------------------------------

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sankt": "saint", "ft": "fort", "mt": "mount", "co": "county"}


def _fold(text: str) -> str:
    """'St. Moritz' / 'Saint-Moritz' / 'sankt moritz' → 'saint moritz'; 'Zürich' → 'zurich'."""
    text = fold(text).replace("&", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    # "St. Moritz", "Co. Kerry" — but a lone "CO" or "MT" is Colorado or Montana
    return " ".join(_ABBREVIATIONS.get(w, w) if i < len(words) - 1 else w for i, w in enumerate(words))


def place_key(name: str) -> str:
    """The form place names are compared in ('Bayern', 'BAYERN', 'bayern' → 'bayern')."""
    return _fold(name)


def _keys(name: str) -> set[str]:
    """Every folded spelling a name is indexed under ('München' → munchen, muenchen)."""
    keys = {_fold(name), _fold(name.lower().translate(_GERMAN))}
    return {k for k in keys if k}


# --- the offline tables -----------------------------------------------------------------


class _Gazetteer:
    def __init__(self):
        self.cities: dict[str, list[_City]] = defaultdict(list)
        self.regions: dict[str, list[_Region]] = defaultdict(list)
        self.region_spellings: dict[tuple[str, str], list[str]] = {}
        self.countries: dict[str, str] = {}
        with open(DATA / "cities.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                city = _City(
                    row["name"], row["region"], row["country_code"], row["timezone"], float(row["population_k"])
                )
                for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
                    for key in _keys(name):
                        self.cities[key].append(city)
        with open(DATA / "regions.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                region = _Region(row["name"], row["country_code"], row["timezone"])
                spellings = [row["name"], row["code"], *filter(None, row["aliases"].split("|"))]
                self.region_spellings[(row["country_code"], row["name"])] = [n for n in spellings if n]
                for name in spellings:
                    for key in _keys(name) if name else ():
                        self.regions[key].append(region)
        with open(DATA / "countries.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for name in row["aliases"].split("|"):
                    for key in _keys(name):
                        self.countries[key] = row["code"]


@cache
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def region_spellings(country_code: str, region: str) -> list[str]:
    """Every spelling the table knows for a region of a country ('Bavaria' → Bavaria, Bayern)."""
    g = _gazetteer()
    names = [region] if region else []
    for match in g.regions.get(_fold(region), []) if region else []:
        if match.country_code == country_code:
            names += g.region_spellings.get((country_code, match.name), [])
    return list(dict.fromkeys(names))


@lru_cache(maxsize=8192)
def known_city(text: str) -> bool:
    """Whether ``text`` is the name of a city in the table (any spelling)."""
    return _fold(text) in _gazetteer().cities


def country_name(code: str) -> str:
    from django_countries import countries

    return str(countries.name(code)) if code else ""


def _country_code(text: str) -> str:
    """An ISO code for a country name, alias or code ("Deutschland" → DE), else ""."""
    key = _fold(text)
    if not key:
        return ""
    code = _gazetteer().countries.get(key)
    if code:
        return code
    if len(key) > 3:
        from django_countries import countries

        return countries.by_name(text.strip()) or ""
    if len(key) == 2 and key.isalpha():
        from django_countries import countries

        return key.upper() if key.upper() in countries else ""
    return ""


@cache
def country_timezone(code: str) -> str:
    """The country's zone when all of its zones keep one local time, else ""."""
    zones = _zones_by_country().get(code.upper(), [])
    if not zones:
        return ""
    import zoneinfo

    now = datetime.datetime.now(datetime.UTC)
    # every other week for a year catches each daylight-saving rule
    instants = [now + datetime.timedelta(days=14 * i) for i in range(27)]
    first = [instant.astimezone(zoneinfo.ZoneInfo(zones[0])).utcoffset() for instant in instants]
    for zone in zones[1:]:
        if [instant.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() for instant in instants] != first:
            return ""
    return zones[0]


@cache
def _zones_by_country() -> dict[str, list[str]]:
    """tzdata's zone.tab: the zones in use in each country, principal zone first."""
    zones: dict[str, list[str]] = defaultdict(list)
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            zones[code].append(zone)
    return dict(zones)


# --- parsing ----------------------------------------------------------------------------

_NOT_A_PLACE = re.compile(
    r"\b(?:remote|hybrid|on-?site|in-office|work from home|wfh|home[- ]based|field[- ]based|telecommute|"
    r"anywhere|nationwide|multiple locations|various locations|flexible location)\b",
    re.IGNORECASE,
)
_AREA_PREFIX = re.compile(
    r"^(?:greater|grossraum|großraum|metro|metropolitan|downtown|central|region|région de|regione|"
    r"area metropolitana (?:de|di)|grand)\s+",
    re.IGNORECASE,
)
_AREA_SUFFIX = re.compile(
    r"\s+(?:metropolitan area|metro area|metroplex|bay area|area|region|metro|city cent(?:re|er)|"
    r"downtown|centro|centre|center|arrondissement|and surrounding areas?)$",
    re.IGNORECASE,
)
_DUTCH_POSTCODE = re.compile(r"\b\d{4}\s?[A-Z]{2}\b")
_SEPARATORS = re.compile(r"\s*(?:[,;|/•·]|\s[-–—]\s)\s*")
_PLACE_LIKE = re.compile(r"^[^\W\d_][\w .'’-]{0,39}$")


def _segments(text: str) -> list[str]:
    text = re.sub(r"\([^)]*\)", " ", text or "")
    text = _DUTCH_POSTCODE.sub(" ", text)
    text = _NOT_A_PLACE.sub(" ", text)
    segments = []
    for part in _SEPARATORS.split(text):
        # postcodes and house numbers: "75008", "EC1M", "SW1A 1AA", "M5V", "8e"
        words = [w for w in part.split() if not any(c.isdigit() for c in w)]
        part = " ".join(words).strip(" .-–—")
        if part:
            segments.append(part)
    return segments


def _lookup(text: str) -> _Piece:
    g = _gazetteer()
    key = _fold(text)
    countries = {g.countries[key]} if key in g.countries else set()
    if not countries and len(key) > 3 and not g.cities.get(key) and not g.regions.get(key):
        code = _country_code(text)
        countries = {code} if code else set()
    return _Piece(text, list(g.cities.get(key, [])), list(g.regions.get(key, [])), countries)


def _pieces(text: str) -> list[_Piece]:
    pieces = []
    for segment in _segments(text):
        piece = _lookup(segment)
        if not piece.known:
            piece = _resolve_unknown(segment) or piece
        if isinstance(piece, list):
            pieces.extend(piece)
        else:
            pieces.append(piece)
    return pieces


def _resolve_unknown(segment: str) -> _Piece | list[_Piece] | None:
    """Segments that are not a name as a whole: 'Greater Chicago Area', 'Sydney NSW',
    'Munich Germany', 'Dallas-Fort Worth'."""
    stripped = _AREA_SUFFIX.sub("", _AREA_PREFIX.sub("", segment)).strip()
    if stripped and stripped != segment:
        piece = _lookup(stripped)
        if piece.known:
            return piece
        segment = stripped
    words = segment.split()
    for k in range(1, min(3, len(words) - 1) + 1):  # "Sydney NSW", "Frankfurt am Main Germany"
        head, tail = " ".join(words[:-k]), " ".join(words[-k:])
        tail_piece = _lookup(tail)
        if tail_piece.regions or tail_piece.countries:
            return [_lookup(head), tail_piece]
    if "-" in segment:  # "Dallas-Fort Worth", "Minneapolis-St. Paul"
        for part in segment.split("-"):
            piece = _lookup(part.strip())
            if piece.cities:
                return piece
    return None


def _city_score(index: int, city: _City, pieces: list[_Piece], hint: str) -> float:
    score = -0.5 * index + 0.1 * math.log10(city.population_k + 1)
    if hint and city.country_code == hint:
        score += 1.5
    for j, other in enumerate(pieces):
        if j == index or not (other.regions or other.countries):
            continue  # a neighbourhood, or another city ("Dallas-Fort Worth")
        if any(r.country_code == city.country_code and r.name == city.region for r in other.regions):
            score += 2
        elif city.country_code in other.countries:
            score += 3
        elif any(r.country_code == city.country_code for r in other.regions):
            score -= 1  # same country, another region: a suburb filed under its county, or a mistake
        else:
            score -= 4  # "Paris, Texas" is not Paris, France
    return score


def parse_location(text: str, *, country_hint: str = "") -> Location:
    """Where a posting's location string points, as far as the offline tables know.

    ``country_hint`` (ISO code or name) breaks ties the text leaves open: "Perth" is
    Perth, Australia unless the hint says GB.
    """
    pieces = _pieces(text)
    if not pieces:
        return Location()
    hint = _country_code(country_hint) if country_hint else ""

    scored = [(_city_score(i, city, pieces, hint), city) for i, p in enumerate(pieces) for city in p.cities]
    if scored:
        score, city = max(scored, key=lambda pair: pair[0])
        if score > MIN_CITY_SCORE:
            return Location(city.name, city.region, city.country_code, country_name(city.country_code), city.timezone)

    # No city we know: the most specific region or country the pieces agree on. A piece
    # like "CO" is both Colorado and Colombia; another piece ("United States") or the
    # hint decides, else the region reading wins (REGION_PREFERENCE).
    readings = []
    for i, piece in enumerate(pieces):
        others = pieces[:i] + pieces[i + 1 :]
        for code, region in [(r.country_code, r) for r in piece.regions] + [(c, None) for c in piece.countries]:
            contradicted = any(q.countries and not q.regions and code not in q.countries for q in others)
            supported = any(code in q.countries for q in others) or code == hint
            preference = REGION_PREFERENCE.get(code, 0) if region else -1
            readings.append(((not contradicted, supported, region is not None, preference, -i), i, code, region))
    if not readings:
        return Location()
    _, i, code, region = max(readings, key=lambda reading: reading[0])
    # an unrecognised name before it is the town: "Smalltown, CO", "Paris, Texas"
    city = next((p.text for p in pieces[:i] if not (p.regions or p.countries) and _PLACE_LIKE.match(p.text)), "")
    if region:
        return Location(city, region.name, code, country_name(code), region.timezone)
    return Location(city, "", code, country_name(code), country_timezone(code))


# --- company names ----------------------------------------------------------------------

_VIA = re.compile(r"\s*[(\[]?\bvia\s+(?:linkedin|indeed|glassdoor|google(?: jobs)?|ziprecruiter|monster)\b[)\]]?", re.I)
_BOARD_TAG = re.compile(r"\s*[(\[](?:verified|hiring|actively hiring|promoted|sponsored|new)[)\]]", re.I)
_CAREERS_SUFFIX = re.compile(
    r"\s*(?:[-–—|:·]\s*)?\b(?:careers?(?: site| page| portal)?|jobs?(?: board| page)?|"
    r"karriere|empleo|emplois?|offres d'emploi|lavora con noi|vacatures)\s*$",
    re.I,
)
_CAREERS_PREFIX = re.compile(r"^(?:careers|jobs|work|karriere)\s+(?:at|with|bei|chez)\s+", re.I)


def company_name_clean(raw: str) -> str:
    """'Hôtel Le Bristol Paris - Careers (via LinkedIn)' → 'Hôtel Le Bristol Paris'."""
    name = html.unescape(raw or "").replace("\u00a0", " ")
    name = _BOARD_TAG.sub("", _VIA.sub("", name))
    name = _CAREERS_PREFIX.sub("", name.strip())
    previous = None
    while previous != name:  # "X Careers | Jobs"
        previous = name
        name = _CAREERS_SUFFIX.sub("", name).strip()
    name = " ".join(name.split()).strip(" -–—|:·,\"'“”")
    return name or " ".join((raw or "").split())


# --- the hiring signal ------------------------------------------------------------------

HOT_MAX_DAYS = 7
WARM_MAX_DAYS = 30

# Who decides about guest communication, distribution and the front office — the roles
# whose hiring means the hotel is feeling exactly the pain we write about.
DECISION_ROLE = re.compile(
    r"\b(?:general manager|gm|assistant general manager|agm|hotel manager|resort manager|managing director|"
    r"hotel director|director of operations|operations (?:manager|director)|head of operations|"
    r"director of rooms|rooms division|front office|front desk|reception\w*|guest (?:services?|relations|experience)|"
    r"night (?:manager|audit\w*)|revenue|reservations?|distribution|e ?commerce|"
    r"directeur|directrice|direttore|director general|director de hotel|gerente|hoteldirektor|betriebsleiter\w*|"
    r"chef de reception|jefe de recepcion|recepcionista|rececionista|ricevimento|rezeption\w*|empfang\w*)\b"
)


def is_decision_role(title: str) -> bool:
    return bool(DECISION_ROLE.search(_fold(title)))


def hiring_tier(title: str, posted_at: datetime.date | None, *, today: datetime.date) -> Tier:
    """Hot, warm or cold, from how fresh the posting is and who is being hired.

    * hot: posted at most 7 days ago for a decision-relevant role (GM, operations,
      front office, revenue/reservations/distribution, guest services);
    * warm: posted at most 30 days ago (any role, or a decision role 8–30 days old);
    * cold: older, or no posting date at all (we cannot tell it is still open).

    A date in the future (a board's clock ahead of ours) counts as posted today.
    """
    if posted_at is None:
        return Tier.COLD
    age = max((today - posted_at).days, 0)
    if age <= HOT_MAX_DAYS and is_decision_role(title):
        return Tier.HOT
    if age <= WARM_MAX_DAYS:
        return Tier.WARM
    return Tier.COLD
