"""The offline twin of web search and of the hotels' own websites: bundled data, no network.

Contract:
- ``SandboxSearchClient().search(query)`` has the real search clients' signature and
  returns ``SearchResult`` (source ``sandbox``) from prospects/providers/data/sandbox_web/sites.json: one
  entry per distinct hotel of the sandbox job postings. A query that names a hotel
  (any of the names the postings use, accents and case ignored) and its city answers
  what a real engine would: OTAs, review sites and social pages first, the official
  site somewhere among them, then a neighbour hotel's site and a travel blog. Hotels
  without a website (``"site": null``) get the same mix minus the official site, so
  the website finder sees partial data. A query naming only a known city gets that
  city's listings; anything else gets ``[]``. Deterministic: the mix is seeded by the
  hotel id.
- ``SandboxWebTransport`` is an httpx transport that serves those hotels' sites on the
  reserved ``.example`` TLD (RFC 2606), rendered at request time from
  prospects/providers/data/sandbox_web/templates/: home, contact and team pages (the General Manager by
  name on most), section pages, robots.txt, sitemap.xml and a 404. Sites vary the way
  real ones do: WordPress, Wix, Squarespace, Webflow, Drupal or hand-made markup;
  SynXis, SiteMinder, Cloudbeds, Mews or D-EDGE booking engines or none; a missing
  mobile viewport, no meta description, schema.org JSON-LD or not; http-only sites,
  www/apex and language redirects, servers that refuse HEAD, and four sites that are
  down (timeout, HTTP 503, a name that does not resolve). Hosts outside ``.example``
  raise ``httpx.ConnectError``: the twin never reaches the network.
- ``sandbox_web_client()`` is an ``httpx.Client`` over that transport. It is built here
  rather than by ``infra.http.http_client`` because nothing it does touches a network
  (no retries, rate limits or User-Agent policy to apply), and swapping the process-wide
  transport override for one client would race with other threads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.template import Context, Engine

from infra.text import fold, strip_accents
from prospects.providers.search_base import SearchResult

DATA = Path(__file__).parent.parent / "data" / "sandbox_web"
SOURCE = "sandbox"
SANDBOX_TLD = ".example"
MAX_RESULTS = 10
# words a query adds that name no hotel ("<company> <city> official website")
QUERY_NOISE = {"official", "website", "site", "web", "homepage", "officiel", "oficial", "ufficiale", "offizielle"}
# words too common in hotel names to identify one
GENERIC = {"the", "a", "an", "and", "at", "by", "of", "in", "de", "del", "la", "le", "les", "des", "du", "di"}
GENERIC |= {"da", "am"}
GENERIC |= {"hotel", "hotels", "hotell", "inn", "suites", "resort", "spa", "boutique", "collection", "group", "city"}
SECTIONS = {"rooms": "rooms", "dining": "dining", "meetings-events": "meetings", "offers": "offers"}
SERVERS = {"wix": "Pepyaka", "squarespace": "Squarespace", "webflow": "cloudflare", "drupal": "Apache"}
_WORD = re.compile(r"[a-z0-9]+")


def _ascii(text: str) -> str:
    """A name for a URL slug, case kept: 'Hôtel Straße' → 'Hotel Strasse'."""
    return strip_accents(text).replace("ß", "ss")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class SandboxHotel:
    hotel_id: str
    name: str
    aliases: tuple[str, ...]
    city: str
    city_aliases: tuple[str, ...]
    country: str
    site: dict | None

    @property
    def slug(self) -> str:
        return self.hotel_id

    def name_words(self) -> list[set[str]]:
        """The distinctive words of each name the hotel goes by."""
        names = {self.name, *self.aliases}
        return [w - GENERIC - QUERY_NOISE for w in map(_words, names) if w - GENERIC - QUERY_NOISE]

    def in_city(self, words: set[str]) -> bool:
        return any(_words(alias) <= words for alias in self.city_aliases)


@functools.cache
def sandbox_hotels() -> tuple[SandboxHotel, ...]:
    """Every sandbox hotel, with or without a website (ground truth for tests and demos)."""
    document = json.loads((DATA / "sites.json").read_text(encoding="utf-8"))
    return tuple(
        SandboxHotel(
            hotel_id=h["hotel_id"],
            name=h["name"],
            aliases=tuple(h["aliases"]),
            city=h["city"],
            city_aliases=tuple(h["city_aliases"]),
            country=h["country"],
            site=h["site"],
        )
        for h in document["hotels"]
    )


@functools.cache
def _labels() -> dict:
    return json.loads((DATA / "sites.json").read_text(encoding="utf-8"))["labels"]


@functools.cache
def _hosts() -> dict[str, SandboxHotel]:
    """Both the www and the bare host of every site → its hotel."""
    hosts = {}
    for hotel in sandbox_hotels():
        if hotel.site:
            bare = hotel.site["host"].removeprefix("www.")
            hosts[bare] = hosts[f"www.{bare}"] = hotel
    return hosts


def is_sandbox_host(host: str) -> bool:
    return (host or "").lower().rstrip(".").endswith(SANDBOX_TLD)


# --- search --------------------------------------------------------------------------


class SandboxSearchClient:
    """Bundled search results behind the same ``search`` as DuckDuckGo and Google CSE."""

    source = SOURCE

    def search(self, query: str, *, region: str = "wt-wt") -> list[SearchResult]:
        words = _words(query) - QUERY_NOISE
        if not words:
            return []
        hotel = self._best_hotel(words)
        if hotel is not None:
            return _hotel_results(hotel)
        in_city = [h for h in sandbox_hotels() if h.in_city(words)]
        return _city_results(in_city) if in_city else []

    @staticmethod
    def _best_hotel(words: set[str]) -> SandboxHotel | None:
        best, best_key = None, None
        for hotel in sandbox_hotels():
            in_city = hotel.in_city(words)
            for name in hotel.name_words():
                overlap = len(name & words) / len(name)
                # most of a name's own words must be asked for; the city breaks ties
                if overlap < 0.6:
                    continue
                key = (in_city, overlap, len(name))
                if best_key is None or key > best_key:
                    best, best_key = hotel, key
        if best is not None and not best_key[0] and any(h.in_city(words) for h in sandbox_hotels()):
            return None  # a namesake in another city is not the hotel that was asked for
        return best


def _ota_results(hotel: SandboxHotel, rng: random.Random) -> list[SearchResult]:
    name, city, cc = hotel.name, hotel.city, hotel.country.lower()
    # URLs carry the name folded to ASCII, as the sites themselves write it
    underscored = re.sub(r"[^A-Za-z0-9]+", "_", _ascii(name)).strip("_")
    dashed = re.sub(r"[^A-Za-z0-9]+", "-", _ascii(name)).strip("-")
    town = _ascii(city).replace(" ", "_")
    compact = re.sub(r"[^a-z0-9]", "", fold(name))
    geo, review, hid = rng.randint(180000, 190000), rng.randint(190000, 9999999), rng.randint(10000, 999999)
    country = {"gb": "uk"}.get(cc, cc)
    results = [
        SearchResult(
            f"{name}, {city} – Updated 2026 Prices - Booking.com",
            f"https://www.booking.com/hotel/{country}/{hotel.slug}.html",
            f"{name} is located in {city}. Free WiFi, 24-hour front desk. Guests rate the location highly.",
        ),
        SearchResult(
            f"{name.upper()} - Updated 2026 Prices & Hotel Reviews ({city})",
            f"https://www.tripadvisor.com/Hotel_Review-g{geo}-d{review}-Reviews-{underscored}-{town}.html",
            f"{name}, {city}: see {rng.randint(80, 3200)} traveller reviews, candid photos, and great deals.",
        ),
        SearchResult(
            f"{name} | Expedia",
            f"https://www.expedia.com/{town.replace('_', '-')}-Hotels-{dashed}.h{hid}.Hotel-Information",
            f"Book {name} in {city}. Compare prices, read reviews and find deals.",
        ),
        SearchResult(
            f"{name}, {city} | Hotels.com",
            f"https://www.hotels.com/ho{hid + 7}/{hotel.slug}-{fold(city).replace(' ', '-')}/",
            f"Stay at {name} in {city}. Collect stamps and get a reward night.",
        ),
        SearchResult(
            f"{name} | Facebook",
            f"https://www.facebook.com/{compact[:28]}/",
            f"{name}. {rng.randint(900, 48000)} likes · {rng.randint(50, 3000)} were here. Hotel in {city}.",
        ),
        SearchResult(
            f"{name} (@{compact[:24]}) • Instagram photos and videos",
            f"https://www.instagram.com/{compact[:24]}/",
            f"{rng.randint(1, 60)}K followers · {name} · {city}",
        ),
        SearchResult(
            f"{name} in {city} - Room Deals, Photos & Reviews - Agoda",
            f"https://www.agoda.com/{hotel.slug}/hotel/{fold(city).replace(' ', '-')}-{cc}.html",
            f"Best price guarantee for {name}. Instant confirmation.",
        ),
        SearchResult(
            f"{name} – {city} hotel deals | trivago",
            f"https://www.trivago.com/en-US/oar/{hotel.slug}?search=100-{hid}",
            f"Compare prices for {name} from 30+ booking sites.",
        ),
        SearchResult(
            f"Jobs at {name} | Indeed",
            f"https://www.indeed.com/cmp/{dashed}/jobs",
            f"{rng.randint(2, 18)} open jobs at {name} in {city}. Front desk, housekeeping, revenue.",
        ),
    ]
    rng.shuffle(results)
    return results


def _hotel_results(hotel: SandboxHotel) -> list[SearchResult]:
    rng = random.Random(hotel.hotel_id)
    otas = _ota_results(hotel, rng)
    ahead = rng.randint(1, 5)  # how many directories outrank the official site
    results = otas[:ahead]
    if hotel.site:
        results.append(_official_result(hotel))
    results += otas[ahead : ahead + 2]
    neighbours = [h for h in sandbox_hotels() if h.city == hotel.city and h.site and h is not hotel]
    if neighbours:
        results.append(_official_result(rng.choice(neighbours)))
    compact = re.sub(r"\W+", "-", fold(hotel.name)).strip("-")
    results.append(
        SearchResult(
            f"{hotel.name} review: is it worth it? — Wanderlust Diaries",
            f"https://www.wanderlust-diaries.example/{fold(hotel.city).replace(' ', '-')}/{compact}-review/",
            f"We spent three nights at {hotel.name} in {hotel.city}. Here is our honest review of the rooms.",
        )
    )
    return [_sourced(r) for r in results[:MAX_RESULTS]]


def _city_results(hotels: list[SandboxHotel]) -> list[SearchResult]:
    city = hotels[0].city
    results = [
        SearchResult(
            f"THE 10 BEST Hotels in {city} 2026 (from $89) - Tripadvisor",
            f"https://www.tripadvisor.com/Hotels-g{180000 + len(city)}-{city.replace(' ', '_')}-Hotels.html",
            f"Best hotels in {city}: find traveller reviews, candid photos, and prices.",
        ),
        SearchResult(
            f"The 30 best hotels in {city} | Booking.com",
            f"https://www.booking.com/city/{hotels[0].country.lower()}/{fold(city).replace(' ', '-')}.html",
            f"Great savings on hotels in {city}. Good availability and great rates.",
        ),
    ]
    results += [_official_result(h) for h in hotels if h.site][:3]
    return [_sourced(r) for r in results]


def _official_result(hotel: SandboxHotel) -> SearchResult:
    site = hotel.site
    labels = _page_labels(hotel)
    official = f" — {labels['official']}" if _is_chain(hotel) else ""
    return SearchResult(f"{hotel.name} | {labels['tagline']}{official}", site["url"], labels["description"])


def _sourced(result: SearchResult) -> SearchResult:
    return SearchResult(result.title, result.url, result.snippet, SOURCE)


# --- the websites --------------------------------------------------------------------

CHAIN_WORDS = ("hilton", "hampton", "marriott", "courtyard", "residence inn", "moxy", "westin", "hyatt", "holiday inn")
CHAIN_WORDS += ("crowne plaza", "kimpton", "novotel", "mercure", "ibis", "pullman", "nh ", "melia", "radisson")
CHAIN_WORDS += ("motel one", "premier inn", "citizenm", "25hours", "pestana", "taj", "itc", "oberoi", "trident")
CHAIN_WORDS += ("maldron", "starhotels", "rove", "ovolo", "adina", "fiesta americana", "jumeirah", "langham", "hoxton")


def _is_chain(hotel: SandboxHotel) -> bool:
    return any(word in fold(hotel.name) + " " for word in CHAIN_WORDS)


def _page_labels(hotel: SandboxHotel) -> dict[str, str]:
    site = hotel.site
    values = {"name": hotel.name, "city": hotel.city, "stars": site["stars"], "rooms": site["rooms"]}
    return {key: text.format(**values) for key, text in _labels()[site["language"]].items()}


@functools.cache
def _engine() -> Engine:
    return Engine(dirs=[str(DATA / "templates")], autoescape=True)


class SandboxWebTransport(httpx.BaseTransport):
    """Serves the sandbox hotels' websites in-process; every other host fails to connect."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.lower()
        hotel = _hosts().get(host) if is_sandbox_host(host) else None
        if hotel is None:
            raise httpx.ConnectError(f"sandbox: {host} does not resolve (no network in the sandbox)", request=request)
        site = hotel.site
        if site["down"] == "dns":
            raise httpx.ConnectError(f"[Errno -2] Name or service not known: {host}", request=request)
        if site["down"] == "timeout":
            raise httpx.ConnectTimeout("timed out", request=request)
        if site["down"] == "503":
            return _response(request, 503, "<html><body><h1>503 Service Unavailable</h1></body></html>", site)
        if request.url.scheme != site["scheme"]:
            if site["scheme"] == "http":
                raise httpx.ConnectError(f"[Errno 111] Connection refused: {host}:443", request=request)
            return _redirect(request, 301, request.url.copy_with(scheme="https"))
        if host != site["host"]:
            return _redirect(request, 301, request.url.copy_with(host=site["host"]))
        if request.method == "HEAD" and not site["head_allowed"]:
            return _response(request, 405, "", site, extra={"Allow": "GET, POST"})
        if request.method not in ("GET", "HEAD"):
            return _response(request, 405, "", site, extra={"Allow": "GET, HEAD"})
        return self._route(request, hotel)

    def _route(self, request: httpx.Request, hotel: SandboxHotel) -> httpx.Response:
        site, path = hotel.site, request.url.path or "/"
        home = site["home_path"]
        if path == "/" and home != "/":
            return _redirect(request, 302, request.url.copy_with(path=home))
        if path == "/robots.txt":
            body = f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {_base_url(site)}/sitemap.xml\n"
            return _response(request, 200, body, site, content_type="text/plain; charset=utf-8")
        if path == "/sitemap.xml":
            return _response(request, 200, _sitemap(hotel), site, content_type="application/xml; charset=utf-8")
        if path == home:
            return _response(request, 200, _render("home.html", hotel, path), site)
        if path == site["team_page"]:
            return _response(request, 200, _render("team.html", hotel, path), site)
        if path == site["contact_page"]:
            return _response(request, 200, _render("contact.html", hotel, path), site)
        section = path.removeprefix(home).strip("/") if path.startswith(home) else ""
        if section in SECTIONS or section in ("privacy", "legal"):
            return _response(request, 200, _render("section.html", hotel, path, section=section), site)
        return _response(request, 404, _render("not_found.html", hotel, path), site)


def sandbox_web_client(*, timeout: float = 10.0) -> httpx.Client:
    """An httpx client whose only network is the sandbox hotels' websites."""
    return httpx.Client(
        transport=SandboxWebTransport(), follow_redirects=True, timeout=timeout, headers={"User-Agent": "JenguCRM"}
    )


def _base_url(site: dict) -> str:
    return f"{site['scheme']}://{site['host']}"


def _response(request, status, body, site, *, content_type="text/html; charset=utf-8", extra=None) -> httpx.Response:
    content = body.encode("utf-8")
    headers = {"Content-Type": content_type, "Server": SERVERS.get(site["cms"], "nginx")}
    if site["cms"] == "wordpress":
        headers["X-Powered-By"] = "PHP/7.4.33" if site["copyright_year"] <= 2021 else "PHP/8.2.24"
        headers["Link"] = f'<{_base_url(site)}/wp-json/>; rel="https://api.w.org/"'
    elif site["cms"] == "drupal":
        headers["X-Generator"] = "Drupal 10 (https://www.drupal.org)"
    if site["scheme"] == "https" and int(_digest(site["host"], "hsts"), 16) % 2:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    headers.update(extra or {})
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(content))
        return httpx.Response(status, headers=headers, request=request)
    return httpx.Response(status, headers=headers, content=content, request=request)


def _redirect(request: httpx.Request, status: int, location: httpx.URL) -> httpx.Response:
    return httpx.Response(status, headers={"Location": str(location), "Content-Length": "0"}, request=request)


def _sitemap(hotel: SandboxHotel) -> str:
    site, base = hotel.site, _base_url(hotel.site)
    paths = [site["home_path"], site["team_page"], site["contact_page"]]
    paths += [f"{site['home_path']}{section}/" for section in SECTIONS]
    urls = "".join(f"<url><loc>{base}{path}</loc></url>" for path in dict.fromkeys(paths))
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def _render(template: str, hotel: SandboxHotel, path: str, *, section: str = "") -> str:
    context = _page_context(hotel)
    context.update(path=path, contact_is_team=hotel.site["team_page"] == hotel.site["contact_page"])
    if section:
        labels = context["labels"]
        context["section_title"] = labels.get(SECTIONS.get(section, ""), "") or {
            "privacy": labels["privacy"],
            "legal": labels["imprint"],
        }.get(section, section)
    return _engine().get_template(template).render(Context(context))


def _page_context(hotel: SandboxHotel) -> dict:
    site = hotel.site
    key = _digest(hotel.hotel_id)
    base, domain = _base_url(site), site["host"].removeprefix("www.")
    labels = _page_labels(hotel)
    phone_digits = re.sub(r"\D", "", site["phone"])
    return {
        "hotel": hotel,
        "site": site,
        "slug": hotel.slug,
        "labels": labels,
        "chain": _is_chain(hotel),
        "base_url": base,
        "home_path": site["home_path"],
        "cms_id": key[:12],
        "cms_site_id": key[12:36],
        "wp_version": "5.4.2" if site["copyright_year"] <= 2021 else "6.8.3",
        "wp_theme": ("hotelio", "luxury-stay", "hotel-master", "astra")[int(key[:2], 16) % 4],
        "analytics_id": _analytics_id(site["analytics"], key),
        "booking_url": _booking_url(hotel),
        "synxis_chain": str(int(key[:4], 16) % 90000 + 10000),
        "ota_url": f"https://www.booking.com/hotel/{hotel.country.lower()}/{hotel.slug}.html",
        "image_url": _image_url(site, base, key),
        "logo_url": f"{base}/logo.svg",
        "phone_href": f"+{phone_digits}",
        "phone_digits": phone_digits,
        "social": sorted(site["social"].items()),
        "team": _team(hotel, domain, base),
        "json_ld": _json_ld(hotel, base) if site["json_ld"] else "",
        "map_query": f"{hotel.name}, {hotel.city}",
    }


def _analytics_id(kind: str | None, key: str) -> str:
    if kind == "ga4":
        return f"G-{key[:10].upper()}"
    if kind == "gtm":
        return f"GTM-{key[10:17].upper()}"
    if kind == "ua":
        return f"UA-{int(key[:6], 16) % 9000000 + 1000000}-1"
    return ""


def _booking_url(hotel: SandboxHotel) -> str:
    site, engine_id = hotel.site, hotel.site["booking_engine_id"]
    return {
        "synxis": f"https://be.synxis.com/?chain={int(_digest(hotel.hotel_id)[:4], 16) % 90000 + 10000}"
        f"&hotel={engine_id}&locale={site['language']}",
        "siteminder": f"https://direct-book.com/properties/{engine_id}",
        "cloudbeds": f"https://hotels.cloudbeds.com/reservation/{engine_id}",
        "mews": f"https://app.mews.com/distributor/{engine_id}",
        "d-edge": f"https://www.secure-hotel-booking.com/{hotel.slug}/{engine_id}/{site['language']}/",
    }.get(site["booking_engine"] or "", "")


def _image_url(site: dict, base: str, key: str) -> str:
    return {
        "wordpress": f"{base}/wp-content/uploads/2024/03/hero-1920x1080.jpg",
        "wix": f"https://static.wixstatic.com/media/{key[:6]}_{key[6:38]}~mv2.jpg",
        "squarespace": f"https://images.squarespace-cdn.com/content/v1/{key[:24]}/hero.jpg",
        "webflow": f"https://cdn.prod.website-files.com/{key[:24]}/{key[24:36]}_hero.webp",
        "drupal": f"{base}/sites/default/files/styles/hero/public/2024-05/hero.jpg",
    }.get(site["cms"], f"{base}/assets/img/hero.jpg")


def _team(hotel: SandboxHotel, domain: str, base: str) -> list[dict]:
    site = hotel.site
    members = []
    if site["general_manager"]:
        public = site["gm_email_public"]
        members.append({"name": site["general_manager"], "role": site["general_manager_title"], "public": public})
    members += [{"name": m["name"], "role": m["role"], "public": False} for m in site["team"]]
    for member in members:
        local = ".".join(re.sub(r"[^a-z]", "", part) for part in fold(member["name"]).split())
        member["email"] = f"{local}@{domain}" if member.pop("public") else ""
        member["photo"] = f"{base}/images/team/{local.replace('.', '-')}.jpg"
    return members


def _json_ld(hotel: SandboxHotel, base: str) -> str:
    site = hotel.site
    document = {
        "@context": "https://schema.org",
        "@type": "Hotel",
        "name": hotel.name,
        "url": f"{base}{site['home_path']}",
        "telephone": site["phone"],
        "email": site["email"],
        "starRating": {"@type": "Rating", "ratingValue": site["stars"]},
        "numberOfRooms": site["rooms"],
        "address": {
            "@type": "PostalAddress",
            "streetAddress": site["address"]["street"],
            "postalCode": site["address"]["postcode"],
            "addressLocality": site["address"]["city"],
            "addressCountry": hotel.country,
        },
        "sameAs": list(site["social"].values()),
    }
    text = json.dumps(document, ensure_ascii=False)
    # inside <script>, "</script>" in a value would end the element
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
