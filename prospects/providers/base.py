"""What every lead source returns: job postings, and the errors a prospects provider raises."""

import datetime
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
