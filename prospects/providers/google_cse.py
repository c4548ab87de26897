"""Google Programmable Search (the Custom Search JSON API), keys ``GOOGLE_CSE_KEY`` and ``GOOGLE_CSE_ID``.

Contract:
- ``GoogleCseClient.search(query)`` makes one GET to
  https://www.googleapis.com/customsearch/v1 and returns ``items[]`` (title, link,
  snippet) as ``SearchResult`` (source ``google_cse``). An answer without ``items`` is
  Google's "no results" (``searchInformation.totalResults`` "0"): ``[]``.
- HTTP and network failures and Google's error documents (bad key, daily quota,
  billing) raise ``ProviderError`` with Google's own message. The API key travels in
  the ``X-Goog-Api-Key`` header, which every Google REST API accepts in place of the
  ``key`` query parameter
  (https://cloud.google.com/apis/docs/system-parameters), so it never lands in a URL,
  an httpx log line or a message.
- Google closed this API to new customers and ends it on 2027-01-01
  (https://developers.google.com/custom-search/v1/overview); it stays a fallback for
  accounts that still have it.
"""

import httpx

from infra.http import http_client
from prospects.providers.base import ProviderError
from prospects.providers.search_base import SearchResult

SOURCE = "google_cse"
MAX_RESULTS = 10  # the API's maximum per request


class GoogleCseClient:
    """Web results from a Programmable Search Engine set to search the entire web."""

    base_url = "https://www.googleapis.com"
    source = SOURCE

    def __init__(self, *, api_key: str, cx: str, client: httpx.Client | None = None):
        self.api_key = api_key
        self.cx = cx
        self.client = client or http_client(
            base_url=self.base_url, timeout=15.0, headers={"Accept": "application/json"}
        )

    def search(self, query: str, *, region: str = "") -> list[SearchResult]:
        """GET /customsearch/v1?cx=…&q=…: one page (up to 10) of web results.

        Docs: https://developers.google.com/custom-search/v1/reference/rest/v1/cse/list.
        ``region`` is a two-letter country code for ``gl`` (boosts results from there).
        """
        params = {"cx": self.cx, "q": query, "num": MAX_RESULTS}
        if region and len(region) == 2:
            params["gl"] = region.lower()
        try:
            response = self.client.get("/customsearch/v1", params=params, headers={"X-Goog-Api-Key": self.api_key})
        except httpx.HTTPError as exc:
            raise ProviderError(self._scrub(f"google_cse search failed: {type(exc).__name__}: {exc}")) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200 or not isinstance(payload, dict) or "error" in payload:
            raise ProviderError(self._scrub(_error_message(response.status_code, payload)))
        return parse_results(payload)

    def _scrub(self, message: str) -> str:
        return message.replace(self.api_key, "***") if self.api_key else message


def parse_results(payload: dict) -> list[SearchResult]:
    """The ``items`` of a Custom Search answer, in rank order; links that are not http(s) are skipped."""
    results = []
    for item in payload.get("items") or []:
        link, title = (item.get("link") or "").strip(), " ".join((item.get("title") or "").split())
        if not link.startswith(("http://", "https://")) or not title:
            continue
        snippet = " ".join((item.get("snippet") or "").split())
        results.append(SearchResult(title=title, url=link, snippet=snippet, source=SOURCE))
    return results


def _error_message(status: int, payload) -> str:
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        reason = error.get("status") or ""
        details = error.get("errors") or [{}]
        reason = reason or (details[0] or {}).get("reason", "")
        return f"google_cse answered HTTP {error.get('code', status)} {reason}: {error.get('message', '')}".strip()
    return f"google_cse answered HTTP {status}"
