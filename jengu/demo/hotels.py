"""Who the demo's hotels and people are: a place, a property, its manager and an address.

Contract: ``Hotels.draw(stage)`` returns the place and an unsaved ``Prospect`` (the hotel,
its person, its time zone) and the ``Context`` its emails and replies may mention, drawn
from the dice's current stream. Nothing repeats what is already there: ``Taken`` holds
the hotels (by the dedup keys the database's one-prospect-per-hotel constraint uses),
domains, addresses, suppression hashes and job adverts on record or drawn so far.
Every address and website is on the reserved ``.example`` domain (RFC 2606).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.text import slugify

from jengu.demo.calendar import Whereabouts
from jengu.demo.catalogue import (
    BRANDS,
    COUNTRIES,
    HEAD_OFFICES,
    HQ_TITLES,
    INDEPENDENT_TITLES,
    INDEPENDENTS,
    JOB_TITLES,
    LOCAL_TITLES,
    PAIN_SIGNALS,
    PEOPLE,
    PMS,
    PROPERTY_TITLES,
    ROOMS,
    City,
    Country,
)
from jengu.demo.dice import Dice
from outreach.models import Suppression
from prospects.dedup import city_key, company_key, website_domain
from prospects.models import CompanyType, JobPosting, MarketTier, Prospect, ProspectStage, Tier


def ascii_slug(text: str) -> str:
    return slugify(text.replace("ß", "ss").replace("&", "and"))


@dataclass
class Taken:
    """What already exists, so a second batch never trips a unique constraint.

    Hotels are compared by the dedup keys (prospects.dedup), exactly as the database's
    one-prospect-per-hotel constraint compares them.
    """

    emails: set[str]
    hotels: set[tuple[str, str]]
    domains: set[str]
    hashes: set[str]
    postings: set[tuple[str, str]]

    @classmethod
    def from_database(cls) -> Taken:
        rows = Prospect.objects.values_list("email", "company_name", "city", "company_website")
        return cls(
            emails={email.lower() for email, *_ in rows if email},
            hotels={(company_key(name), city_key(city)) for _, name, city, _ in rows},
            domains={website_domain(site) for *_, site in rows if site},
            hashes=set(Suppression.objects.values_list("value_hash", flat=True)),
            postings=set(JobPosting.objects.exclude(url="").values_list("source", "url")),
        )


@dataclass
class Context:
    """What the templates of one prospect's emails and replies may mention."""

    first: str = ""
    lang: str = "en"
    domain: str = ""
    rooms: int = 0
    pms: str = ""
    job: str = ""
    pain: str = ""
    currency: str = "€"
    subject: str = ""


class Hotels:
    def __init__(self, dice: Dice, taken: Taken, open_now: Callable[[Whereabouts], bool]):
        self.dice = dice
        self.taken = taken
        self.open_now = open_now  # whether the sender would send there now

    def draw(self, stage: str) -> tuple[Country, City, Prospect, Context]:
        """A new hotel for a prospect that will be in ``stage``: its place, the prospect, its context."""
        country, city = self.place(stage)
        return country, city, *self.prospect(country, city)

    def place(self, stage: str) -> tuple[Country, City]:
        places = [(country, city) for country in COUNTRIES for city in country.cities]
        weights = [country.weight / len(country.cities) for country, _ in places]
        if stage in (ProspectStage.SENDING, ProspectStage.SENT):
            # a send in flight right now must be inside the prospect's business hours
            open_now = [
                i
                for i, (country, city) in enumerate(places)
                if self.open_now(Whereabouts(city.tz, country.code, city.region))
            ]
            if open_now:
                places = [places[i] for i in open_now]
                weights = [weights[i] for i in open_now]
        return self.dice.rng.choices(places, weights=weights)[0]

    def person(self, country: Country) -> tuple[str, str, str, str]:
        pool = self.dice.weighted(country.people)
        firsts, lasts = PEOPLE[pool]
        first, gender = self.dice.rng.choice(firsts)
        return first, self.dice.rng.choice(lasts), gender, pool

    def address(self, first: str, last: str, domain: str) -> str:
        first_part, last_part = ascii_slug(first).replace("-", ""), ascii_slug(last).replace("-", "")
        shapes = [f"{first_part}.{last_part}", f"{first_part[0]}{last_part}", first_part, f"gm.{first_part}"]
        for local in [self.dice.weighted(zip(shapes, [6, 3, 2, 1], strict=True)), *shapes]:
            address = f"{local}@{domain}"
            if address not in self.taken.emails:
                break
        else:
            address = f"{first_part}.{last_part}{self.dice.rng.randint(2, 999)}@{domain}"
        self.taken.emails.add(address)
        return address

    def _property(self, country: Country, city: City) -> tuple[str, str, str, str]:
        """A hotel not on record yet: (company type, name, web domain, market tier)."""
        rng, weighted = self.dice.rng, self.dice.weighted
        kind = weighted([(CompanyType.FRANCHISE, 50), (CompanyType.INDEPENDENT, 42), (CompanyType.CHAIN_HQ, 8)])
        name = domain = tier = None
        for _ in range(40):
            if kind == CompanyType.CHAIN_HQ and country.code in HEAD_OFFICES:
                name = HEAD_OFFICES[country.code]
                domain = ascii_slug(name.replace("GmbH", ""))
                tier = weighted([(MarketTier.UPSCALE, 1), (MarketTier.MIDSCALE, 2)])
            elif kind == CompanyType.INDEPENDENT:
                name = rng.choice(INDEPENDENTS[country.code])
                domain = f"{ascii_slug(name.removeprefix('The '))}-{ascii_slug(city.name)}"
                tier = weighted(
                    [(MarketTier.LUXURY, 2), (MarketTier.UPSCALE, 4), (MarketTier.MIDSCALE, 3), (MarketTier.ECONOMY, 1)]
                )
            else:
                kind = CompanyType.FRANCHISE
                pattern, short, tier, _countries = rng.choice([b for b in BRANDS if country.code in b[3].split()])
                area = rng.choice(country.areas)
                name = pattern.format(city=city.name, area=area)
                domain = f"{short}-{ascii_slug(city.name)}-{ascii_slug(area)}"
            domain += ".example"
            if (company_key(name), city_key(city.name)) not in self.taken.hotels and domain not in self.taken.domains:
                break
            kind = weighted([(CompanyType.FRANCHISE, 1), (CompanyType.INDEPENDENT, 1)])
        else:  # a very large batch ran out of names: number the property
            base, number = name, 2
            while (company_key(f"{base} {number}"), city_key(city.name)) in self.taken.hotels:
                number += 1
            name, domain = f"{base} {number}", f"{domain.removesuffix('.example')}-{number}.example"
        self.taken.hotels.add((company_key(name), city_key(city.name)))
        self.taken.domains.add(domain)
        return kind, name, domain, tier

    def _title(self, kind: str, country: Country, gender: str) -> str:
        rng = self.dice.rng
        if kind == CompanyType.CHAIN_HQ:
            return rng.choice(HQ_TITLES)
        if kind == CompanyType.INDEPENDENT and country.lang in LOCAL_TITLES and rng.random() < 0.4:
            return rng.choice(LOCAL_TITLES[country.lang][gender])
        return self.dice.weighted(INDEPENDENT_TITLES if kind == CompanyType.INDEPENDENT else PROPERTY_TITLES)

    def prospect(self, country: Country, city: City) -> tuple[Prospect, Context]:
        rng = self.dice.rng
        kind, name, domain, tier = self._property(country, city)
        first, last, gender, _pool = self.person(country)
        title = self._title(kind, country, gender)
        email = self.address(first, last, domain)
        low, high = ROOMS[tier]
        rooms = rng.randint(low, high) if kind != CompanyType.INDEPENDENT else rng.randint(12, 90)
        phone = "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in city.phone)
        prospect = Prospect(
            name=f"{first} {last}",
            email=email,
            phone=phone,
            title=title,
            linkedin_url=f"https://www.linkedin.com/in/{ascii_slug(first + ' ' + last)}-{rng.getrandbits(24):06x}",
            company_name=name,
            company_website=f"https://www.{domain}",
            company_type=kind,
            country=country.code,
            region=city.region,
            city=city.name,
            timezone=city.tz,
            market_tier=tier,
            tier=self.dice.weighted([(Tier.HOT, 1), (Tier.WARM, 2), (Tier.COLD, 1)]),
            trace_id=self.dice.uuid(),
        )
        ctx = Context(
            first=first,
            lang=country.lang,
            domain=domain,
            rooms=rooms,
            pms="Oracle OPERA Cloud" if kind != CompanyType.INDEPENDENT and rng.random() < 0.6 else rng.choice(PMS),
            job=rng.choice(JOB_TITLES[country.lang]),
            pain=rng.choice(PAIN_SIGNALS),
            currency=country.currency,
        )
        return prospect, ctx
