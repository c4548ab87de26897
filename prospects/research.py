"""Stage three's work: what the web says about a hotel (news, guests' pains, competitors).

Contract:
- ``research_prospect(company=, city=, country=, website=, website_analysis=, search=)``
  runs a few queries through ``search`` (a callable ``query -> list[SearchResult]``, as
  ``prospects.providers.registry.research_search()`` gives) and returns ``ResearchFindings``;
  its ``provider`` is "sandbox" when the search's ``source`` is (the sandbox twin).
  Search failures are not caught: the stage runtime retries them.
- Results are sorted into news (expansion, renovation, new GM… in EN/DE/FR/ES/IT),
  review snippets (review sites and OTAs), competitors (other hotels' own sites, never
  the hotel itself, an OTA or a review site; at most five) and social profiles.
- ``pain_signals_from_snippets`` reads review text with a small multilingual lexicon
  (``prospects.data.research_terms``; which hosts are listings, review sites or social
  networks is ``prospects.data.not_hotel_hosts``)
  and simple negation awareness ("check-in was quick", "no problems with the wifi" do
  not flag); one signal per key, each with a short quote and where it came from.
- The summary comes from the AI gateway; pain keys the model names that the findings
  do not hold are dropped (the model cannot invent pain). Without a provider a
  deterministic fallback writes two or three plain sentences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from pydantic import BaseModel, Field

from infra.ai import complete_json
from infra.links import http_url
from prospects.data.not_hotel_hosts import host_labels, is_directory, is_review_site, social_network
from prospects.data.research_terms import (
    CLAUSE_SPLIT,
    DATE,
    HOTEL_WORDS,
    LEXICON,
    LISTICLE,
    NEGATORS,
    NEWS_HOST_WORDS,
    NEWS_WORDS,
    TOOL_PATTERNS,
    YEAR,
)
from prospects.dedup import company_key, website_domain
from prospects.providers.search_base import SearchResult

EVIDENCE_MAX = 160
MAX_COMPETITORS = 5
MAX_NEWS = 5


@dataclass
class ResearchFindings:
    summary: str = ""
    news: list[dict] = field(default_factory=list)
    competitors: list[dict] = field(default_factory=list)
    pain_signals: list[dict] = field(default_factory=list)
    social_presence: dict = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    competitor_tools: list[str] = field(default_factory=list)
    provider: str = ""


class ResearchSummary(BaseModel):
    summary: str = Field(max_length=600)
    top_pain_keys: list[str] = Field(default_factory=list, max_length=12)


# --- pain signals ------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WORDS = re.compile(r"[\w']+", re.UNICODE)


def _alternation(patterns: list[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


_COMPILED = {
    key: (_alternation(topics), _alternation(bad), _alternation(standalone))
    for key, (_label, _phrase, topics, bad, standalone) in LEXICON.items()
}


def _negated(clause: str, start: int) -> bool:
    """A negator among the three words before ``start``, in the same comma-separated part."""
    before = clause[:start].rsplit(",", 1)[-1].lower()
    words = _WORDS.findall(before)[-3:]
    return any(w in NEGATORS or w.endswith("n't") for w in words)


def _unnegated(pattern: re.Pattern | None, clause: str) -> re.Match | None:
    if pattern is None:
        return None
    for match in pattern.finditer(clause):
        if not _negated(clause, match.start()):
            return match
    return None


def _clauses(text: str) -> list[tuple[str, int]]:
    """(clause, offset in text): sentences split further at 'but' and its kin."""
    parts, last = [], 0
    for sep in CLAUSE_SPLIT.finditer(text):
        parts.append((text[last : sep.start()], last))
        last = sep.end()
    parts.append((text[last:], last))
    return [(p, o) for p, o in parts if p.strip()]


def _evidence(text: str, at: int) -> str:
    """The sentence around offset ``at``, cut to EVIDENCE_MAX characters."""
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= at < sentence.end() or sentence.end() >= len(text):
            quote = " ".join(sentence.group().split())
            break
    else:
        quote = " ".join(text.split())
    if len(quote) <= EVIDENCE_MAX:
        return quote
    return quote[: EVIDENCE_MAX - 1].rstrip() + "…"


def _key_match(key: str, clause: str) -> re.Match | None:
    topics, bad, standalone = _COMPILED[key]
    if hit := _unnegated(standalone, clause):
        return hit
    if bad is None:
        return None
    if topics is not None and not topics.search(clause):
        return None
    return _unnegated(bad, clause)


def pain_signals_from_snippets(snippets: list[tuple[str, str]]) -> list[dict]:
    """(text, source_url) pairs → one ``{key, label, evidence, source_url}`` per pain found."""
    found: dict[str, dict] = {}
    for text, source_url in snippets:
        text = text or ""
        for clause, offset in _clauses(text):
            for key, (label, *_rest) in LEXICON.items():
                if key in found:
                    continue
                if hit := _key_match(key, clause):
                    found[key] = {
                        "key": key,
                        "label": label,
                        "evidence": _evidence(text, offset + hit.start()),
                        "source_url": source_url,
                    }
    return list(found.values())


# --- competitor tools ----------------------------------------------------------------------

TOOL_NAMES = {name for name, _ in TOOL_PATTERNS}
# website_analysis["technology"] categories that name products a hotel already pays for
TOOL_CATEGORIES = ("booking_engine", "pms_hints", "chat")


def competitor_tools_from_text(text: str) -> list[str]:
    """Hotel-software products named in ``text``, canonical names, first mention first."""
    hits: list[tuple[int, str]] = []
    for name, pattern in TOOL_PATTERNS:
        if match := pattern.search(text or ""):
            hits.append((match.start(), name))
    tools: list[str] = []
    for _pos, name in sorted(hits):
        if name not in tools:
            tools.append(name)
    return tools


def _tools_from_analysis(website_analysis: dict | None) -> list[str]:
    technology = (website_analysis or {}).get("technology") or {}
    tools = []
    for category in TOOL_CATEGORIES:
        for name in technology.get(category) or []:
            if isinstance(name, str) and name and name not in tools:
                tools.append(name)
    return tools


# --- classifying results -------------------------------------------------------------------


def _is_news_host(url: str) -> bool:
    labels = host_labels(url)
    return any(word in label for label in labels[:-1] for word in NEWS_HOST_WORDS) or "/news" in url.lower()


def _news_date(text: str) -> str:
    if match := DATE.search(text):
        return match.group()
    if match := YEAR.search(text):
        return match.group()
    return ""


def _hotel_name(title: str) -> str:
    name = re.split(r"\s+[|–—-]\s+|\s*\|\s*", title, maxsplit=1)[0]
    return " ".join(name.split())[:120]


def _same_hotel(name: str, company: str) -> bool:
    from rapidfuzz import fuzz

    a, b = company_key(name), company_key(company)
    if not a or not b:
        return False
    return a == b or a in b or b in a or fuzz.token_set_ratio(a, b) >= 90


# --- the research ----------------------------------------------------------------------------


def research_queries(company: str, city: str) -> dict[str, str]:
    place = " ".join(f"{company} {city}".split())
    return {
        "news": f"{place} news",
        "reviews": f"{place} reviews",
        "competitors": f"hotels near {place}",
    }


def research_prospect(
    *,
    company: str,
    city: str,
    country: str = "",
    website: str = "",
    website_analysis: dict | None = None,
    search: Callable[[str], list[SearchResult]],
    providers: list | None = None,
) -> ResearchFindings:
    findings = ResearchFindings()
    own_domain = website_domain(website or (website_analysis or {}).get("url", "") or "")
    sources: list[str] = []
    seen: set[str] = set()
    review_snippets: list[tuple[str, str]] = []
    text_for_tools: list[str] = []

    stored_social = ((website_analysis or {}).get("contact") or {}).get("social") or {}
    social = {network: url for network, url in stored_social.items() if http_url(url)}

    def use(url: str):
        if url and url not in sources:
            sources.append(url)

    for kind, query in research_queries(company, city).items():
        for result in search(query) or []:
            url = http_url(result.url)  # a javascript: or data: result is no source, news or competitor
            if not url or (url, kind) in seen:
                continue
            seen.add((url, kind))
            text = f"{result.title}. {result.snippet}"
            text_for_tools.append(text)
            if network := social_network(url):
                if network not in social:
                    social[network] = url
                    use(url)
                continue
            if kind == "reviews" and is_review_site(url):
                review_snippets.append((result.snippet or result.title, url))
                use(url)
                continue
            if is_directory(url):
                continue
            domain = website_domain(url)
            is_news = _is_news_host(url) or (kind == "news" and NEWS_WORDS.search(text))
            if is_news and kind != "competitors":
                if len(findings.news) < MAX_NEWS and not any(n["url"] == url for n in findings.news):
                    item = {"title": result.title, "url": url, "snippet": result.snippet[:300]}
                    if date := _news_date(text):
                        item["date"] = date
                    findings.news.append(item)
                    use(url)
                continue
            name = _hotel_name(result.title)
            if own_domain and domain == own_domain or _same_hotel(name, company):
                continue
            if kind != "competitors" and not HOTEL_WORDS.search(name):
                continue
            if not name or LISTICLE.search(name) or name[0].isdigit():
                continue
            if len(findings.competitors) >= MAX_COMPETITORS:
                continue
            if any(company_key(c["name"]) == company_key(name) for c in findings.competitors):
                continue
            entry = {"name": name, "url": url}
            if result.snippet:
                entry["note"] = result.snippet[:160]
            findings.competitors.append(entry)
            use(url)

    findings.pain_signals = pain_signals_from_snippets(review_snippets)
    findings.social_presence = social
    findings.sources = sources
    tools = _tools_from_analysis(website_analysis)
    for tool in competitor_tools_from_text("\n".join(text_for_tools)):
        if tool not in tools:
            tools.append(tool)
    findings.competitor_tools = tools

    answer = complete_json(
        purpose="research_summary",
        # the hotel's name and place are outside text too: in the data, never in the instructions
        prompt=(
            "Summarise for a salesperson, in two or three plain sentences (at most 600 characters), what this "
            "research found about the hotel described in the hotel data below: what guests complain about, recent "
            "news and nearby competitors. In top_pain_keys list the keys of findings.pain_signals that matter "
            "most, most important first; use only keys that appear there."
        ),
        schema=ResearchSummary,
        data={
            "hotel": json.dumps({"name": company, "city": city, "country": country}, ensure_ascii=False),
            "findings": json.dumps(_findings_for_ai(findings), ensure_ascii=False),
        },
        fallback=lambda: fallback_summary(findings, company=company, city=city),
        providers=providers,
    )
    summary: ResearchSummary = answer.value
    known = {p["key"] for p in findings.pain_signals}
    top = [key for key in dict.fromkeys(summary.top_pain_keys) if key in known]
    order = {key: i for i, key in enumerate(top)}
    findings.pain_signals.sort(key=lambda p: order.get(p["key"], len(order)))
    findings.summary = summary.summary.strip()

    findings.provider = "sandbox" if getattr(search, "source", "") == "sandbox" else answer.provider
    return findings


def _findings_for_ai(findings: ResearchFindings) -> dict:
    data = asdict(findings)
    for key in ("summary", "provider", "sources"):
        data.pop(key)
    return data


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fallback_summary(findings: ResearchFindings, *, company: str = "", city: str = "") -> ResearchSummary:
    """Two or three plain sentences from the findings alone, no model involved."""
    sentences = []
    keys = [p["key"] for p in findings.pain_signals]
    if keys:
        phrases = [LEXICON[k][1] if k in LEXICON else k for k in keys[:4]]
        sentence = f"Guests mention {_join(phrases)}."
        sentences.append(sentence[0].upper() + sentence[1:])
    else:
        sentences.append("Guest reviews show no recurring complaints.")
    if findings.news:
        item = findings.news[0]
        title = item.get("title", "").rstrip(". ")[:160]
        date = f" ({item['date']})" if item.get("date") and item["date"] not in title else ""
        sentences.append(f"Recent news: {title}{date}.")
    names = [c["name"] for c in findings.competitors[:3]]
    if len(names) > 1:
        sentences.append(f"Nearby competitors include {_join(names)}.")
    elif names:
        sentences.append(f"A nearby competitor is {names[0]}.")
    text = " ".join(sentences)
    if len(text) > 600:
        text = text[:599].rstrip() + "…"
    return ResearchSummary(summary=text, top_pain_keys=keys[:3])
