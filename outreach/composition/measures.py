"""What the campaign preview and the bench measure about composed emails.

- ``shingles(text)`` / ``jaccard(a, b)`` / ``pairwise(texts)``: 5-word-shingle Jaccard
  similarity, the measure bulk filters cluster near-identical bodies on. Two emails that
  share a pitch paragraph and most of their sentences score 0.6–0.9; two written apart,
  0.0–0.2. ``spread(values)`` gives median, 90th percentile and maximum.
- ``broken_punctuation(subject, body, language)``: the form gate's broken-sentence checks
  (a bracket or quote without its partner, a doubled word, a sentence that stops mid-way…).
- ``mixed_language_sentences(body, context)``: sentences holding a word that belongs only
  to another language (``roles.foreign_words``), names and the email's own template
  words aside, or the job advert's own title where the role had to be named in the
  email's language.
- ``cited_facts(body, context)``: which of research's ``hotel_facts`` the email mentions,
  by words that say each fact in English, German, French or Spanish, the campaign's own
  texts (pitch, case studies, call to action) left out, since they are not about the hotel.

Nothing here decides whether an email is sent: the gates do.
"""

from __future__ import annotations

import re
import statistics
from functools import cache
from itertools import combinations
from pathlib import Path

from django.conf import settings

from outreach.composition.context import CompositionContext
from outreach.composition.gates import _BROKEN, _BROKEN_NOT_FRENCH, prose_of
from outreach.composition.hotel_facts import HotelFact
from outreach.composition.punctuation import unpaired
from outreach.composition.roles import fold, foreign_words

SHINGLE = 5
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Every run of ``size`` consecutive words of ``text`` (lower case, punctuation ignored)."""
    words = [w.lower() for w in _WORDS.findall(text)]
    if len(words) < size:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def pairwise(texts: list[str], size: int = SHINGLE) -> list[float]:
    """The similarity of every pair of ``texts``."""
    sets = [shingles(t, size) for t in texts]
    return [jaccard(a, b) for a, b in combinations(sets, 2)]


def most_similar(texts: list[str], size: int = SHINGLE) -> list[float]:
    """For each text, its highest similarity to any other text of the list."""
    sets = [shingles(t, size) for t in texts]
    return [max((jaccard(s, o) for j, o in enumerate(sets) if j != i), default=0.0) for i, s in enumerate(sets)]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0.9 = 90th percentile), linear between ranks; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: list[float]) -> dict:
    """Median, 90th percentile and maximum of ``values``, rounded for people."""
    if not values:
        return {"median": 0.0, "p90": 0.0, "max": 0.0, "pairs": 0}
    return {
        "median": round(statistics.median(values), 3),
        "p90": round(percentile(values, 0.9), 3),
        "max": round(max(values), 3),
        "pairs": len(values),
    }


def broken_punctuation(subject: str, body: str, language: str) -> list[str]:
    """What reads as a broken sentence in the subject or body (the form gate's checks)."""
    text = f"{subject}\n{body}"
    problems = []
    if marks := unpaired(text):
        problems.append(f"unpaired {' '.join(dict.fromkeys(marks))}")
    for pattern, label in _BROKEN + ([] if language == "fr" else _BROKEN_NOT_FRENCH):
        if match := pattern.search(text):
            problems.append(f"{label}: {match.group(0).strip()!r}")
    return problems


@cache
def template_words(language: str) -> frozenset[str]:
    """Every word the fallback templates and their phrase tables write in ``language``."""
    from outreach.composition import templates

    folder = Path(settings.TEMPLATES[0]["DIRS"][0]) / "outreach" / "emails" / language
    texts = [re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", path.read_text(encoding="utf-8")) for path in folder.glob("*.txt")]
    for table in (templates.PAIN_PHRASES, templates.NEWS_PHRASES):
        texts += list(table.get(language, {}).values())
    for table in (templates.GENERIC_OFFER, templates.DEFAULT_CTA, templates.SIGN_OFFS, templates.GREETINGS):
        texts += list(table.get(language, ()))
    return frozenset(word for text in texts for word in fold(text).split())


def _names(context: CompositionContext) -> set[str]:
    """Words that are names or the campaign's own text: never a sign of another language."""
    texts = [
        context.company,
        context.city,
        context.region,
        context.contact_name,
        context.sender_name,
        context.signature,
        context.referral_note,
        context.pitch,
        context.call_to_action,
        *context.case_studies,
    ]
    return {word for text in texts if text for word in fold(text).split()}


def mixed_language_sentences(body: str, context: CompositionContext) -> list[str]:
    """The sentences of ``body`` (greeting and signature aside) with a word of another language."""
    allowed = template_words(context.language) | _names(context)
    # the advert's own title where the email should have named the role in its own language
    # ("Chef de réception" is made of words English has too, so the word check alone misses it)
    foreign_title = ""
    if context.hiring and (context.hiring.role.translated or not context.hiring.role.text):
        foreign_title = context.hiring.title
    sentences = re.split(r"(?<=[.!?])\s+|\n+", prose_of(body))
    return [
        s
        for s in sentences
        if s.strip() and (foreign_words(s, context.language, allowed=allowed) or (foreign_title and foreign_title in s))
    ]


# words that say each fact, in English, German, French and Spanish
FACT_CUES = {
    ("review", "slow_checkin"): r"slow check-?in|check-?in (?:was|is) slow|wait\w* at (?:check-?in|reception)|queue"
    r"|langsam\w* check-?in|warte\w*|lenteur|attente|lentitud|espera",
    ("review", "dirty_rooms"): r"clean|sauber|propre|limpi",
    ("review", "noise"): r"nois|noise|lärm|laut|bruit|ruido",
    ("review", "wifi"): r"wi-?fi|wlan",
    ("review", "unfriendly_staff"): r"welcome|friendl|empfang|accueil|trato",
    ("review", "outdated_rooms"): r"dated|in die jahre|veraltet|datée|anticuad",
    ("review", "breakfast"): r"breakfast|frühstück|petit-déjeuner|desayuno",
    ("review", "parking"): r"parking|parken|stationnement|aparcamiento",
    ("review", "booking_errors"): r"mix-ups? with bookings|booking errors|fehler bei buchungen|erreurs de réservation"
    r"|errores en las reservas",
    ("review", "slow_replies"): r"slow repl|antworten|réponses lentes|lentitud al responder",
    ("review", "hidden_fees"): r"fees|gebühren|frais|cargos",
    ("review", "ac_heating"): r"air condition|heating|klima|heizung|climatisation|chauffage|aire acondicionado"
    r"|calefacción",
    ("website", "no_booking_engine"): r"book[^.]{0,25}direct|direct booking|booking page"
    r"|direkt\w* (?:ein zimmer )?(?:zu )?buch|direkte buchung|réserv\w* [^.]*en direct|réserv\w* directement"
    r"|réservation directe|reservar [^.]*directamente",
    ("website", "no_chat"): r"\bchat\b|ask (?:it|a question)|eine frage|fragen|poser [^.]*question|pregunta|consulta",
    ("news", "renovation"): r"renovat|refurbish|renovierung|rénovation|reforma",
    ("news", "reopening"): r"reopen|wiedereröffnung|réouverture|reapertura",
    ("news", "award"): r"award|auszeichnung|récompense|premio",
    ("news", "new_manager"): r"general manager|hotelleitung|nouvelle direction|nueva dirección",
    ("news", "acquisition"): r"ownership|eigentümer|propriétaire|propietario",
    ("news", "expansion"): r"expansion|erweiterung|agrandissement|ampliación",
    ("news", "rebrand"): r"rebrand|markenwechsel|enseigne|cambio de marca",
}
_CUES = {key: re.compile(words, re.IGNORECASE) for key, words in FACT_CUES.items()}


def cited_facts(body: str, context: CompositionContext) -> list[HotelFact]:
    """The facts of ``context.facts`` that ``body`` mentions (the campaign's own texts left out)."""
    text = prose_of(body)
    for own in (context.pitch, context.call_to_action, *context.case_studies):
        if own:
            text = text.replace(own, " ").replace(own[:1].lower() + own[1:], " ")
    cited = []
    for fact in context.facts:
        cue = _CUES.get((fact.kind, fact.key))
        if cue is None and fact.kind == "review":  # a theme research named in free text
            words = [w for w in fold(fact.summary.removeprefix("Guest reviews mention ")).split() if len(w) > 3]
            cited_here = bool(words) and all(w in fold(text).split() for w in words)
        else:
            cited_here = bool(cue and cue.search(text))
        if cited_here:
            cited.append(fact)
    return cited
