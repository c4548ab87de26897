"""LinkedIn's public job search, read without an account.

Contract:
- ``LinkedInJobsClient.search(query, location, page)`` makes one GET to the guest
  endpoint behind https://www.linkedin.com/jobs/search and returns that page's job
  cards as ``PostingFound`` (source ``linkedin``). HTTP and network failures, and a
  redirect to the sign-in wall, raise ``ProviderError``.
- ``parse_search_page(html, today=...)`` is pure. It reads both the guest endpoint's
  bare ``<li>`` fragment and the full search page (``ul.jobs-search__results-list``).
  An empty body (what the guest endpoint answers past the last result) or an empty
  results list is ``[]``; a page with content but no known job card raises
  ``LayoutChanged`` and logs an error, so a redesign is never a silent zero.
- A card without a title or company is skipped and counted (warning); when every card
  lacks them the layout changed. A card without a date or location still counts.
"""

import datetime
import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.clock import utc_today
from infra.http import http_client
from prospects.providers.base import LayoutChanged, PostingFound, ProviderError, posted_ago

logger = logging.getLogger(__name__)

SOURCE = "linkedin"  # prospects.models.JobPosting.Source.LINKEDIN
PAGE_SIZE = 25  # the guest endpoint's ``start`` moves in steps of 25

CARD_SELECTORS = (".base-card", ".job-search-card")
TITLE_SELECTOR = "h3.base-search-card__title"
COMPANY_SELECTOR = "h4.base-search-card__subtitle"
EMPTY_RESULTS_TEXT = ("couldn't find a match", "couldn’t find a match", "no matching jobs found")


class LinkedInJobsClient:
    """LinkedIn's guest job search (the endpoint its public /jobs/search page pages with)."""

    base_url = "https://www.linkedin.com"
    source = SOURCE
    page_size = PAGE_SIZE

    def __init__(self, *, client: httpx.Client | None = None, today: Callable[[], datetime.date] = utc_today):
        self.client = client or http_client(
            base_url=self.base_url, headers={"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9"}
        )
        self.today = today

    def search(self, query: str, location: str = "", page: int = 0) -> list[PostingFound]:
        """GET /jobs-guest/jobs/api/seeMoreJobPostings/search: one page of job cards.

        The public search page https://www.linkedin.com/jobs/search?keywords=…&location=…
        loads further results from this endpoint, ``start`` counting cards; it answers
        bare ``<li>`` cards, and an empty body once the results run out.
        """
        params = {"keywords": query, "start": page * self.page_size}
        if location:
            params["location"] = location
        try:
            response = self.client.get("/jobs-guest/jobs/api/seeMoreJobPostings/search", params=params)
        except httpx.HTTPError as exc:
            raise ProviderError(f"linkedin search failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise ProviderError(f"linkedin search answered HTTP {response.status_code}")
        if response.url.path.startswith(("/authwall", "/login", "/checkpoint")):
            raise ProviderError(f"linkedin sent the search to its sign-in wall ({response.url.path})")
        return parse_search_page(response.text, today=self.today())


def parse_search_page(html: str, *, today: datetime.date) -> list[PostingFound]:
    """The job cards of a LinkedIn search page or guest fragment, in page order."""
    if not html.strip():
        return []
    tree = LexborHTMLParser(html)
    cards = _cards(tree)
    if not cards:
        if tree.css_first("ul.jobs-search__results-list") is not None or _says_no_results(tree):
            return []
        items = len(tree.css("li"))
        raise _layout_changed(
            f"no job card ({', '.join(CARD_SELECTORS)}) in a {len(html)}-character page with {items} <li> items"
        )
    postings = [posting for card in cards if (posting := _posting(card, today)) is not None]
    skipped = len(cards) - len(postings)
    if skipped and not postings:
        raise _layout_changed(f"none of {len(cards)} job cards has a title ({TITLE_SELECTOR}) and company")
    if skipped:
        logger.warning("linkedin: skipped %d of %d job cards without a title or company", skipped, len(cards))
    return postings


def _cards(tree: LexborHTMLParser) -> list[LexborNode]:
    seen, cards = set(), []
    for selector in CARD_SELECTORS:
        for node in tree.css(selector):
            if node.mem_id not in seen:
                seen.add(node.mem_id)
                cards.append(node)
    return cards


def _posting(card: LexborNode, today: datetime.date) -> PostingFound | None:
    title = _text(card.css_first(TITLE_SELECTOR)) or _text(card.css_first("a.base-card__full-link .sr-only"))
    company_node = card.css_first(COMPANY_SELECTOR)
    company = _text(company_node)
    if not title or not company:
        return None
    link = card if card.tag == "a" else card.css_first("a.base-card__full-link")
    company_link = company_node.css_first("a") if company_node is not None else None
    time_node = card.css_first("time")
    posted_text = _text(time_node)
    extra = {
        "job_id": (card.attributes.get("data-entity-urn") or "").rsplit(":", 1)[-1],
        "company_url": _canonical_url(company_link.attributes.get("href") if company_link else ""),
        "salary": _text(card.css_first(".job-search-card__salary-info")),
        "benefits": _text(card.css_first(".job-posting-benefits__text")),
        "posted_text": posted_text,
    }
    return PostingFound(
        source=SOURCE,
        title=title,
        company=company,
        location=_text(card.css_first(".job-search-card__location")),
        posted_at=_posted_date(time_node, posted_text, today),
        url=_canonical_url(link.attributes.get("href") if link else ""),
        snippet=_text(card.css_first(".base-search-card__info") or card),
        extra={key: value for key, value in extra.items() if value},
    )


def _posted_date(time_node: LexborNode | None, text: str, today: datetime.date) -> datetime.date | None:
    if time_node is None:
        return None
    try:
        return datetime.date.fromisoformat(time_node.attributes.get("datetime") or "")
    except ValueError:
        pass
    # no usable datetime attribute: fall back on the visible "2 weeks ago"
    return posted_ago(text, today)


def _canonical_url(href: str | None) -> str:
    """The link without LinkedIn's per-request tracking query (refId, trackingId, position…).

    Those change on every request, and JobPosting is unique per (source, url).
    """
    if not href:
        return ""
    parts = urlsplit(href)
    return urlunsplit((parts.scheme or "https", parts.netloc or "www.linkedin.com", parts.path, "", ""))


def _says_no_results(tree: LexborHTMLParser) -> bool:
    body = tree.body.text(separator=" ").lower() if tree.body is not None else ""
    return any(marker in body for marker in EMPTY_RESULTS_TEXT)


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def _layout_changed(detail: str) -> LayoutChanged:
    logger.error("linkedin: layout changed: %s", detail)
    return LayoutChanged(f"linkedin: layout changed: {detail}")
