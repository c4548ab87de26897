"""What every lead source returns: job postings, and the errors a prospects provider raises."""

import datetime
import re
from dataclasses import dataclass, field

import infra.errors


class ProviderError(infra.errors.ProviderError):
    """A prospects provider (job board, web search, verifier, finder) failed: network,
    HTTP status, quota. Part of the one ``infra.errors.ProviderError`` family."""


class LayoutChanged(ProviderError):
    """The page no longer looks like the layout the parser knows.

    Raised instead of silently returning no postings, so a site redesign is noticed
    (logged, counted in the acquisition summary, retried by the runtime).
    """


@dataclass(frozen=True)
class PostingFound:
    """One job advert as a source saw it, before classification and dedup."""

    source: str  # prospects.models.JobPosting.Source value
    title: str
    company: str
    location: str = ""
    posted_at: datetime.date | None = None
    url: str = ""
    snippet: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


_AGO = re.compile(r"(\d+)\+?\s*(minute|hour|day|week|month)s?\s+ago", re.IGNORECASE)
_DAYS_PER_UNIT = {"minute": 0, "hour": 0, "day": 1, "week": 7, "month": 30}


def posted_ago(text: str, today: datetime.date) -> datetime.date | None:
    """A job board's "3 days ago" / "11 hours ago" / "2 weeks ago" / "30+ days ago" as a date.

    "30+ days ago" gives today − 30 (the posting is at least that old); minutes and hours
    give today; a month counts 30 days. None when the text says no such thing.
    """
    match = _AGO.search(text or "")
    if match is None:
        return None
    return today - datetime.timedelta(days=int(match[1]) * _DAYS_PER_UNIT[match[2].lower()])
