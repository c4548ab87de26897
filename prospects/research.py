"""Stage three's work: what the web says about a hotel (news, guests' pains, competitors).

Contract:
- ``research_prospect(company=, city=, country=, website=, website_analysis=, search=)``
  runs a few queries through ``search`` (a callable ``query -> list[SearchResult]``: the
  sandbox twin or ``prospects.website.search_web``) and returns ``ResearchFindings``.
  Search failures are not caught: the stage runtime retries them.
- Results are sorted into news (expansion, renovation, new GM… in EN/DE/FR/ES/IT),
  review snippets (review sites and OTAs), competitors (other hotels' own sites, never
  the hotel itself, an OTA or a review site; at most five) and social profiles.
- ``pain_signals_from_snippets`` reads review text with a small multilingual lexicon
  and simple negation awareness ("check-in was quick", "no problems with the wifi" do
  not flag); one signal per key, each with a short quote and where it came from.
- The summary comes from the AI gateway; pain keys the model names that the findings
  do not hold are dropped (the model cannot invent pain). Without a provider a
  deterministic fallback writes two or three plain sentences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from pydantic import BaseModel, Field

from infra.ai import complete_json
from infra.links import http_url
from prospects.data.not_hotel_hosts import host_labels, is_directory, is_review_site, social_network
from prospects.dedup import company_key, website_domain
from prospects.providers.search_base import SearchResult

EVIDENCE_MAX = 160
MAX_COMPETITORS = 5
MAX_NEWS = 5


@dataclass
class ResearchFindings:
    summary: str = ""
    news: list[dict] = field(default_factory=list)
    competitors: list[dict] = field(default_factory=list)
    pain_signals: list[dict] = field(default_factory=list)
    social_presence: dict = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    competitor_tools: list[str] = field(default_factory=list)
    provider: str = ""


class ResearchSummary(BaseModel):
    summary: str = Field(max_length=600)
    top_pain_keys: list[str] = Field(default_factory=list, max_length=12)


# --- pain signals ------------------------------------------------------------------------

# generic complaint words (EN, DE, FR, ES, IT) for topics that need a topic word as well
_GENERIC_BAD = [
    r"slow",
    r"bad",
    r"poor",
    r"terrible",
    r"awful",
    r"horrible",
    r"broken",
    r"problems?",
    r"issues?",
    r"not work(?:ing)?",
    r"did(?:n't| not) work",
    r"does(?:n't| not) work",
    r"disappointing",
    r"useless",
    r"langsam",
    r"schlecht",
    r"probleme?",
    r"kaputt",
    r"funktionierte nicht",
    r"nicht funktioniert",
    r"enttäuschend",
    r"miserabel",
    r"lente?",
    r"mauvaise?",
    r"problèmes?",
    r"en panne",
    r"ne fonctionnait pas",
    r"décevante?",
    r"nul(?:le)?",
    r"lento",
    r"lenta",
    r"malo",
    r"mala",
    r"problemas?",
    r"no funcionaba",
    r"roto",
    r"decepcionante",
    r"fatal",
    r"pessim[oa]",
    r"scarso",
    r"scarsa",
    r"non funzionava",
    r"guast[oa]",
    r"deludente",
]

# key: (label, plain phrase for sentences, topic words, complaint words, standalone phrases)
LEXICON: dict[str, tuple[str, str, list[str], list[str], list[str]]] = {
    "slow_checkin": (
        "Slow check-in / queues at reception",
        "slow check-in",
        [
            r"check[- ]?in",
            r"reception",
            r"front desk",
            r"rezeption",
            r"réception",
            r"accueil",
            r"recepción",
            r"recepcion",
            r"reception",
            r"receptionist",
        ],
        [
            r"slow",
            r"queues?",
            r"long line",
            r"wait(?:ed|ing)?",
            r"took (?:ages|forever|\d+ (?:min|minutes|hours?))",
            r"chaotic",
            r"warte(?:n|schlange|zeit)?",
            r"gewartet",
            r"schlange",
            r"langsam",
            r"chaotisch",
            r"ewig",
            r"attente",
            r"attendu",
            r"file",
            r"lent",
            r"colas?",
            r"espera",
            r"esperar",
            r"esperamos",
            r"lento",
            r"coda",
            r"attesa",
            r"aspettato",
            r"aspettare",
            r"lenta?",
        ],
        [
            r"slow check[- ]?in",
            r"queue at (?:the )?reception",
            r"lange warteschlange",
            r"file d'attente",
            r"largas? colas?",
            r"lunga coda",
        ],
    ),
    "dirty_rooms": (
        "Dirty rooms",
        "dirty rooms",
        [
            r"room",
            r"bathroom",
            r"sheets",
            r"towels?",
            r"zimmer",
            r"bad",
            r"chambre",
            r"salle de bain",
            r"habitación",
            r"habitacion",
            r"baño",
            r"camera",
            r"bagno",
        ],
        [
            r"hair",
            r"stains?",
            r"mould",
            r"mold",
            r"haare",
            r"flecken",
            r"schimmel",
            r"cheveux",
            r"taches?",
            r"moisissure",
            r"pelos",
            r"manchas",
            r"moho",
            r"capelli",
            r"macchie",
            r"muffa",
        ],
        [
            r"dirty",
            r"filthy",
            r"not clean",
            r"unclean",
            r"schmutzig",
            r"dreckig",
            r"nicht sauber",
            r"unsauber",
            r"(?:chambre|salle de bain|moquette|draps|serviettes)s? (?:\w+ )?sales?",
            r"(?:était|étaient) sales?",
            r"pas propre",
            r"malpropre",
            r"sucia?",
            r"sucio",
            r"no estaba limpi[oa]",
            r"sporc[ao]",
            r"non pulit[ao]",
        ],
    ),
    "noise": (
        "Noise",
        "noise",
        [],
        [],
        [
            r"noisy",
            r"noise",
            r"loud",
            r"thin walls",
            r"couldn't sleep",
            r"laut",
            r"lärm",
            r"hellhörig",
            r"dünne wände",
            r"bruyante?",
            r"bruit",
            r"murs fins",
            r"ruidos[oa]",
            r"ruido",
            r"paredes finas",
            r"rumoros[oa]",
            r"rumore",
            r"pareti sottili",
        ],
    ),
    "wifi": (
        "Wi-Fi problems",
        "Wi-Fi problems",
        [
            r"wi-?fi",
            r"wlan",
            r"internet",
            r"wireless",
            r"connection",
            r"verbindung",
            r"connexion",
            r"conexión",
            r"conexion",
            r"connessione",
        ],
        _GENERIC_BAD
        + [
            r"dropp(?:ed|ing)",
            r"kept disconnecting",
            r"unusable",
            r"instabile",
            r"inestable",
            r"instable",
            r"instabil",
        ],
        [r"no wi-?fi signal", r"kein wlan", r"pas de wi-?fi"],
    ),
    "unfriendly_staff": (
        "Unfriendly staff",
        "unfriendly staff",
        [],
        [],
        [
            r"unfriendly",
            r"rude",
            r"unhelpful",
            r"impolite",
            r"arrogant",
            r"unfreundlich",
            r"unhöflich",
            r"desinteressiert",
            r"pas aimable",
            r"désagréable",
            r"impoli",
            r"antipathique",
            r"maleducad[oa]",
            r"antipátic[oa]",
            r"poco amable",
            r"grosero",
            r"scortese",
            r"maleducat[oa]",
            r"antipatic[oa]",
        ],
    ),
    "outdated_rooms": (
        "Outdated rooms",
        "outdated rooms",
        [],
        [],
        [
            r"outdated",
            r"dated",
            r"tired (?:decor|rooms?|furniture)",
            r"worn(?:-| )out",
            r"needs? (?:a )?renovation",
            r"in die jahre gekommen",
            r"veraltet",
            r"renovierungsbedürftig",
            r"abgewohnt",
            r"vieillott?e?s?",
            r"vétuste",
            r"défraîchie?s?",
            r"anticuad[oa]s?",
            r"desfasad[oa]",
            r"habitaci[oó]n(?:es)? viej[oa]s?",
            r"muebles viejos",
            r"datat[oa]",
            r"camer[ae] vecchi[ae]",
            r"arredamento vecchio",
            r"fatiscente",
        ],
    ),
    "breakfast": (
        "Breakfast complaints",
        "a disappointing breakfast",
        [r"breakfast", r"frühstück", r"petit[- ]déjeuner", r"desayuno", r"colazione"],
        _GENERIC_BAD
        + [
            r"cold",
            r"limited",
            r"overpriced",
            r"kalt",
            r"dürftig",
            r"überteuert",
            r"froid",
            r"limité",
            r"frío",
            r"escaso",
            r"freddo",
            r"limitat[ao]",
        ],
        [],
    ),
    "parking": (
        "Parking problems",
        "parking problems",
        [
            r"parking",
            r"car park",
            r"garage",
            r"parkplatz",
            r"parkplätze",
            r"parken",
            r"stationnement",
            r"aparcamiento",
            r"parcheggio",
        ],
        _GENERIC_BAD
        + [
            r"expensive",
            r"no space",
            r"impossible",
            r"full",
            r"teuer",
            r"voll",
            r"cher",
            r"complet",
            r"caro",
            r"lleno",
            r"costoso",
            r"pieno",
            r"introuvable",
        ],
        [r"nowhere to park", r"keine parkplätze", r"impossible de se garer", r"imposible aparcar"],
    ),
    "booking_errors": (
        "Booking errors / overbooking",
        "booking errors",
        [r"booking", r"reservation", r"buchung", r"reservierung", r"réservation", r"reserva", r"prenotazione"],
        [
            r"wrong",
            r"lost",
            r"mistakes?",
            r"errors?",
            r"mix-?up",
            r"cancell?ed",
            r"no record",
            r"falsch",
            r"fehler",
            r"verloren",
            r"storniert",
            r"erreur",
            r"perdue",
            r"annulée",
            r"error",
            r"perdida",
            r"equivocada",
            r"errore",
            r"sbagliata",
            r"persa",
        ],
        [r"overbook(?:ed|ing)", r"überbucht", r"surbooking", r"surréservation", r"sobreventa", r"sobrevendido"],
    ),
    "slow_replies": (
        "Slow replies to email/phone",
        "slow replies to emails and calls",
        [
            r"e-?mails?",
            r"phone",
            r"telephone",
            r"calls?",
            r"anrufe?",
            r"telefon",
            r"mails?",
            r"courriels?",
            r"téléphone",
            r"appels?",
            r"correos?",
            r"teléfono",
            r"llamadas?",
            r"telefono",
            r"chiamate",
        ],
        [
            r"no reply",
            r"no answer",
            r"no response",
            r"never (?:replied|answered|responded|called back)",
            r"unanswered",
            r"took (?:days|a week)",
            r"keine antwort",
            r"nie (?:geantwortet|zurückgerufen)",
            r"nicht (?:beantwortet|erreichbar)",
            r"tagelang",
            r"aucune réponse",
            r"jamais répondu",
            r"sans réponse",
            r"injoignable",
            r"sin respuesta",
            r"nunca (?:respondieron|contestaron)",
            r"nadie contest[óo]",
            r"nessuna risposta",
            r"mai rispost[oi]",
            r"senza risposta",
            r"irraggiungibile",
        ],
        [],
    ),
    "hidden_fees": (
        "Hidden fees",
        "hidden fees",
        [],
        [],
        [
            r"hidden (?:fees?|charges?|costs?)",
            r"unexpected (?:fees?|charges?)",
            r"extra charges? at checkout",
            r"versteckte (?:kosten|gebühren)",
            r"zusätzliche gebühren",
            r"frais cachés",
            r"frais supplémentaires",
            r"cargos? ocultos?",
            r"costes? ocultos?",
            r"cargos? adicionales",
            r"costi nascosti",
            r"spese nascoste",
            r"supplementi nascosti",
        ],
    ),
    "ac_heating": (
        "Air conditioning / heating",
        "air conditioning or heating problems",
        [
            r"air[- ]?con(?:ditioning)?",
            r"a/?c",
            r"heating",
            r"heater",
            r"klimaanlage",
            r"klima",
            r"heizung",
            r"climatisation",
            r"clim",
            r"chauffage",
            r"aire acondicionado",
            r"calefacción",
            r"calefaccion",
            r"aria condizionata",
            r"condizionatore",
            r"riscaldamento",
        ],
        _GENERIC_BAD
        + [
            r"too (?:hot|cold)",
            r"freezing",
            r"noisy",
            r"zu (?:warm|kalt|heiß)",
            r"trop (?:chaud|froid)",
            r"demasiado (?:calor|frío)",
            r"troppo (?:caldo|freddo)",
        ],
        [
            r"no (?:air[- ]?con|a/?c|heating)\b",
            r"keine klimaanlage",
            r"pas de climatisation",
            r"sin aire acondicionado",
            r"niente aria condizionata",
        ],
    ),
}

NEGATORS = {
    "no",
    "not",
    "never",
    "without",
    "zero",
    "hardly",
    "barely",
    "nothing",
    "kein",
    "keine",
    "keinen",
    "keiner",
    "keinerlei",
    "nicht",
    "nie",
    "niemals",
    "ohne",
    "pas",
    "sans",
    "aucun",
    "aucune",
    "jamais",
    "ni",
    "ne",
    "n",
    "sin",
    "ningún",
    "ningun",
    "ninguna",
    "ninguno",
    "nunca",
    "tampoco",
    "non",
    "senza",
    "nessun",
    "nessuna",
    "nessuno",
    "mai",
}
_CLAUSE_SPLIT = re.compile(
    r"[.!?;\n]+|\b(?:but|however|although|though|aber|jedoch|allerdings|mais|cependant|pero|sin embargo|ma|però)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WORDS = re.compile(r"[\w']+", re.UNICODE)


def _alternation(patterns: list[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


_COMPILED = {
    key: (_alternation(topics), _alternation(bad), _alternation(standalone))
    for key, (_label, _phrase, topics, bad, standalone) in LEXICON.items()
}


def _negated(clause: str, start: int) -> bool:
    """A negator among the three words before ``start``, in the same comma-separated part."""
    before = clause[:start].rsplit(",", 1)[-1].lower()
    words = _WORDS.findall(before)[-3:]
    return any(w in NEGATORS or w.endswith("n't") for w in words)


def _unnegated(pattern: re.Pattern | None, clause: str) -> re.Match | None:
    if pattern is None:
        return None
    for match in pattern.finditer(clause):
        if not _negated(clause, match.start()):
            return match
    return None


def _clauses(text: str) -> list[tuple[str, int]]:
    """(clause, offset in text): sentences split further at 'but' and its kin."""
    parts, last = [], 0
    for sep in _CLAUSE_SPLIT.finditer(text):
        parts.append((text[last : sep.start()], last))
        last = sep.end()
    parts.append((text[last:], last))
    return [(p, o) for p, o in parts if p.strip()]


def _evidence(text: str, at: int) -> str:
    """The sentence around offset ``at``, cut to EVIDENCE_MAX characters."""
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= at < sentence.end() or sentence.end() >= len(text):
            quote = " ".join(sentence.group().split())
            break
    else:
        quote = " ".join(text.split())
    if len(quote) <= EVIDENCE_MAX:
        return quote
    return quote[: EVIDENCE_MAX - 1].rstrip() + "…"


def _key_match(key: str, clause: str) -> re.Match | None:
    topics, bad, standalone = _COMPILED[key]
    if hit := _unnegated(standalone, clause):
        return hit
    if bad is None:
        return None
    if topics is not None and not topics.search(clause):
        return None
    return _unnegated(bad, clause)


def pain_signals_from_snippets(snippets: list[tuple[str, str]]) -> list[dict]:
    """(text, source_url) pairs → one ``{key, label, evidence, source_url}`` per pain found."""
    found: dict[str, dict] = {}
    for text, source_url in snippets:
        text = text or ""
        for clause, offset in _clauses(text):
            for key, (label, *_rest) in LEXICON.items():
                if key in found:
                    continue
                if hit := _key_match(key, clause):
                    found[key] = {
                        "key": key,
                        "label": label,
                        "evidence": _evidence(text, offset + hit.start()),
                        "source_url": source_url,
                    }
    return list(found.values())


# --- competitor tools ----------------------------------------------------------------------

TOOL_PATTERNS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(pattern, flags))
    for name, pattern, flags in [
        ("Oracle OPERA", r"\bopera\s*(?:pms|cloud|v5)\b|\boracle\s+(?:opera|hospitality)\b", re.I),
        ("Oracle OPERA", r"\bOPERA\b", 0),
        ("Mews", r"\bmews\s*(?:pms|systems|commander|operations|booking engine)\b|\bmews\.(?:com|li)\b", re.I),
        ("Cloudbeds", r"\bcloudbeds\b", re.I),
        ("SiteMinder", r"\bsite\s?minder\b", re.I),
        ("SynXis", r"\bsynxis\b|\bsabre hospitality\b", re.I),
        ("Duetto", r"\bduetto\b", re.I),
        ("IDeaS", r"\bIDeaS\b|\bideas\.com\b|\bideas g3\b", 0),
        ("Revinate", r"\brevinate\b", re.I),
        ("TrustYou", r"\btrust\s?you\b", re.I),
        ("Oaky", r"\boaky\b", re.I),
        ("Canary Technologies", r"\bcanary\s*technologies\b|\bcanarytechnologies\b", re.I),
        ("Protel", r"\bprotel\b", re.I),
        ("Apaleo", r"\bapaleo\b", re.I),
        ("Little Hotelier", r"\blittle\s?hotelier\b", re.I),
        ("HotelRunner", r"\bhotel\s?runner\b", re.I),
        ("D-EDGE", r"\bd-edge\b", re.I),
        ("RoomRaccoon", r"\broom\s?raccoon\b", re.I),
        ("Guestline", r"\bguestline\b", re.I),
        ("Shiji", r"\bshiji\b", re.I),
        ("Stayntouch", r"\bstayntouch\b", re.I),
        ("eviivo", r"\beviivo\b", re.I),
        ("Beds24", r"\bbeds24\b", re.I),
        ("Hotelogix", r"\bhotelogix\b", re.I),
        ("HiJiffy", r"\bhijiffy\b", re.I),
        ("Asksuite", r"\basksuite\b", re.I),
        ("Quicktext", r"\bquicktext\b", re.I),
        ("TravelClick", r"\btravelclick\b", re.I),
        ("OTA Insight", r"\bota\s?insight\b", re.I),
        ("RateGain", r"\brategain\b", re.I),
        ("Bookassist", r"\bbookassist\b", re.I),
    ]
]
TOOL_NAMES = {name for name, _ in TOOL_PATTERNS}
# website_analysis["technology"] categories that name products a hotel already pays for
TOOL_CATEGORIES = ("booking_engine", "pms_hints", "chat")


def competitor_tools_from_text(text: str) -> list[str]:
    """Hotel-software products named in ``text``, canonical names, first mention first."""
    hits: list[tuple[int, str]] = []
    for name, pattern in TOOL_PATTERNS:
        if match := pattern.search(text or ""):
            hits.append((match.start(), name))
    tools: list[str] = []
    for _pos, name in sorted(hits):
        if name not in tools:
            tools.append(name)
    return tools


def _tools_from_analysis(website_analysis: dict | None) -> list[str]:
    technology = (website_analysis or {}).get("technology") or {}
    tools = []
    for category in TOOL_CATEGORIES:
        for name in technology.get(category) or []:
            if isinstance(name, str) and name and name not in tools:
                tools.append(name)
    return tools


# --- classifying results -------------------------------------------------------------------

NEWS_HOST_WORDS = {"news", "presse", "press", "zeitung", "journal", "gazette", "noticias", "notizie", "hospitalitynet"}
NEWS_WORDS = re.compile(
    r"\b(?:renovat\w*|refurbish\w*|opening|opens|opened|reopen\w*|re-open\w*|acquir\w*|acquisition|rebrand\w*|"
    r"new general manager|appoint\w*|expansion|expands?|award\w*|wins|"
    r"renovierung|renoviert|eröffn\w*|wiedereröffn\w*|übernommen|übernahme|neuer? (?:general manager|direktor\w*)|"
    r"erweiterung|auszeichnung|ausgezeichnet|"
    r"rénov\w*|ouverture|réouverture|rachat|racheté|nouveau directeur|agrandissement|prix|récompens\w*|"
    r"reforma\w*|apertura|reapertura|adquiri\w*|adquisición|nuevo director|ampliación|premio|"
    r"ristruttura\w*|riapertura|acquisit\w*|nuovo direttore|ampliamento)\b",
    re.IGNORECASE,
)
DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (?:\d{1,2}, )?20\d{2}|"
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* 20\d{2})\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b20[1-3]\d\b")
HOTEL_WORDS = re.compile(
    r"\b(?:hotel|hôtel|hotels|inn|resort|suites|hostel|albergo|pension|gasthof|gasthaus|lodge|palace|palazzo|"
    r"residenz|residence|boutique|b&b|posada|parador|auberge|locanda|pensione|hostal)\b",
    re.IGNORECASE,
)
LISTICLE = re.compile(r"\b(?:best|top \d+|\d+ best|cheap|deals?|compare|hotels in|hotels near)\b", re.IGNORECASE)


def _is_news_host(url: str) -> bool:
    labels = host_labels(url)
    return any(word in label for label in labels[:-1] for word in NEWS_HOST_WORDS) or "/news" in url.lower()


def _news_date(text: str) -> str:
    if match := DATE.search(text):
        return match.group()
    if match := YEAR.search(text):
        return match.group()
    return ""


def _hotel_name(title: str) -> str:
    name = re.split(r"\s+[|–—-]\s+|\s*\|\s*", title, maxsplit=1)[0]
    return " ".join(name.split())[:120]


def _same_hotel(name: str, company: str) -> bool:
    from rapidfuzz import fuzz

    a, b = company_key(name), company_key(company)
    if not a or not b:
        return False
    return a == b or a in b or b in a or fuzz.token_set_ratio(a, b) >= 90


# --- the research ----------------------------------------------------------------------------


def research_queries(company: str, city: str) -> dict[str, str]:
    place = " ".join(f"{company} {city}".split())
    return {
        "news": f"{place} news",
        "reviews": f"{place} reviews",
        "competitors": f"hotels near {place}",
    }


def research_prospect(
    *,
    company: str,
    city: str,
    country: str = "",
    website: str = "",
    website_analysis: dict | None = None,
    search: Callable[[str], list[SearchResult]],
    providers: list | None = None,
) -> ResearchFindings:
    findings = ResearchFindings()
    own_domain = website_domain(website or (website_analysis or {}).get("url", "") or "")
    sources: list[str] = []
    seen: set[str] = set()
    review_snippets: list[tuple[str, str]] = []
    text_for_tools: list[str] = []

    stored_social = ((website_analysis or {}).get("contact") or {}).get("social") or {}
    social = {network: url for network, url in stored_social.items() if http_url(url)}

    def use(url: str):
        if url and url not in sources:
            sources.append(url)

    for kind, query in research_queries(company, city).items():
        for result in search(query) or []:
            url = http_url(result.url)  # a javascript: or data: result is no source, news or competitor
            if not url or (url, kind) in seen:
                continue
            seen.add((url, kind))
            text = f"{result.title}. {result.snippet}"
            text_for_tools.append(text)
            if network := social_network(url):
                if network not in social:
                    social[network] = url
                    use(url)
                continue
            if kind == "reviews" and is_review_site(url):
                review_snippets.append((result.snippet or result.title, url))
                use(url)
                continue
            if is_directory(url):
                continue
            domain = website_domain(url)
            is_news = _is_news_host(url) or (kind == "news" and NEWS_WORDS.search(text))
            if is_news and kind != "competitors":
                if len(findings.news) < MAX_NEWS and not any(n["url"] == url for n in findings.news):
                    item = {"title": result.title, "url": url, "snippet": result.snippet[:300]}
                    if date := _news_date(text):
                        item["date"] = date
                    findings.news.append(item)
                    use(url)
                continue
            name = _hotel_name(result.title)
            if own_domain and domain == own_domain or _same_hotel(name, company):
                continue
            if kind != "competitors" and not HOTEL_WORDS.search(name):
                continue
            if not name or LISTICLE.search(name) or name[0].isdigit():
                continue
            if len(findings.competitors) >= MAX_COMPETITORS:
                continue
            if any(company_key(c["name"]) == company_key(name) for c in findings.competitors):
                continue
            entry = {"name": name, "url": url}
            if result.snippet:
                entry["note"] = result.snippet[:160]
            findings.competitors.append(entry)
            use(url)

    findings.pain_signals = pain_signals_from_snippets(review_snippets)
    findings.social_presence = social
    findings.sources = sources
    tools = _tools_from_analysis(website_analysis)
    for tool in competitor_tools_from_text("\n".join(text_for_tools)):
        if tool not in tools:
            tools.append(tool)
    findings.competitor_tools = tools

    answer = complete_json(
        purpose="research_summary",
        # the hotel's name and place are outside text too: in the data, never in the instructions
        prompt=(
            "Summarise for a salesperson, in two or three plain sentences (at most 600 characters), what this "
            "research found about the hotel described in the hotel data below: what guests complain about, recent "
            "news and nearby competitors. In top_pain_keys list the keys of findings.pain_signals that matter "
            "most, most important first; use only keys that appear there."
        ),
        schema=ResearchSummary,
        data={
            "hotel": json.dumps({"name": company, "city": city, "country": country}, ensure_ascii=False),
            "findings": json.dumps(_findings_for_ai(findings), ensure_ascii=False),
        },
        fallback=lambda: fallback_summary(findings, company=company, city=city),
        providers=providers,
    )
    summary: ResearchSummary = answer.value
    known = {p["key"] for p in findings.pain_signals}
    top = [key for key in dict.fromkeys(summary.top_pain_keys) if key in known]
    order = {key: i for i, key in enumerate(top)}
    findings.pain_signals.sort(key=lambda p: order.get(p["key"], len(order)))
    findings.summary = summary.summary.strip()

    findings.provider = "sandbox" if getattr(search, "source", "") == "sandbox" else answer.provider
    return findings


def _findings_for_ai(findings: ResearchFindings) -> dict:
    data = asdict(findings)
    for key in ("summary", "provider", "sources"):
        data.pop(key)
    return data


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fallback_summary(findings: ResearchFindings, *, company: str = "", city: str = "") -> ResearchSummary:
    """Two or three plain sentences from the findings alone, no model involved."""
    sentences = []
    keys = [p["key"] for p in findings.pain_signals]
    if keys:
        phrases = [LEXICON[k][1] if k in LEXICON else k for k in keys[:4]]
        sentence = f"Guests mention {_join(phrases)}."
        sentences.append(sentence[0].upper() + sentence[1:])
    else:
        sentences.append("Guest reviews show no recurring complaints.")
    if findings.news:
        item = findings.news[0]
        title = item.get("title", "").rstrip(". ")[:160]
        date = f" ({item['date']})" if item.get("date") and item["date"] not in title else ""
        sentences.append(f"Recent news: {title}{date}.")
    names = [c["name"] for c in findings.competitors[:3]]
    if len(names) > 1:
        sentences.append(f"Nearby competitors include {_join(names)}.")
    elif names:
        sentences.append(f"A nearby competitor is {names[0]}.")
    text = " ".join(sentences)
    if len(text) > 600:
        text = text[:599].rstrip() + "…"
    return ResearchSummary(summary=text, top_pain_keys=keys[:3])
