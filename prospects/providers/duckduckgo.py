"""DuckDuckGo's HTML search (https://html.duckduckgo.com/html/), read without an account.

Contract:
- ``DuckDuckGoClient.search(query, region=...)`` makes one POST of the search form
  (``q``, ``kl``) and returns the organic results of the first page as ``SearchResult``
  (source ``duckduckgo``). HTTP and network failures raise ``ProviderError``.
- ``parse_results(html)`` is pure. It reads ``div.result`` blocks: the title and link
  from ``a.result__a``, the snippet from ``.result__snippet``. Links wrapped by
  DuckDuckGo's redirector (``//duckduckgo.com/l/?uddg=<url-encoded target>&rut=…``) are
  unwrapped; plain links are kept as they are. Ads (``result--ad`` blocks, links through
  ``duckduckgo.com/y.js``) and non-http(s) links are dropped.
- DuckDuckGo's own "No results." block is ``[]``. Its bot check (the anomaly modal /
  challenge form, usually with HTTP 202) raises ``ProviderError``: a blocked search is
  an outage to retry, never a hotel without a website. A page with content but no
  result block and no marker raises ``LayoutChanged`` and logs an error, so a redesign
  is never a silent zero; so does an empty body.
"""

import logging
from urllib.parse import parse_qs, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.http import http_client
from prospects.providers.base import LayoutChanged, ProviderError
from prospects.providers.search_base import SearchResult

logger = logging.getLogger(__name__)

SOURCE = "duckduckgo"
BLOCK_SELECTOR = "div.result"
LINK_SELECTOR = "a.result__a"
SNIPPET_SELECTOR = ".result__snippet"
AD_CLASSES = ("result--ad", "result--ad--small")
AD_LINK_MARKERS = ("duckduckgo.com/y.js", "/y.js?")
NO_RESULTS_SELECTORS = ("div.result--no-result", "div.no-results")
CHALLENGE_SELECTORS = ("form#challenge-form", ".anomaly-modal__modal", ".anomaly-modal__title", "div.anomaly-modal")
CHALLENGE_TEXT = ("bots use duckduckgo too", "anomaly.js")


class DuckDuckGoClient:
    """DuckDuckGo's no-JavaScript results page, the one its HTML form posts to."""

    base_url = "https://html.duckduckgo.com"
    source = SOURCE

    def __init__(self, *, client: httpx.Client | None = None):
        self.client = client or http_client(
            base_url=self.base_url,
            timeout=15.0,
            headers={"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9", "Referer": f"{self.base_url}/"},
        )

    def search(self, query: str, *, region: str = "wt-wt") -> list[SearchResult]:
        """POST /html/ with the form fields ``q`` and ``kl`` (region, "wt-wt" = no region).

        The page is https://html.duckduckgo.com/html/ (DuckDuckGo's "HTML version",
        https://duckduckgo.com/duckduckgo-help-pages/settings/params/ lists ``kl``).
        A bot check comes back as HTTP 202 with the anomaly page.
        """
        try:
            response = self.client.post("/html/", data={"q": query, "kl": region})
        except httpx.HTTPError as exc:
            raise ProviderError(f"duckduckgo search failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code not in (200, 202):
            raise ProviderError(f"duckduckgo search answered HTTP {response.status_code}")
        results = parse_results(response.text)
        if response.status_code == 202 and not results:
            raise ProviderError("duckduckgo answered HTTP 202 without results (rate limited)")
        return results


def parse_results(html: str) -> list[SearchResult]:
    """The organic results of a DuckDuckGo HTML page, in page order, ads left out."""
    if not html.strip():
        raise _layout_changed("an empty body")
    tree = LexborHTMLParser(html)
    if _is_challenge(tree, html):
        logger.warning("duckduckgo: bot check (anomaly page) instead of results")
        raise ProviderError("duckduckgo asked for a human check (anomaly page): searching is blocked for now")
    blocks = tree.css(BLOCK_SELECTOR)
    no_results = any(tree.css_first(selector) is not None for selector in NO_RESULTS_SELECTORS)
    organic = [block for block in blocks if not _is_marker_block(block)]
    if not organic:
        if no_results:
            return []
        raise _layout_changed(f"no result block ({BLOCK_SELECTOR}) in a {len(html)}-character page")
    results, ads, unreadable = [], 0, 0
    for block in organic:
        if _is_ad(block):
            ads += 1
            continue
        result = _result(block)
        if result is None:
            unreadable += 1
        else:
            results.append(result)
    if unreadable and not results:
        raise _layout_changed(f"none of {unreadable} result blocks has a link ({LINK_SELECTOR})")
    if unreadable:
        logger.warning("duckduckgo: skipped %d of %d result blocks without a usable link", unreadable, len(organic))
    if ads:
        logger.debug("duckduckgo: dropped %d ads", ads)
    return results


def unwrap_link(href: str) -> str:
    """'//duckduckgo.com/l/?uddg=https%3A%2F%2Fwww.hotel.de%2F&rut=…' → 'https://www.hotel.de/'."""
    href = (href or "").strip()
    if href.startswith("//"):
        href = f"https:{href}"
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    if (host in ("", "duckduckgo.com") or host.endswith(".duckduckgo.com")) and parts.path.startswith("/l/"):
        target = parse_qs(parts.query).get("uddg", [""])[0]
        return target.strip()
    return href


def _result(block: LexborNode) -> SearchResult | None:
    link = block.css_first(LINK_SELECTOR)
    if link is None:
        return None
    url = unwrap_link(link.attributes.get("href") or "")
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    title = _text(link)
    if not title:
        return None
    return SearchResult(title=title, url=url, snippet=_text(block.css_first(SNIPPET_SELECTOR)), source=SOURCE)


def _is_ad(block: LexborNode) -> bool:
    classes = (block.attributes.get("class") or "").split()
    if any(name in classes for name in AD_CLASSES):
        return True
    link = block.css_first(LINK_SELECTOR)
    href = (link.attributes.get("href") or "") if link is not None else ""
    return any(marker in href for marker in AD_LINK_MARKERS)


def _is_marker_block(block: LexborNode) -> bool:
    """DuckDuckGo's "No results." notice is itself a ``div.result``."""
    return "result--no-result" in (block.attributes.get("class") or "").split()


def _is_challenge(tree: LexborHTMLParser, html: str) -> bool:
    if any(tree.css_first(selector) is not None for selector in CHALLENGE_SELECTORS):
        return True
    lowered = html.lower()
    return tree.css_first(BLOCK_SELECTOR) is None and any(marker in lowered for marker in CHALLENGE_TEXT)


def _text(node: LexborNode | None) -> str:
    # no separator: DuckDuckGo bolds the query's words ("<b>Berlin</b>."), spaces are in the text
    return " ".join(node.text(separator="").split()) if node is not None else ""


def _layout_changed(detail: str) -> LayoutChanged:
    logger.error("duckduckgo: layout changed: %s", detail)
    return LayoutChanged(f"duckduckgo: layout changed: {detail}")
