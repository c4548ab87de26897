"""What every web search provider returns (DuckDuckGo, Google Custom Search, sandbox)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: str = ""
    source: str = ""  # the provider that found it: duckduckgo, google_cse, sandbox
