"""The offline twin of the job sources: bundled postings, no network.

Contract:
- ``SandboxJobsClient.search(query, location, page)`` has the real clients' signature and
  returns ``PostingFound`` from prospects/providers/data/sandbox_postings.json: several hundred invented but
  realistic adverts from LinkedIn, Indeed and Google Jobs in a dozen countries, about
  two thirds at hotels (many hotels more than once, under slightly different names) and
  the rest false friends (hospital front desks, cabin crew, travel tech, chain
  headquarters, recruitment agencies), so the demo has real work to do.
- Matching is loose, like a job board: a posting matches when any word of the query is
  in its title, company or snippet (accents and case ignored; more matching words rank
  higher), and every word of the location is in its place (city, region or country,
  in English or the local language). Pages are slices of ``page_size``.
- Deterministic: dates count back from the injected ``today``; the order is a shuffle
  seeded by ``seed``. ``source`` narrows the twin to one site, so it can stand in for
  that site's client.
"""

import datetime
import functools
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from infra.clock import utc_today
from infra.text import fold
from prospects.providers.base import PostingFound

DATASET = Path(__file__).parent.parent / "data" / "sandbox_postings.json"
PAGE_SIZE = 25
SOURCES = ("linkedin", "indeed", "google_jobs")
COUNTRY_NAMES = {
    "US": ("United States", "USA", "America"),
    "GB": ("United Kingdom", "UK", "Great Britain", "England", "Scotland"),
    "DE": ("Germany", "Deutschland"),
    "FR": ("France",),
    "ES": ("Spain", "España"),
    "IT": ("Italy", "Italia"),
    "PT": ("Portugal",),
    "NL": ("Netherlands", "Nederland", "Holland"),
    "AU": ("Australia",),
    "IN": ("India",),
    "AE": ("United Arab Emirates", "UAE", "Emirates"),
    "MX": ("Mexico", "México"),
    "IE": ("Ireland", "Éire"),
}
# words too common in queries to count as a match on their own
STOPWORDS = {"a", "an", "and", "at", "de", "der", "des", "du", "for", "in", "job", "jobs", "la", "le", "of", "the"}
_WORD = re.compile(r"[\w&]+")


class SandboxJobsClient:
    """Bundled job postings behind the same ``search`` as the real sources."""

    base_url = ""  # no network
    page_size = PAGE_SIZE

    def __init__(
        self,
        *,
        seed: int = 0,
        today: Callable[[], datetime.date] = utc_today,
        source: str | None = None,
        page_size: int = PAGE_SIZE,
    ):
        if source is not None and source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; the sandbox has {', '.join(SOURCES)}")
        self.seed = seed
        self.today = today
        self.source = source
        self.page_size = page_size

    def search(self, query: str = "", location: str = "", page: int = 0) -> list[PostingFound]:
        """One page of the bundled postings that loosely match ``query`` and ``location``, best first."""
        start = page * self.page_size
        return [self._posting(record) for record in self._matching(query, location)[start : start + self.page_size]]

    def postings(self, limit: int | None = None) -> list[PostingFound]:
        """Every bundled posting (of ``source``, if set) in this client's order: for demos and seeding."""
        return [self._posting(entry.record) for entry in self._ordered()[:limit]]

    def _ordered(self) -> list["_Entry"]:
        entries = [entry for entry in _entries() if self.source is None or entry.record["source"] == self.source]
        random.Random(self.seed).shuffle(entries)
        return entries

    def _matching(self, query: str, location: str) -> list[dict]:
        query_words = [word for word in _words(query) if word not in STOPWORDS]
        place_words = set(_words(location))
        ranked = []
        for position, entry in enumerate(self._ordered()):
            if not place_words <= entry.place_words:
                continue
            # a word in the title counts twice: "revenue manager" ranks Revenue Managers first
            score = sum((word in entry.title) + (word in entry.text) for word in query_words)
            if query_words and not score:
                continue
            ranked.append((-score, position, entry.record))
        return [record for _, _, record in sorted(ranked, key=lambda item: item[:2])]

    def _posting(self, record: dict) -> PostingFound:
        days_ago = record["days_ago"]
        extra = {"sandbox_id": record["id"]}
        if record.get("via"):
            extra["via"] = record["via"]
        return PostingFound(
            source=record["source"],
            title=record["title"],
            company=record["company"],
            location=record["location"],
            posted_at=None if days_ago is None else self.today() - datetime.timedelta(days=days_ago),
            url=record["url"],
            snippet=record["snippet"],
            extra=extra,
        )


class _Entry(NamedTuple):
    record: dict
    title: str  # folded
    text: str  # title, company and snippet, folded: what the query is matched against
    place_words: frozenset[str]  # every way of naming the posting's place, folded


@functools.cache
def _entries() -> tuple[_Entry, ...]:
    with DATASET.open(encoding="utf-8") as handle:
        records = json.load(handle)["postings"]
    entries = []
    for record in records:
        text = fold(" ".join((record["title"], record["company"], record["snippet"])))
        country = record["country"]
        places = [record["location"], *record["city"], *record["region"], country, *COUNTRY_NAMES[country]]
        entries.append(_Entry(record, fold(record["title"]), text, frozenset(_words(" ".join(places)))))
    return tuple(entries)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))
