"""The offline twin of the web searches the research stage runs: invented, deterministic.

Contract:
- ``SandboxResearchSearch()(query)`` has the shape of ``prospects.website.search_web``:
  a query in, ``SearchResult`` (source ``sandbox``) out, no network.
- It answers the research queries (``"<hotel> <city> news"``, ``"<hotel> <city> reviews"``,
  ``"hotels near <hotel> <city>"``) from one invented profile per hotel, seeded with a
  hash of the hotel and city named in the query (a local ``random.Random``, never the
  global one), so the same hotel always gets the same news, reviews and neighbours:
  0–3 news items, 2–6 review snippets (some with complaints, in the city's language or
  English, some praise, some praise phrased with a negation), 2–5 competitors in the
  same city (plus the hotel itself and an OTA listing, as a real engine would), and
  sometimes Instagram and Facebook pages. Every URL is on the reserved ``.example`` TLD.
- Any other query gets ``[]``.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

from infra.text import fold
from prospects.providers.search_base import SearchResult

SOURCE = "sandbox"

CITY_LANGUAGE = {
    "berlin": "de",
    "munchen": "de",
    "munich": "de",
    "hamburg": "de",
    "koln": "de",
    "cologne": "de",
    "frankfurt": "de",
    "stuttgart": "de",
    "dusseldorf": "de",
    "dresden": "de",
    "leipzig": "de",
    "wien": "de",
    "vienna": "de",
    "salzburg": "de",
    "innsbruck": "de",
    "graz": "de",
    "zurich": "de",
    "basel": "de",
    "bern": "de",
    "heidelberg": "de",
    "nurnberg": "de",
    "bremen": "de",
    "hannover": "de",
    "paris": "fr",
    "lyon": "fr",
    "nice": "fr",
    "marseille": "fr",
    "bordeaux": "fr",
    "geneve": "fr",
    "geneva": "fr",
    "lausanne": "fr",
    "strasbourg": "fr",
    "toulouse": "fr",
    "lille": "fr",
    "cannes": "fr",
    "bruxelles": "fr",
    "brussels": "fr",
    "madrid": "es",
    "barcelona": "es",
    "sevilla": "es",
    "seville": "es",
    "valencia": "es",
    "malaga": "es",
    "bilbao": "es",
    "granada": "es",
    "palma": "es",
    "ibiza": "es",
    "marbella": "es",
    "roma": "it",
    "rome": "it",
    "milano": "it",
    "milan": "it",
    "firenze": "it",
    "florence": "it",
    "venezia": "it",
    "venice": "it",
    "napoli": "it",
    "naples": "it",
    "torino": "it",
    "turin": "it",
    "bologna": "it",
    "verona": "it",
    "como": "it",
}

PAINS = {
    "en": [
        "Check-in took forever, we waited 40 minutes at reception.",
        "The room was dirty and there was hair in the bathroom.",
        "Very noisy at night, thin walls and street noise.",
        "The Wi-Fi kept dropping and was useless for work.",
        "Staff at the desk were rude and unhelpful.",
        "Rooms are outdated and need a renovation.",
        "Breakfast was disappointing and overpriced.",
        "Parking was a nightmare, no space and expensive.",
        "They lost our reservation and the booking was wrong.",
        "Emails went unanswered, no reply for a week.",
        "Hidden fees on the final bill, not happy.",
        "The air conditioning was broken during a heatwave.",
    ],
    "de": [
        "Beim Check-in mussten wir ewig an der Rezeption warten.",
        "Das Zimmer war schmutzig, Flecken auf dem Teppich.",
        "Sehr laut in der Nacht, die Wände sind hellhörig.",
        "Das WLAN funktionierte nicht, ständig Abbrüche.",
        "Das Personal war unfreundlich.",
        "Die Zimmer sind in die Jahre gekommen.",
        "Das Frühstück war dürftig und kalt.",
        "Parken ist teuer und die Garage war voll.",
        "Unsere Buchung war falsch, Zimmer überbucht.",
        "Auf E-Mails gab es keine Antwort, telefonisch nicht erreichbar.",
        "Versteckte Kosten bei der Abreise.",
        "Die Klimaanlage war kaputt, viel zu warm.",
    ],
    "fr": [
        "Longue attente à la réception pour le check-in.",
        "La chambre était sale, des cheveux dans la salle de bain.",
        "Hôtel très bruyant la nuit.",
        "Le wifi ne fonctionnait pas dans la chambre.",
        "Personnel pas aimable, accueil désagréable.",
        "Chambres vieillottes et défraîchies.",
        "Petit-déjeuner décevant et cher.",
        "Le parking est complet et très cher.",
        "Erreur dans la réservation, hôtel en surbooking.",
        "Aucune réponse à nos courriels.",
        "Des frais cachés sur la facture.",
        "La climatisation en panne, trop chaud.",
    ],
    "es": [
        "El check-in fue lento, largas colas en recepción.",
        "La habitación estaba sucia.",
        "Muy ruidoso por la noche.",
        "El wifi no funcionaba en la habitación.",
        "Personal poco amable en recepción.",
        "Habitaciones anticuadas, necesitan reforma.",
        "El desayuno fue escaso y decepcionante.",
        "El aparcamiento es caro y estaba lleno.",
        "Hubo un error con la reserva.",
        "Los correos quedaron sin respuesta.",
        "Cargos ocultos en la factura final.",
        "El aire acondicionado no funcionaba.",
    ],
    "it": [
        "Lunga coda alla reception per il check-in.",
        "La camera era sporca.",
        "Hotel rumoroso di notte, pareti sottili.",
        "Il wifi non funzionava quasi mai.",
        "Personale scortese alla reception.",
        "Camere datate e arredamento vecchio.",
        "Colazione deludente e limitata.",
        "Il parcheggio è costoso e sempre pieno.",
        "Errore nella prenotazione all'arrivo.",
        "Nessuna risposta alle email.",
        "Costi nascosti nel conto finale.",
        "L'aria condizionata era guasta.",
    ],
}
PRAISE = {
    "en": [
        "Check-in was quick and the staff were lovely.",
        "No problems with the Wi-Fi, great location.",
        "Spotless room and a fantastic breakfast.",
        "Lovely stay, we would come back.",
        "Quiet room, comfortable bed, friendly team.",
        "Great value for money, no hidden fees.",
    ],
    "de": [
        "Der Check-in ging schnell, sehr freundliches Team.",
        "Keine Probleme mit dem WLAN, super Lage.",
        "Sauberes Zimmer und ein tolles Frühstück.",
        "Ruhiges Zimmer, wir kommen gerne wieder.",
    ],
    "fr": [
        "Check-in rapide, personnel charmant.",
        "Aucun problème avec le wifi, très bien situé.",
        "Chambre impeccable et excellent petit-déjeuner.",
    ],
    "es": [
        "Check-in rápido y personal muy amable.",
        "Ningún problema con el wifi, ubicación excelente.",
        "Habitación impecable y buen desayuno.",
    ],
    "it": [
        "Check-in veloce e personale gentilissimo.",
        "Nessun problema con il wifi, ottima posizione.",
        "Camera pulitissima e colazione ottima.",
    ],
}
REVIEW_SITES = [
    ("tripadvisor", "https://www.tripadvisor.example/Hotel_Review-{slug}.html", "{hotel}, {city} - Tripadvisor"),
    ("booking", "https://www.booking.example/hotel/{slug}.html", "{hotel} – guest reviews – Booking"),
    ("google", "https://www.google.example/travel/hotels/{slug}/reviews", "{hotel} - Google reviews"),
    ("holidaycheck", "https://www.holidaycheck.example/hi/{slug}", "{hotel} in {city} – HolidayCheck"),
    ("trustpilot", "https://www.trustpilot.example/review/{slug}", "{hotel} Reviews | Trustpilot"),
    ("yelp", "https://www.yelp.example/biz/{slug}", "{hotel} - {city} - Yelp"),
]
REVIEW_INTROS = ["", "“", "Reviewed {month} 2026: ", "Guest review: ", "★★☆☆☆ ", "★★★★☆ "]
NEWS = [
    ("{hotel} completes spa renovation", "The {city} property finished a {n}-month renovation of its spa in {date}."),
    ("{hotel} appoints new general manager", "A new general manager takes over at {hotel} from {date}."),
    ("{hotel} reopens after refurbishment", "After a full refurbishment, {hotel} in {city} reopened on {date}."),
    ("{hotel} wins {award}", "{hotel} received the {award} in {date}."),
    ("{hotel} acquired by {group}", "{group} has acquired {hotel} ({city}); the deal closed in {date}."),
    ("{hotel} announces expansion with {n}0 new rooms", "Work on the new wing starts in {date}."),
    ("{hotel} rebrands under {group}", "The rebrand of {hotel} was announced in {date}."),
    ("{hotel} opens rooftop bar", "{hotel} opened a rooftop bar overlooking {city} in {date}."),
]
NEWS_SITES = ["news.example", "hospitality-news.example", "{city}-zeitung.example", "travel-press.example"]
AWARDS = ["Travellers' Choice award", "Green Key award", "regional hospitality award", "Best Boutique Hotel award"]
GROUPS = ["Alpine Hospitality Group", "Meridian Hotels", "Cobalt Stays", "Harbour & Hill Collection"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NEIGHBOURS = {
    "de": [
        "Hotel Lindenhof",
        "Parkhotel {city}",
        "Hotel Am Stadtgarten",
        "Gasthof zur Post",
        "Hotel Sonnenhof",
        "Residenz am Markt",
        "Hotel Goldener Hirsch",
        "Boutique Hotel Kranich",
        "Altstadt Hotel {city}",
    ],
    "fr": [
        "Hôtel du Parc",
        "Hôtel des Arts",
        "Le Petit Hôtel {city}",
        "Hôtel Belle Époque",
        "Auberge du Pont",
        "Hôtel de la Gare",
        "Hôtel Lumière",
    ],
    "es": [
        "Hotel Plaza Mayor",
        "Hostal del Sol",
        "Hotel Los Naranjos",
        "Hotel Puerta de {city}",
        "Posada del Mar",
        "Hotel Mirador",
    ],
    "it": [
        "Albergo del Corso",
        "Hotel Villa Serena",
        "Palazzo {city} Hotel",
        "Locanda del Ponte",
        "Hotel Bellavista",
        "Hotel Duomo",
    ],
    "en": [
        "The Harbour Hotel",
        "Riverside Inn {city}",
        "Kingsley Boutique Hotel",
        "The Linden Suites",
        "Old Town Hotel {city}",
        "Parkview Hotel",
        "The Cedar Lodge",
    ],
}
NEIGHBOUR_NOTES = [
    "{stars}-star hotel {km} km from the centre.",
    "Boutique rooms, rooftop terrace, {km} km away.",
    "Family-run hotel with {rooms} rooms.",
    "Business hotel with meeting rooms and free parking.",
    "Design hotel with spa, {rooms} rooms.",
]
_QUERY = re.compile(r"^(?:(?P<near>hotels near) (?P<a>.+)|(?P<b>.+) (?P<kind>news|reviews))$", re.IGNORECASE)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "hotel"


def _split_place(place: str) -> tuple[str, str]:
    """'Hotel Adler München' → ('Hotel Adler', 'München'): a known city at the end, else the last word."""
    words = place.split()
    for size in (2, 1):
        if len(words) > size and fold(" ".join(words[-size:])).replace(" ", "") in CITY_LANGUAGE:
            return " ".join(words[:-size]), " ".join(words[-size:])
    if len(words) > 1:
        return " ".join(words[:-1]), words[-1]
    return place, ""


@dataclass
class _Profile:
    news: list[SearchResult] = field(default_factory=list)
    reviews: list[SearchResult] = field(default_factory=list)
    neighbours: list[SearchResult] = field(default_factory=list)


class SandboxResearchSearch:
    """Callable ``(query) -> list[SearchResult]``; see the module docstring."""

    source = SOURCE

    def __call__(self, query: str) -> list[SearchResult]:
        match = _QUERY.match(" ".join((query or "").split()))
        if not match:
            return []
        place = match.group("a") or match.group("b")
        hotel, city = _split_place(place)
        profile = self.profile(hotel, city)
        if match.group("near"):
            return profile.neighbours
        return profile.news if match.group("kind").lower() == "news" else profile.reviews

    def profile(self, hotel: str, city: str) -> _Profile:
        seed = int.from_bytes(hashlib.sha256(f"{fold(hotel)}|{fold(city)}".encode()).digest()[:8], "big")
        rng = random.Random(seed)
        language = CITY_LANGUAGE.get(fold(city).replace(" ", ""), "en")
        slug, city_name = _slug(f"{hotel} {city}"), city or "the city"
        profile = _Profile()

        for title, snippet in rng.sample(NEWS, rng.randint(0, 3)):
            date = f"{rng.choice(MONTHS)} {rng.choice([2025, 2026])}"
            values = {
                "hotel": hotel,
                "city": city_name,
                "date": date,
                "n": rng.randint(3, 9),
                "award": rng.choice(AWARDS),
                "group": rng.choice(GROUPS),
            }
            host = rng.choice(NEWS_SITES).format(city=_slug(city_name))
            headline = title.format(**values)
            profile.news.append(
                SearchResult(
                    title=headline,
                    url=f"https://{host}/{_slug(headline)}",
                    snippet=snippet.format(**values),
                    source=SOURCE,
                )
            )

        count = rng.randint(2, 6)
        pains = rng.randint(1, count - 1) if rng.random() < 0.85 else 0
        sites = rng.sample(REVIEW_SITES, min(count, len(REVIEW_SITES)))
        used_pains: set[str] = set()
        for index in range(count):
            lang = language if language != "en" and rng.random() < 0.6 else "en"
            if index < pains:
                pool = [p for p in PAINS[lang] if p not in used_pains]
                text = rng.choice(pool)
                used_pains.add(text)
                if rng.random() < 0.4:
                    text = f"{rng.choice(PRAISE[lang])} {text}"
            else:
                text = " ".join(rng.sample(PRAISE[lang], min(2, len(PRAISE[lang])) if rng.random() < 0.4 else 1))
            _name, url, title = sites[index % len(sites)]
            intro = rng.choice(REVIEW_INTROS).format(month=rng.choice(MONTHS))
            profile.reviews.append(
                SearchResult(
                    title=title.format(hotel=hotel, city=city_name),
                    url=url.format(slug=slug) + (f"?review={index}" if index >= len(sites) else ""),
                    snippet=intro + text,
                    source=SOURCE,
                )
            )
        if rng.random() < 0.55:
            profile.reviews.append(
                SearchResult(
                    title=f"{hotel} (@{slug.replace('-', '')}) • Instagram photos and videos",
                    url=f"https://www.instagram.example/{slug.replace('-', '')}/",
                    snippet=f"{rng.randint(2, 40)}k followers",
                    source=SOURCE,
                )
            )
        if rng.random() < 0.45:
            profile.reviews.append(
                SearchResult(
                    title=f"{hotel} | Facebook",
                    url=f"https://www.facebook.example/{slug}",
                    snippet=f"{hotel}, {city_name}. {rng.randint(1, 20)}k likes.",
                    source=SOURCE,
                )
            )
        rng.shuffle(profile.reviews)

        names = rng.sample(NEIGHBOURS.get(language, NEIGHBOURS["en"]), rng.randint(2, 5))
        neighbours = [
            SearchResult(
                title=f"{name.format(city=city_name)} | Official website",
                url=f"https://www.{_slug(name.format(city=city_name))}.example/",
                snippet=rng.choice(NEIGHBOUR_NOTES).format(
                    stars=rng.randint(3, 5), km=round(rng.uniform(0.2, 3.5), 1), rooms=rng.randint(18, 240)
                ),
                source=SOURCE,
            )
            for name in names
        ]
        neighbours.insert(
            rng.randint(0, len(neighbours)),
            SearchResult(
                title=f"{hotel} – {city_name}",
                url=f"https://www.{slug}.example/",
                snippet="Official site.",
                source=SOURCE,
            ),
        )
        neighbours.insert(
            0,
            SearchResult(
                title=f"Hotels near {hotel}, {city_name} – Booking",
                url=f"https://www.booking.example/landmark/{slug}.html",
                snippet=f"Compare {rng.randint(40, 400)} hotels near {hotel}.",
                source=SOURCE,
            ),
        )
        profile.neighbours = neighbours
        return profile
