"""Something true about this hotel: what research found, ranked by how sure it is.

An email that only knows a hotel's name, city and job advert reads like a mail merge. A
general manager answers the one that shows somebody looked: a theme in their guests'
reviews, a gap on their website, a recent piece of news about the hotel.

``hotel_facts(pains=, gaps=, news=, company=)`` returns ``HotelFact`` items, surest first:

==================  ==========  ============================================================
kind                confidence  why
==================  ==========  ============================================================
review (quoted)     0.85 − 0.05 a guest's own words on a review site, one per theme; research
                    per rank    ranks the themes that matter most first
website             0.80 / 0.75 read on the hotel's own site (no booking engine / no chat);
                                the analysis withholds an absence it is not sure of
news (dated)        0.70        a headline that names the hotel and says what happened
news                0.65        the same without a date
review (label)      0.50 − 0.05 a theme without a quote (an import, an older prospect)
==================  ==========  ============================================================

A news item counts only when its headline names the hotel (research searches "<hotel>
<city> news", which also finds the city's news) and says one of the things an email can
name in any language (``NEWS_THEMES``: a renovation, a reopening, an award, a new general
manager, new owners, an expansion, a rebrand). The email then speaks of the theme in its
own words ("I read about the renovation"); the headline itself is never copied, so it
cannot carry another language, a number or a name into the email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from outreach.composition.roles import fold

REVIEW_QUOTED = 0.85
REVIEW_LABEL = 0.50
RANK_STEP = 0.05
WEBSITE = {"no_booking_engine": 0.80, "no_chat": 0.75}
NEWS_DATED = 0.70
NEWS_UNDATED = 0.65

# theme → how a headline says it (English, German, French, Spanish, Italian)
NEWS_THEMES = {
    "reopening": r"reopen\w*|re-open\w*|wiedereröffn\w*|réouverture|rouvre|reapertura|reabre|riapertura|riapre",
    "renovation": r"renovat\w*|refurbish\w*|renovier\w*|rénov\w*|reforma\w*|ristruttura\w*",
    "award": r"awards?|award-winning|wins|auszeichnung|ausgezeichnet|prix|récompens\w*|premio|premiad\w*",
    "new_manager": r"new general manager|appoints? new|new gm"
    r"|neue[rn]? (?:general manager|direktor\w*|hoteldirektor\w*)"
    r"|nouveau directeur|nouvelle directrice|nuev[oa] director[a]?|nuovo direttore",
    "acquisition": r"acquired|acquisition|acquires|übernommen|übernahme|rachat|racheté|adquiri\w*|adquisición",
    "expansion": r"expansion|expands?|new wing|erweiterung|agrandissement|ampliación|ampliamento",
    "rebrand": r"rebrand\w*|markenwechsel|changement d'enseigne|cambio de marca",
}
_NEWS_PATTERNS = {theme: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for theme, words in NEWS_THEMES.items()}
_HOTEL_WORDS = {"hotel", "hôtel", "hotels", "the", "le", "la", "les", "el", "das", "der", "die", "and", "et", "y"}


@dataclass(frozen=True)
class HotelFact:
    """One thing research found about the hotel, with how sure it is."""

    kind: str  # review, website or news
    key: str  # a prospects.research LEXICON key, a website gap code or a news theme ('' = free text)
    confidence: float
    summary: str  # in English, for the AI prompt and the preview page
    evidence: str = ""  # a guest's words, a headline

    def as_prompt(self) -> dict:
        return {
            "kind": self.kind,
            "fact": self.summary,
            "evidence": self.evidence or None,
            "confidence": self.confidence,
        }


def news_theme(headline: str, company: str) -> str:
    """The theme of ``headline`` when it names the hotel ``company`` and says what happened, else ''."""
    if not headline or not company:
        return ""
    words = [w for w in fold(company).split() if w not in _HOTEL_WORDS and len(w) > 2]
    folded = f" {fold(headline)} "
    if not words or not all(f" {w} " in folded for w in words):
        return ""
    return next((theme for theme, pattern in _NEWS_PATTERNS.items() if pattern.search(headline)), "")


GAP_SUMMARIES = {
    "no_booking_engine": "The hotel's own website has no way to book a room directly (no booking engine found).",
    "no_chat": "The hotel's website has no chat or quick way for a guest to ask a question.",
}


def hotel_facts(*, pains, gaps, news, company: str) -> list[HotelFact]:
    """What research found about the hotel, surest first (``pains``: context ``Pain`` items in
    research's order; ``gaps``: mentionable website gap codes; ``news``: (headline, date) pairs)."""
    from prospects.research import LEXICON

    facts: list[HotelFact] = []
    for rank, pain in enumerate(pains):
        phrase = LEXICON[pain.key][1] if pain.key in LEXICON else pain.label.lower()
        base = REVIEW_QUOTED if pain.evidence else REVIEW_LABEL
        facts.append(
            HotelFact(
                kind="review",
                key=pain.key,
                confidence=round(max(0.05, base - RANK_STEP * rank), 2),
                summary=f"Guest reviews mention {phrase}.",
                evidence=pain.evidence,
            )
        )
    for gap in gaps:
        if gap in WEBSITE:
            facts.append(HotelFact(kind="website", key=gap, confidence=WEBSITE[gap], summary=GAP_SUMMARIES[gap]))
    seen_themes = set()
    for headline, date in news:
        theme = news_theme(headline, company)
        if theme and theme not in seen_themes:
            seen_themes.add(theme)
            facts.append(
                HotelFact(
                    kind="news",
                    key=theme,
                    confidence=NEWS_DATED if date else NEWS_UNDATED,
                    summary=f"Recent news about the hotel ({theme.replace('_', ' ')}).",
                    evidence=headline,
                )
            )
    return sorted(facts, key=lambda fact: -fact.confidence)  # stable: research's order within a kind
