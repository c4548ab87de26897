"""Finding a hotel's official website, and keeping its HTML for a week.

Contract:
- ``search_web(query)`` is the configured web search (``prospects.providers.registry.web_search``;
  see ``prospects.providers.web_search`` for the failover). ``SEARCH_PROVIDER`` "sandbox"
  (the default) answers from the bundled index without any network; otherwise
  DuckDuckGo's HTML endpoint runs behind ``CircuitBreaker("search:duckduckgo")`` and,
  when ``GOOGLE_CSE_KEY`` and ``GOOGLE_CSE_ID`` are set, Google Custom Search
  (``search:google_cse``) takes over when DuckDuckGo fails, is blocked, has its circuit
  open, or finds nothing ("google_cse" as SEARCH_PROVIDER puts it first). When every
  provider fails the error propagates (``ProviderError`` or ``CircuitOpen``): an outage
  is retried by the runtime, never recorded as "no website".
- ``search_website(company, city)`` searches "<company> <city> official website".
- ``filter_candidates(results)`` drops OTAs, review sites, directories, social
  networks, job boards and maps (``prospects.data.not_hotel_hosts``), links that are not http(s), files
  (PDF, images), URLs too long for ``Prospect.company_website`` and repeats.
- ``choose_website(company, city, candidates)`` asks the AI gateway which candidate is
  the official site; its answer can only be an index into the candidates or none
  (``WebsitePick``). Without AI keys, or when the providers fail, a scoring rule decides
  (``score_candidate``: the hotel's name in the domain, title and path, the city, an
  "official site" label). An AI pick that shares no word with the hotel's name is
  overruled by the rule: search snippets are written by strangers.
- ``fetch_website(url, now=...)`` returns the stored ``WebsitePage`` when one for that URL
  (as asked or after redirects) was fetched within ``FRESHNESS`` (7 days), with no
  network at all. Otherwise HEAD, then GET, following redirects, each call bounded by
  ``FETCH_TIMEOUT`` and the whole download by ``FETCH_DEADLINE``; the body is cut at
  ``MAX_HTML_BYTES``. An HTML answer is stored (UTF-8) in Django storage and its row
  updated; a dead site (network error, 404, 5xx, not HTML) gives ``None`` and stores
  nothing. Every URL here comes from a stranger (a person, a search result, a link on a
  page), so the network is reached only through ``infra.safe_fetch``: a site on a
  non-public host, or redirecting to one, is refused before any connection and is a
  dead site too. In sandbox mode every ``.example`` host answers in-process: the bundled
  hotels' sites, and any other as a dead site (no DNS lookup).
- ``page_html(page)`` reads the stored HTML back ("" when there is none).
- ``find_website(company=..., city=...)`` runs search → filter → choose → verify: the
  chosen site must answer (else the next candidate the rule accepts is tried). It
  returns a ``WebsiteFinding``; ``url`` is "" when no official site was found.
  Nothing here writes a Prospect: the enrichment stage sets ``company_website``.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone
from pydantic import BaseModel, Field, create_model

from infra.ai import complete_json
from infra.safe_fetch import origin, safe_client, url_problem
from prospects.data.not_hotel_hosts import SECOND_LEVEL, not_hotel_host
from prospects.dedup import city_key, company_key, website_domain
from prospects.extraction import known_city
from prospects.models import WebsitePage
from prospects.providers import registry
from prospects.providers.search_base import SearchResult

logger = logging.getLogger(__name__)

FRESHNESS = datetime.timedelta(days=7)
FETCH_TIMEOUT = 10.0  # seconds per network operation
FETCH_DEADLINE = 20.0  # seconds for a whole download, however slowly it trickles
MAX_HTML_BYTES = 3 * 1024 * 1024
MAX_URL_LENGTH = 300  # Prospect.company_website
MAX_AI_CANDIDATES = 10
MIN_SCORE = 0.35  # below this the rule says "none of these is the hotel's site"
MAX_VERIFY_ATTEMPTS = 3
HTML_TYPES = ("text/html", "application/xhtml+xml")
REFUSES_ROBOTS = (401, 403, 429)  # the site is there but turns scripts away

_FILE_SUFFIXES = (".pdf", ".doc", ".docx", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".xls", ".xlsx", ".zip")

# Words that say little about which hotel a name means; they still count, at a third.
STOPWORDS = {"the", "a", "an", "and", "at", "by", "of", "in", "on", "de", "del", "della", "la", "le", "les", "l"}
STOPWORDS |= {"des", "du", "di", "da", "das", "der", "die", "dem", "am", "im", "y", "e", "et", "und", "no"}
GENERIC = {"hotel", "hotels", "hotell", "hostel", "inn", "suites", "suite", "resort", "resorts", "spa", "boutique"}
GENERIC |= {"collection", "autograph", "luxury", "design", "group", "city", "centre", "center", "downtown"}
GENERIC |= {"apartments", "apartment", "residence", "house", "lodge", "palace", "grand", "international"}
GENERIC |= {"hospitality", "convention", "airport", "beach", "square", "street", "road", "royal", "park"}
GENERIC_WEIGHT = 0.3
# a chain brand in the hotel's name → the parent's domain label, where its page lives
BRAND_PARENTS = {
    "hampton": "hilton",
    "doubletree": "hilton",
    "waldorf": "hilton",
    "conrad": "hilton",
    "embassy": "hilton",
    "curio": "hilton",
    "tapestry": "hilton",
    "courtyard": "marriott",
    "residence": "marriott",
    "moxy": "marriott",
    "westin": "marriott",
    "sheraton": "marriott",
    "autograph": "marriott",
    "aloft": "marriott",
    "fairfield": "marriott",
    "renaissance": "marriott",
    "kimpton": "ihg",
    "holiday": "ihg",
    "crowne": "ihg",
    "intercontinental": "ihg",
    "indigo": "ihg",
    "staybridge": "ihg",
    "novotel": "accor",
    "mercure": "accor",
    "ibis": "accor",
    "pullman": "accor",
    "sofitel": "accor",
    "mgallery": "accor",
    "swissotel": "accor",
    "andaz": "hyatt",
    "regency": "hyatt",
    "ziva": "hyatt",
    "radisson": "radissonhotels",
    "taj": "tajhotels",
    "trident": "tridenthotels",
    "oberoi": "oberoihotels",
    "nh": "nh-hotels",
}
OFFICIAL_LABELS = ("official site", "official website", "site officiel", "sitio oficial", "web oficial")
OFFICIAL_LABELS += ("offizielle website", "sito ufficiale", "site oficial", "officiële website")

WEBSITE_PROMPT = (
    "Which of the numbered web search results is the official website of the hotel named in the "
    '<data name="hotel"> element? The official website is the hotel\'s own site, or its own page on '
    "its hotel chain's brand site (for example a Hilton hotel's page on hilton.com). Booking and "
    "review sites, directories, travel blogs, news, social media and other hotels' sites are not. "
    "Answer with the result's index, or null when none of them is the hotel's official website, "
    "and a short reason."
)


@dataclass(frozen=True)
class WebsiteChoice:
    url: str  # "" when no candidate is the hotel's site
    provider: str  # "grok", "claude", "rule", or "" when there was nothing to choose from
    reason: str
    score: float = 0.0  # the rule's 0–1 score of the chosen candidate


@dataclass
class WebsiteFinding:
    url: str  # the official site as it answered (after redirects), "" when none
    domain: str
    provider: str
    reason: str
    page: WebsitePage | None = None
    score: float = 0.0
    candidates: list[SearchResult] = field(default_factory=list)


@dataclass
class _Download:
    body: bytes | None = None
    final_url: str = ""
    status: int | None = None
    error: str = ""


# --- search --------------------------------------------------------------------------


def search_web(query: str) -> list[SearchResult]:
    """Web results for ``query`` from the configured provider(s); see the module docstring."""
    return registry.web_search().search(query)


def search_website(company: str, city: str) -> list[SearchResult]:
    query = " ".join(f"{company} {city} official website".split())
    return search_web(query)


# --- filtering -----------------------------------------------------------------------


def filter_candidates(results: list[SearchResult]) -> list[SearchResult]:
    """The results that could be a hotel's own website, in their order."""
    kept, seen = [], set()
    for result in results:
        url = (result.url or "").strip()
        try:
            parts = urlsplit(url)
            key = normalize_url(url)
        except ValueError:  # a stranger's link: an unclosed "[" or a port that is no number
            continue
        if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL_LENGTH:
            continue
        if parts.path.lower().endswith(_FILE_SUFFIXES) or not_hotel_host(url):
            continue
        if key in seen:
            continue
        seen.add(key)
        kept.append(result)
    return kept


# --- choosing ------------------------------------------------------------------------


def _name_tokens(company: str, city: str) -> dict[str, float]:
    """The hotel name's words with their weight: 1 if distinctive, less if generic or the city."""
    town = set(city_key(city).split())
    words = [w for w in company_key(company).split() if w not in STOPWORDS]
    tokens = {}
    for word in words or company_key(company).split():
        # a place name (the city, or any city: "Roma" for Rome) is shared by the neighbours
        place = word in town or known_city(word)
        tokens[word] = GENERIC_WEIGHT if word in GENERIC or place else 1.0
    return tokens


def _domain_label(host: str) -> str:
    """'www.hotel-adlon.co.uk' → 'hotel-adlon'; 'all.accor.com' → 'all.accor'."""
    labels = host.lower().rstrip(".").split(".")
    while labels and labels[0] in ("www", "www2", "m"):
        labels = labels[1:]
    if len(labels) > 2 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2:
        labels = labels[:-2]
    elif len(labels) > 1:
        labels = labels[:-1]
    return ".".join(labels)


def _in_domain(token: str, label: str) -> bool:
    pieces = re.split(r"[-.]", label)
    compact = "".join(pieces)
    if len(token) >= 4:
        return token in compact
    # short words ("nh", "itc") only as a whole piece or at the start: not inside other words
    return token in pieces or compact.startswith(token)


def score_candidate(company: str, city: str, result: SearchResult, *, rank: int = 0) -> tuple[float, bool]:
    """(0–1 score, eligible) of one candidate under the scoring rule.

    Eligible means a distinctive word of the name is in the domain, or the domain is the
    parent brand's (a Courtyard's page on marriott.com): a site whose domain has nothing
    of the hotel is a blog, a neighbour or a news page, whatever its title says.
    """
    tokens = _name_tokens(company, city)
    if not tokens:
        return 0.0, False
    total = sum(tokens.values())
    parts = urlsplit(result.url)
    label = _domain_label(parts.hostname or "")
    title_words = set(city_key(result.title).split())
    path_text = " ".join(city_key(parts.path).split())
    path_compact = path_text.replace(" ", "")

    in_domain = {t for t in tokens if _in_domain(t, label)}
    brand = any(t in BRAND_PARENTS and BRAND_PARENTS[t].replace("-", "") in label.replace("-", "") for t in tokens)
    domain_score = max(sum(tokens[t] for t in in_domain) / total, 0.6 if brand else 0.0)
    title_score = sum(w for t, w in tokens.items() if t in title_words) / total
    path_score = sum(w for t, w in tokens.items() if len(t) >= 3 and t in path_compact) / total
    town = city_key(city).replace(" ", "")
    places = (label.replace("-", ""), city_key(result.title).replace(" ", ""), path_compact)
    city_score = 1.0 if town and any(town in place for place in places) else 0.0
    official = any(marker in result.title.lower() for marker in OFFICIAL_LABELS)

    distinctive = {t for t, w in tokens.items() if w == 1.0}
    # a name of common words only ("Hotel Roma") must be nearly all of the domain
    # (hotelroma.it), not a word of it (nh-collection-roma-fori-imperiali.com)
    generic_name_domain = not distinctive and bool(in_domain) and _coverage(label, tokens, town) >= 0.85
    eligible = bool(in_domain & distinctive) or brand or generic_name_domain
    score = 0.5 * domain_score + 0.3 * title_score + 0.1 * city_score + 0.1 * path_score
    score += (0.05 if official else 0.0) - 0.005 * rank
    return round(min(max(score, 0.0), 1.0), 3), eligible


def _coverage(label: str, tokens: dict[str, float], town: str) -> float:
    """How much of the domain label is made of the name's words, common words and the city."""
    compact = re.sub(r"[^a-z0-9]", "", label)
    if not compact:
        return 0.0
    rest = compact
    for word in sorted({*tokens, *GENERIC, *STOPWORDS, town}, key=len, reverse=True):
        if len(word) >= 2:
            rest = rest.replace(word, "")
    return 1 - len(rest) / len(compact)


def rank_candidates(company: str, city: str, candidates: list[SearchResult]) -> list[tuple[float, int]]:
    """(score, index) of the candidates the rule accepts, best first."""
    ranked = []
    for index, result in enumerate(candidates):
        score, eligible = score_candidate(company, city, result, rank=index)
        if eligible and score >= MIN_SCORE:
            ranked.append((score, index))
    return sorted(ranked, key=lambda pair: (-pair[0], pair[1]))


@functools.cache
def _pick_schema(count: int) -> type[BaseModel]:
    """The AI's answer: an index into exactly ``count`` candidates, or null."""
    indexes = Literal[tuple(range(count))]  # type: ignore[valid-type]
    return create_model(
        "WebsitePick",
        index=(indexes | None, Field(description="the official website's result number, or null if none is")),
        reason=(str, Field(max_length=300, description="one short sentence")),
    )


def _shares_a_word(company: str, city: str, result: SearchResult) -> bool:
    tokens = _name_tokens(company, city)
    parts = urlsplit(result.url)
    text = f"{_domain_label(parts.hostname or '')} {city_key(result.title)} {city_key(parts.path)}"
    compact = re.sub(r"[^a-z0-9]", "", text)
    distinctive = [t for t, w in tokens.items() if w == 1.0] or list(tokens)
    return any(t in compact for t in distinctive)


def choose_website(
    company: str, city: str, candidates: list[SearchResult], *, providers: list | None = None
) -> WebsiteChoice:
    """The candidate most likely to be the hotel's official site (AI, else the scoring rule)."""
    candidates = list(candidates)[:MAX_AI_CANDIDATES]
    if not candidates:
        return WebsiteChoice(url="", provider="", reason="no search result besides OTAs and directories")
    schema = _pick_schema(len(candidates))
    ranked = rank_candidates(company, city, candidates)

    def by_rule() -> BaseModel:
        if not ranked:
            return schema(index=None, reason="no result's domain carries the hotel's name")
        score, index = ranked[0]
        return schema(index=index, reason=f"the hotel's name in its domain and title (score {score:.2f})")

    listing = "\n".join(
        f"[{i}] {r.title}\n    {r.url}\n    {' '.join(r.snippet.split())[:240]}" for i, r in enumerate(candidates)
    )
    answer = complete_json(
        purpose="website.choose",
        prompt=WEBSITE_PROMPT,
        schema=schema,
        fallback=by_rule,
        data={"hotel": f"{company}, {city}".strip(", "), "results": listing},
        providers=providers,
    )
    pick, provider = answer.value, ("rule" if answer.provider == "fallback" else answer.provider)
    if pick.index is None:
        return WebsiteChoice(url="", provider=provider, reason=pick.reason)
    chosen = candidates[pick.index]
    if provider != "rule" and not _shares_a_word(company, city, chosen):
        # the answer is bounded to the candidates, but a snippet could still have steered it
        logger.warning(
            "website: %s picked %s for %r, which shares no word with the name", provider, chosen.url, company
        )
        rule = by_rule()
        reason = f"{provider}'s pick {chosen.url} shares no word with the name; rule: {rule.reason}"
        if rule.index is None:
            return WebsiteChoice(url="", provider="rule", reason=reason)
        return WebsiteChoice(
            url=candidates[rule.index].url, provider="rule", reason=reason, score=_score_of(ranked, rule.index)
        )
    score = _score_of(ranked, pick.index) or score_candidate(company, city, chosen, rank=pick.index)[0]
    return WebsiteChoice(url=chosen.url, provider=provider, reason=pick.reason, score=score)


def _score_of(ranked: list[tuple[float, int]], index: int) -> float:
    return next((score for score, i in ranked if i == index), 0.0)


# --- fetching and the HTML cache ---------------------------------------------------------


def normalize_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, a path of at least "/", no fragment.

    Raises ValueError for what cannot be a URL (a bad port, an unclosed "[").
    """
    url = (url or "").strip()
    if "//" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets ("http://::1/" is no URL)
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _fetch_client(url: str) -> httpx.Client:
    sandbox = registry.web_client_for(urlsplit(url).hostname or "", timeout=FETCH_TIMEOUT)
    if sandbox is not None:
        return sandbox
    return safe_client(
        timeout=FETCH_TIMEOUT,
        retries=1,
        headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5", "Accept-Language": "en,*;q=0.5"},
    )


# a refused URL (infra.safe_fetch.UnsafeURL) is an httpx.HTTPError: the site is dead to us
_NO_ANSWER = (httpx.HTTPError, httpx.InvalidURL)


def _download(url: str) -> _Download:
    """HEAD (does it answer, and where does it redirect?) then a bounded GET."""
    with _fetch_client(url) as client:
        try:
            head = client.head(url)
        except _NO_ANSWER as exc:
            return _Download(error=f"{type(exc).__name__}: {exc}")
        if head.status_code in (404, 410) or head.status_code >= 500:
            return _Download(
                status=head.status_code, final_url=str(head.url), error=f"HEAD answered {head.status_code}"
            )
        # some servers refuse HEAD (405) or answer it wrongly; GET is the judge
        target = str(head.url) if head.status_code < 400 else url
        started = time.monotonic()
        try:
            with client.stream("GET", target) as response:
                final_url, status = str(response.url), response.status_code
                if status != 200:
                    return _Download(status=status, final_url=final_url, error=f"GET answered {status}")
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type and content_type not in HTML_TYPES:
                    return _Download(status=status, final_url=final_url, error=f"not HTML ({content_type})")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= MAX_HTML_BYTES:
                        logger.info("website: %s is over %d bytes; keeping the first part", final_url, MAX_HTML_BYTES)
                        break
                    if time.monotonic() - started > FETCH_DEADLINE:
                        return _Download(status=status, final_url=final_url, error="download too slow")
                raw = b"".join(chunks)[:MAX_HTML_BYTES]
                text = _decode(raw, response.headers.get("Content-Type", ""))
        except _NO_ANSWER as exc:
            return _Download(error=f"{type(exc).__name__}: {exc}")
    return _Download(body=text.encode("utf-8"), final_url=final_url, status=status)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.IGNORECASE)


def _decode(raw: bytes, content_type: str) -> str:
    """The page as text: the header's charset, else the page's <meta charset>, else UTF-8."""
    charset = ""
    match = re.search(r"charset=([\w\-]+)", content_type, re.IGNORECASE)
    if match:
        charset = match[1]
    elif meta := _META_CHARSET.search(raw[:4096]):
        charset = meta[1].decode("ascii")
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _fresh_page(url: str, now: datetime.datetime) -> WebsitePage | None:
    pages = WebsitePage.objects.filter(Q(url=url) | Q(final_url=url), fetched_at__gte=now - FRESHNESS)
    for page in pages.exclude(html="").order_by("-fetched_at"):
        if page.html.storage.exists(page.html.name):
            return page
    return None


def fetch_website(url: str, *, now: datetime.datetime | None = None) -> WebsitePage | None:
    """The page at ``url``: from storage when fetched within a week, else from the site."""
    return _fetch(url, now or timezone.now())[0]


def _fetch(url: str, now: datetime.datetime) -> tuple[WebsitePage | None, _Download | None]:
    """(page, None) from the cache; (page or None, what the site answered) from the network."""
    try:
        key = normalize_url(url)
    except ValueError:
        logger.warning("website: not fetching %r, which is not a URL", url[:100])
        return None, None
    if len(key) > WebsitePage._meta.get_field("url").max_length:
        logger.warning("website: not fetching an over-long URL (%d characters)", len(key))
        return None, None
    if problem := url_problem(key):  # not even from the cache: it may hold a page fetched before this check
        logger.warning("website: not fetching %s: it %s", origin(key), problem)
        return None, None
    page = _fresh_page(key, now)
    if page is not None:
        return page, None
    download = _download(key)
    if download.body is None:
        logger.info("website: %s did not answer usefully: %s", key, download.error or download.status)
        return None, download
    return _store(key, download, now), download


def _store(url: str, download: _Download, now: datetime.datetime) -> WebsitePage:
    final_url = normalize_url(download.final_url or url)
    if len(final_url) > WebsitePage._meta.get_field("final_url").max_length:
        final_url = ""
    domain = website_domain(final_url or url)
    storage = WebsitePage._meta.get_field("html").storage
    digest = hashlib.sha1(url.encode()).hexdigest()[:12]
    safe_domain = re.sub(r"[^a-z0-9.\-]", "-", domain)[:80] or "site"
    name = storage.save(f"websites/{now:%Y/%m}/{safe_domain}-{digest}.html", ContentFile(download.body))
    previous = WebsitePage.objects.filter(url=url).values_list("html", flat=True).first()
    page, _ = WebsitePage.objects.update_or_create(
        url=url,
        defaults={
            "final_url": final_url,
            "domain": domain,
            "status_code": download.status,
            "html": name,
            "size_bytes": len(download.body),
            "fetched_at": now,
        },
    )
    if previous and previous != name:
        storage.delete(previous)  # the week-old copy
    return page


def page_html(page: WebsitePage | None) -> str:
    """The stored HTML of ``page`` as text; "" when there is none (or the file went missing)."""
    if page is None or not page.html:
        return ""
    try:
        with page.html.storage.open(page.html.name, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        logger.warning("website: stored HTML %s is missing", page.html.name)
        return ""


# --- the whole finder --------------------------------------------------------------------


def find_website(*, company: str, city: str, providers: list | None = None) -> WebsiteFinding:
    """Search, filter, choose and verify the hotel's official website (see the module docstring)."""
    results = search_website(company, city)  # an outage propagates: the stage is retried
    candidates = filter_candidates(results)
    if not results:
        return WebsiteFinding(url="", domain="", provider="", reason="the search found nothing")
    if not candidates:
        reason = f"only OTAs and directories among {len(results)} search results"
        return WebsiteFinding(url="", domain="", provider="", reason=reason)

    choice = choose_website(company, city, candidates, providers=providers)
    if not choice.url:
        return WebsiteFinding(url="", domain="", provider=choice.provider, reason=choice.reason, candidates=candidates)

    # the chosen site must answer; if it is dead, the rule's next choices get a turn
    tried, notes = [], []
    queue = [(choice.url, choice.provider, choice.reason, choice.score)]
    for score, index in rank_candidates(company, city, candidates):
        queue.append((candidates[index].url, "rule", f"next best by the rule (score {score:.2f})", score))
    for url, provider, reason, score in queue:
        if url in tried or len(tried) >= MAX_VERIFY_ATTEMPTS:
            continue
        tried.append(url)
        page, refused = _verify(url)
        answered = page.final_url if page is not None and page.final_url else normalize_url(url)
        if page is not None and not_hotel_host(answered):
            # a lapsed domain parked for sale, or one forwarded to the hotel's booking.com page
            notes.append(f"{url} redirects to {answered}")
            continue
        if page is not None or refused:
            if refused:
                reason = f"{reason}; the site answers but refuses robots (HTTP {refused})"
            if notes:
                reason = f"{reason}; {'; '.join(notes)}"
            return WebsiteFinding(
                url=answered,
                domain=website_domain(answered),
                provider=provider,
                reason=reason,
                page=page,
                score=score,
                candidates=candidates,
            )
        notes.append(f"{url} did not answer")
    reason = f"{choice.reason}; but " + "; ".join(notes)
    return WebsiteFinding(url="", domain="", provider=choice.provider, reason=reason, candidates=candidates)


def _verify(url: str) -> tuple[WebsitePage | None, int | None]:
    """(page, None) when the site answered with HTML; (None, status) when it is there but turns robots away."""
    page, download = _fetch(url, timezone.now())
    if page is None and download is not None and download.status in REFUSES_ROBOTS:
        return None, download.status
    return page, None
