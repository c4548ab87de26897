"""Which client plays each provider role for prospects: the real one or its sandbox twin.

This is the one place the choice is made; callers ask for a role and never look at
settings or at the class they get.

Contract:
- ``search_mode()`` is ``SEARCH_PROVIDER`` read the one way: stripped, lower case, "sandbox"
  when empty.
- ``web_search()`` has ``search(query) -> list[SearchResult]``: the sandbox twin in
  sandbox mode, otherwise the real engines in failover order (``FailoverSearch``:
  DuckDuckGo, and Google Custom Search when ``GOOGLE_CSE_KEY``/``GOOGLE_CSE_ID`` are set,
  first when SEARCH_PROVIDER is "google_cse").
- ``research_search()`` is the callable the research stage searches with (``query ->
  results``); its ``source`` is "sandbox" for the twin.
- ``web_client_for(host)`` is the sandbox's in-process web for a ``.example`` host in
  sandbox mode, else ``None`` (the caller fetches through ``infra.safe_fetch``).
- ``verifier()`` is MillionVerifier when ``MILLIONVERIFIER_API_KEY`` is set, else the
  sandbox twin; ``finder()`` is Hunter when ``HUNTER_API_KEY`` is set, else ``None`` (the
  finder is optional: no twin stands in). Neither is wrapped in a circuit breaker here.
- ``job_sources(names)`` is ``{name: client}`` for the job boards named (default
  ``ACQUISITION_SOURCES``); an unknown name is an ``ApplicationError``; "google_jobs"
  without ``SERPAPI_API_KEY`` is left out with a warning.
"""

from __future__ import annotations

import functools
import logging

import httpx
from django.conf import settings

from infra.errors import ApplicationError

logger = logging.getLogger(__name__)

SANDBOX = "sandbox"


def search_mode() -> str:
    return (getattr(settings, "SEARCH_PROVIDER", "") or SANDBOX).strip().lower()


def _search_engines() -> list[tuple[str, object]]:
    """(name, factory) of the real search clients, in failover order."""
    from prospects.providers.duckduckgo import DuckDuckGoClient
    from prospects.providers.google_cse import GoogleCseClient

    engines = [("duckduckgo", DuckDuckGoClient)]
    key, cx = getattr(settings, "GOOGLE_CSE_KEY", ""), getattr(settings, "GOOGLE_CSE_ID", "")
    if key and cx:
        google = ("google_cse", functools.partial(GoogleCseClient, api_key=key, cx=cx))
        engines = [google, *engines] if search_mode() == "google_cse" else [*engines, google]
    return engines


def web_search():
    if search_mode() == SANDBOX:
        from prospects.providers.sandbox.search import SandboxSearchClient

        return SandboxSearchClient()
    from prospects.providers.web_search import FailoverSearch

    return FailoverSearch(_search_engines())


def research_search():
    if search_mode() == SANDBOX:
        from prospects.providers.sandbox.research import SandboxResearchSearch

        return SandboxResearchSearch()
    return web_search().search


def web_client_for(host: str, *, timeout: float) -> httpx.Client | None:
    if search_mode() != SANDBOX:
        return None
    from prospects.providers.sandbox.search import is_sandbox_host, sandbox_web_client

    # every .example host, bundled or not: RFC 2606 names never resolve, and asking
    # DNS for one can stall for seconds on a machine without a network
    return sandbox_web_client(timeout=timeout) if is_sandbox_host(host) else None


def verifier():
    if settings.MILLIONVERIFIER_API_KEY:
        from prospects.providers.millionverifier import MillionVerifierClient

        return MillionVerifierClient(api_key=settings.MILLIONVERIFIER_API_KEY)
    from prospects.providers.sandbox.verifier import SandboxVerifier

    return SandboxVerifier()


def finder():
    if not settings.HUNTER_API_KEY:
        return None
    from prospects.providers.hunter import HunterClient

    return HunterClient(api_key=settings.HUNTER_API_KEY)


def job_sources(names: list[str] | None = None) -> dict:
    from prospects.providers.google_jobs import GoogleJobsClient
    from prospects.providers.indeed import IndeedJobsClient
    from prospects.providers.linkedin import LinkedInJobsClient
    from prospects.providers.sandbox.jobs import SandboxJobsClient

    factories = {
        SANDBOX: SandboxJobsClient,
        "linkedin": LinkedInJobsClient,
        "indeed": IndeedJobsClient,
        "google_jobs": lambda: GoogleJobsClient(api_key=settings.SERPAPI_API_KEY),
    }
    names = list(names or settings.ACQUISITION_SOURCES)
    unknown = set(names) - set(factories)
    if unknown:
        raise ApplicationError(f"Unknown source(s): {', '.join(sorted(unknown))}. Known: {', '.join(factories)}.")
    if "google_jobs" in names and not settings.SERPAPI_API_KEY:
        names = [n for n in names if n != "google_jobs"]
        logger.warning("google_jobs skipped: SERPAPI_API_KEY is not set")
    return {name: factories[name]() for name in names}
