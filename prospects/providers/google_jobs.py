"""Google Jobs, through SerpAPI's JSON API (key: ``SERPAPI_API_KEY``).

Contract:
- ``GoogleJobsClient.search(query, location, page)`` makes one GET to
  https://serpapi.com/search.json with ``engine=google_jobs`` per page (pages after the
  first follow SerpAPI's ``next_page_token``) and returns the jobs as ``PostingFound``
  (source ``google_jobs``). HTTP and network failures, and SerpAPI's own ``error``
  answers (bad key, no searches left), raise ``ProviderError``; the key never appears
  in a message.
- ``parse_search_page(page, today=...)`` is pure and takes the JSON text or the decoded
  object. SerpAPI's empty answer (``search_information.jobs_results_state`` "Fully
  empty", or its "hasn't returned any results" error) is ``[]``; an answer with no
  ``jobs_results`` and no empty marker raises ``LayoutChanged`` and logs an error.
- A job without a title or company is skipped and counted (warning); when every job
  lacks them the layout changed. One without a date or location still counts.
"""

import datetime
import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from infra.clock import utc_today
from infra.http import http_client
from prospects.providers.base import LayoutChanged, PostingFound, ProviderError, posted_ago

logger = logging.getLogger(__name__)

SOURCE = "google_jobs"  # prospects.models.JobPosting.Source.GOOGLE_JOBS
EMPTY_STATES = ("fully empty",)
EMPTY_ERRORS = ("hasn't returned any results", "hasn’t returned any results")


class GoogleJobsClient:
    """Google Jobs results as SerpAPI serves them."""

    base_url = "https://serpapi.com"
    source = SOURCE

    def __init__(
        self,
        *,
        api_key: str,
        client: httpx.Client | None = None,
        today: Callable[[], datetime.date] = utc_today,
        language: str = "en",
    ):
        self.api_key = api_key
        self.client = client or http_client(base_url=self.base_url, timeout=30.0)
        self.today = today
        self.language = language
        # (query, location, page) → the token SerpAPI gave for that page
        self._page_tokens: dict[tuple[str, str, int], str] = {}

    def search(self, query: str, location: str = "", page: int = 0) -> list[PostingFound]:
        """GET /search.json?engine=google_jobs: one page of Google Jobs results.

        Docs: https://serpapi.com/google-jobs-api. ``location`` must be a place Google
        knows ("Denver, Colorado, United States"; https://serpapi.com/locations-api),
        otherwise SerpAPI answers an error. Pages after the first need the previous
        page's ``serpapi_pagination.next_page_token``, so a page whose token is not yet
        known is reached by walking from the nearest known one.
        """
        known = page
        while known > 0 and (query, location, known) not in self._page_tokens:
            known -= 1
        while True:
            payload = self._search_json(query, location, self._page_tokens.get((query, location, known), ""))
            next_token = (payload.get("serpapi_pagination") or {}).get("next_page_token")
            if next_token:
                self._page_tokens[(query, location, known + 1)] = next_token
            if known == page:
                return parse_search_page(payload, today=self.today())
            if not next_token:
                return []  # the results ended before the page asked for
            known += 1

    def _search_json(self, query: str, location: str, page_token: str) -> dict:
        params = {"engine": "google_jobs", "q": query, "hl": self.language, "api_key": self.api_key}
        if location:
            params["location"] = location
        if page_token:
            params["next_page_token"] = page_token
        try:
            response = self.client.get("/search.json", params=params)
        except httpx.HTTPError as exc:
            # the exception's text can hold the URL, and the URL holds the key
            raise ProviderError(f"serpapi google_jobs search failed: {type(exc).__name__}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200:
            message = payload.get("error", "") if isinstance(payload, dict) else ""
            raise ProviderError(f"serpapi google_jobs search answered HTTP {response.status_code}: {message}".strip())
        if not isinstance(payload, dict):
            raise ProviderError("serpapi google_jobs search answered something that is not a JSON object")
        return payload


def parse_search_page(page: str | bytes | Mapping, *, today: datetime.date) -> list[PostingFound]:
    """The jobs of one SerpAPI google_jobs answer, in result order."""
    if isinstance(page, str | bytes):
        try:
            page = json.loads(page)
        except ValueError as exc:
            raise ProviderError("serpapi google_jobs: the answer is not JSON") from exc
    if not isinstance(page, Mapping):
        raise _layout_changed(f"the answer is a JSON {type(page).__name__}, not an object")
    state = str((page.get("search_information") or {}).get("jobs_results_state", "")).lower()
    error = str(page.get("error") or "")
    if state in EMPTY_STATES or any(marker in error.lower() for marker in EMPTY_ERRORS):
        return []
    if error:
        logger.error("serpapi google_jobs: %s", error)
        raise ProviderError(f"serpapi google_jobs: {error}")
    jobs = page.get("jobs_results")
    if not isinstance(jobs, list):
        raise _layout_changed(f"no jobs_results list and no empty-results marker (keys: {', '.join(sorted(page))})")
    postings = [posting for job in jobs if (posting := _posting(job, today)) is not None]
    skipped = len(jobs) - len(postings)
    if skipped and not postings:
        raise _layout_changed(f"none of {len(jobs)} jobs_results has a title and company_name")
    if skipped:
        logger.warning("serpapi google_jobs: skipped %d of %d jobs without a title or company", skipped, len(jobs))
    return postings


def _posting(job: object, today: datetime.date) -> PostingFound | None:
    if not isinstance(job, Mapping):
        return None
    title, company = _clean(job.get("title")), _clean(job.get("company_name"))
    if not title or not company:
        return None
    detected = job.get("detected_extensions") or {}
    posted_text = _clean(detected.get("posted_at")) or next(
        (_clean(ext) for ext in job.get("extensions") or [] if posted_ago(str(ext), today)), ""
    )
    apply_options = job.get("apply_options") or [{}]
    apply_link = _clean(apply_options[0].get("link")) if isinstance(apply_options[0], Mapping) else ""
    via = _clean(job.get("via"))
    extra = {
        "job_id": _clean(job.get("job_id")),
        "via": via.removeprefix("via ").strip(),
        "share_link": _clean(job.get("share_link")),
        "schedule_type": _clean(detected.get("schedule_type")),
        "salary": _clean(detected.get("salary")),
        "posted_text": posted_text,
    }
    return PostingFound(
        source=SOURCE,
        title=title,
        company=company,
        location=_clean(job.get("location")),
        posted_at=_posted_date(posted_text, today),
        url=_without_tracking(apply_link) or extra["share_link"],
        snippet=str(job.get("description") or "").strip(),
        extra={key: value for key, value in extra.items() if value},
    )


def _posted_date(text: str, today: datetime.date) -> datetime.date | None:
    """Google's "3 days ago" / "11 hours ago" / "30+ days ago" as a date before ``today``."""
    return posted_ago(text, today)


def _without_tracking(url: str) -> str:
    """The apply link without Google's utm_* parameters (they differ by search)."""
    if not url:
        return ""
    parts = urlsplit(url)
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not key.startswith("utm_")
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _layout_changed(detail: str) -> LayoutChanged:
    logger.error("serpapi google_jobs: layout changed: %s", detail)
    return LayoutChanged(f"serpapi google_jobs: layout changed: {detail}")
