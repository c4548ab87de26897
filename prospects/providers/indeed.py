"""Indeed's job search result pages.

Contract:
- ``IndeedJobsClient.search(query, location, page)`` makes one GET to
  ``/jobs?q=…&l=…&start=…`` on the Indeed site of ``base_url`` (www.indeed.com,
  uk.indeed.com, de.indeed.com…) and returns its result cards as ``PostingFound``
  (source ``indeed``). HTTP and network failures raise ``ProviderError``.
- ``parse_search_page(html, today=..., base_url=...)`` is pure. It reads the current
  card layout (``div.job_seen_beacon``) and the older one (``div.jobsearch-SerpJobCard``).
  Indeed's "did not match any jobs" page is ``[]``. A bot check (hCaptcha, Cloudflare)
  raises ``ProviderError`` saying we were blocked; any other page with no known result
  card raises ``LayoutChanged`` and logs an error, so a redesign is never a silent zero.
- Indeed shows relative dates ("Posted 3 days ago", "Just posted", "30+ days ago");
  they become dates counted back from the injected ``today``. "Active 3 days ago" is
  the employer's activity, not the posting date, so it gives no date.
- A card without a title or company is skipped and counted (warning); when every card
  lacks them the layout changed. A card without a date or location still counts.
"""

import datetime
import logging
from collections.abc import Callable

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.clock import utc_today
from infra.http import http_client
from prospects.providers.base import LayoutChanged, PostingFound, ProviderError, posted_ago

logger = logging.getLogger(__name__)

SOURCE = "indeed"  # prospects.models.JobPosting.Source.INDEED
PAGE_SIZE = 10  # Indeed's ``start`` moves in steps of 10 whatever the page shows
DEFAULT_SITE = "https://www.indeed.com"

CARD_SELECTORS = ("div.job_seen_beacon", "div.jobsearch-SerpJobCard")
TITLE_SELECTORS = ("h2.jobTitle a span[title]", "h2.jobTitle a", "a.jobtitle", "h2.jobTitle", "h2.title")
COMPANY_SELECTORS = ("span[data-testid=company-name]", "span.companyName", "span.company", "div.company")
LOCATION_SELECTORS = ("div[data-testid=text-location]", "div.companyLocation", ".location")
DATE_SELECTORS = ("span[data-testid=myJobsStateDate]", "span.date")
SNIPPET_SELECTORS = ("[data-testid=jobsnippet_footer]", "div.job-snippet", "div.summary")
SALARY_SELECTORS = (".salary-snippet-container", ".salaryText")
NO_RESULTS_SELECTORS = (".jobsearch-NoResult-messageContainer", "[data-testid=noResultsMessage]")
NO_RESULTS_TEXT = ("did not match any jobs",)
BOT_CHECK_SELECTORS = (".h-captcha", "#h-captcha", "iframe[src*=hcaptcha]", "#challenge-form", "#cf-challenge-running")
BOT_CHECK_TITLES = ("security check", "just a moment", "hcaptcha", "attention required")


class IndeedJobsClient:
    """Indeed job search (one Indeed country site per client)."""

    base_url = DEFAULT_SITE
    source = SOURCE
    page_size = PAGE_SIZE

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client: httpx.Client | None = None,
        today: Callable[[], datetime.date] = utc_today,
    ):
        if base_url:
            self.base_url = base_url.rstrip("/")
        self.client = client or http_client(
            base_url=self.base_url, headers={"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9"}
        )
        self.today = today

    def search(self, query: str, location: str = "", page: int = 0) -> list[PostingFound]:
        """GET /jobs?q=…&l=…&start=…: one page of result cards.

        The search page people use, e.g. https://www.indeed.com/jobs?q=front+desk+manager&l=Denver%2C+CO
        (the query syntax is described at https://www.indeed.com/advanced_search).
        """
        params = {"q": query, "start": page * self.page_size}
        if location:
            params["l"] = location
        try:
            response = self.client.get("/jobs", params=params)
        except httpx.HTTPError as exc:
            raise ProviderError(f"indeed search failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise ProviderError(f"indeed search answered HTTP {response.status_code}")
        return parse_search_page(response.text, today=self.today(), base_url=self.base_url)


def parse_search_page(html: str, *, today: datetime.date, base_url: str = DEFAULT_SITE) -> list[PostingFound]:
    """The result cards of an Indeed search page, in page order (ads and widgets left out)."""
    if not html.strip():
        # not Indeed's "no results" page (which has content): a broken answer
        logger.error("indeed: the search answered an empty page")
        raise ProviderError("indeed: the search answered an empty page")
    tree = LexborHTMLParser(html)
    if _is_bot_check(tree):
        logger.error("indeed: blocked by a bot check (captcha page) instead of results")
        raise ProviderError("indeed: blocked by a bot check (captcha page); slow down or try again later")
    cards = _first_match(tree, CARD_SELECTORS)
    if not cards:
        if _first_match(tree, NO_RESULTS_SELECTORS) or _says(tree, NO_RESULTS_TEXT):
            return []
        raise _layout_changed(f"no result card ({', '.join(CARD_SELECTORS)}) in a {len(html)}-character page")
    postings = [posting for card in cards if (posting := _posting(card, today, base_url)) is not None]
    skipped = len(cards) - len(postings)
    if skipped and not postings:
        raise _layout_changed(f"none of {len(cards)} result cards has a title (h2.jobTitle) and company")
    if skipped:
        logger.warning("indeed: skipped %d of %d result cards without a title or company", skipped, len(cards))
    return postings


def _posting(card: LexborNode, today: datetime.date, base_url: str) -> PostingFound | None:
    title = _title(card)
    company = _text(_first(card, COMPANY_SELECTORS))
    if not title or not company:
        return None
    job_key = card.attributes.get("data-jk") or ""
    if not job_key and (keyed := card.css_first("[data-jk]")) is not None:
        job_key = keyed.attributes.get("data-jk") or ""
    posted_text = _own_text(_first(card, DATE_SELECTORS))
    extra = {
        "job_key": job_key,
        "salary": _text(_first(card, SALARY_SELECTORS)),
        "posted_text": posted_text,
    }
    return PostingFound(
        source=SOURCE,
        title=title,
        company=company,
        location=_text(_first(card, LOCATION_SELECTORS)),
        posted_at=_posted_date(posted_text, today),
        url=f"{base_url.rstrip('/')}/viewjob?jk={job_key}" if job_key else "",
        snippet=_text(_first(card, SNIPPET_SELECTORS)),
        extra={key: value for key, value in extra.items() if value},
    )


def _title(card: LexborNode) -> str:
    node = _first(card, TITLE_SELECTORS)
    if node is None:
        return ""
    # the title attribute holds the plain title; the text may carry "new" badges or <b> highlights
    return " ".join((node.attributes.get("title") or node.text(separator=" ")).split())


def _posted_date(text: str, today: datetime.date) -> datetime.date | None:
    """Indeed's relative date as a date: "Posted 3 days ago" → today − 3 days.

    "30+ days ago" gives today − 30 (the posting is at least that old).
    """
    lowered = text.lower()
    if not lowered or "active" in lowered:
        return None
    if "just posted" in lowered or "today" in lowered:
        return today
    return posted_ago(lowered, today)


def _is_bot_check(tree: LexborHTMLParser) -> bool:
    title = _text(tree.css_first("title")).lower()
    return any(marker in title for marker in BOT_CHECK_TITLES) or bool(_first_match(tree, BOT_CHECK_SELECTORS))


def _first_match(tree: LexborHTMLParser | LexborNode, selectors: tuple[str, ...]) -> list[LexborNode]:
    """The nodes of the first selector that finds any: layouts are tried newest first."""
    for selector in selectors:
        if nodes := tree.css(selector):
            return nodes
    return []


def _first(node: LexborNode, selectors: tuple[str, ...]) -> LexborNode | None:
    for selector in selectors:
        if (found := node.css_first(selector)) is not None:
            return found
    return None


def _says(tree: LexborHTMLParser, phrases: tuple[str, ...]) -> bool:
    body = tree.body.text(separator=" ").lower() if tree.body is not None else ""
    return any(phrase in body for phrase in phrases)


def _own_text(node: LexborNode | None) -> str:
    """The node's own text, without its children's: Indeed puts a screen-reader label
    ("Posted", "Employer") in a child span before the visible "3 days ago"."""
    if node is None:
        return ""
    return " ".join(node.text(deep=False).split()) or _text(node)


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def _layout_changed(detail: str) -> LayoutChanged:
    logger.error("indeed: layout changed: %s", detail)
    return LayoutChanged(f"indeed: layout changed: {detail}")
