"""The quality gates every composed email passes before it may be queued.

``run_gates(subject, body, context)`` returns a ``GateReport`` of four verdicts, each
with its score, its reasons (for people, shown in the admin) and its constraints (for
the next prompt, when the composer regenerates):

- **spam** — a score in [0, 1], must stay below ``SPAM_THRESHOLD``. A built-in heuristic
  always runs (trigger words, words in capitals, exclamation marks, links, money and
  urgency phrases); when a spamd answers (``SPAMD_HOST``/``SPAMD_PORT``), SpamAssassin's
  score is normalised (``score / (2 × required)``, so spamd's own spam line of 5.0 is 0.5)
  and the higher of the two counts.
- **readability** — Flesch reading ease, at least ``READABILITY_MIN[language]``. English
  uses the classic formula with pyphen's syllables (textstat's English path downloads a
  dictionary at run time, which an offline machine cannot); German, French and Spanish
  use textstat's formulas for those languages (Amstad, Kandel–Moles, Fernández Huerta).
  Another language is skipped, with the reason recorded.
- **facts** — every number and every capitalised name (a run of capitalised words, or
  one mid-sentence) must appear in the context (prospect, research, job posting,
  campaign case studies, signature). German capitalises every noun, so there only
  names next to a hotel word ("Hotel", "Gasthof", …) and numbers are checked. Every
  domain the email names (``domains_in``: any host-shaped token, any TLD, IDN or
  punycode, bare, in a link of any scheme or in an address) must be the campaign's or
  the hotel's own (``context.link_sources()``): a domain from research or a reply is
  never repeated, whatever else of that text counts as a fact.
- **form** — no unfilled placeholders, a greeting with the contact's real first name or
  a neutral one, a subject of at most ``SUBJECT_MAX`` characters, 50–150 words (a
  follow-up: 25–120), no links in a first email (``links_in``: the same domain shapes,
  an address aside; the sender adds the unsubscribe link and postal address as a footer
  outside the body), no broken sentences: no bracket or double quote without its partner
  anywhere in the subject or body ("hiring a new Réceptionniste (H/F in Lyon."), no
  doubled word or punctuation, no sentence that stops mid-way.

Why a shape and not a list of TLDs (or tldextract's public-suffix snapshot): any TLD must
count, including those delegated after the list was written, and a false positive only
costs a regeneration, the template or a reviewer's look, while a miss sends a phishing
address. Prose that looks like a host ("Mr.Smith", "St.Moritz", "e.g.Hotel", "5.Stock")
is told apart by its capitalised last word after an abbreviation, initials or a number;
"4.5", "10.30", "e.g." and "a.m." never have a TLD-shaped last label.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from functools import cache

from django.conf import settings

from outreach.composition.context import CompositionContext
from outreach.composition.gate_words import (
    ACRONYMS,
    GENERIC_CAPITALISED,
    HOTEL_WORDS,
    MONEY_PATTERNS,
    PROSE_ABBREVIATIONS,
    TRIGGER_WORDS,
    URGENCY_PHRASES,
)
from outreach.composition.punctuation import unpaired
from outreach.composition.spamd import SpamdUnavailable, spamd_check

SPAM_THRESHOLD = 0.4
READABILITY_MIN = {"en": 60.0, "de": 50.0, "fr": 60.0, "es": 60.0}
SUBJECT_MAX = 60
WORDS = {"first": (50, 150), "follow_up": (25, 120)}
GATES = ("spam", "readability", "facts", "form")

_TOKEN = re.compile(r"[^\W_][\w'’\-]*")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class GateResult:
    name: str
    passed: bool
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)
    skipped: str = ""


@dataclass
class GateReport:
    results: dict[str, GateResult]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.results.items() if not r.passed]

    def constraints(self) -> list[str]:
        return [c for r in self.results.values() if not r.passed for c in r.constraints]

    def as_json(self) -> dict:
        return {name: asdict(result) for name, result in self.results.items()}


# --- links and domains -------------------------------------------------------------------
# A domain is anything shaped like a host name: labels of letters (any script), digits and
# inner hyphens, joined by dots (IDNA also reads the ideographic and full-width dots as
# dots), ending in a label of two or more letters or a punycode ``xn--`` label. There is no
# list of top-level domains: any TLD counts (.online, .xyz, .hotel, .рф and those delegated
# after any list was written), because a reader clicks or types whatever looks like one.
_DOTS = ".\u3002\uff0e\uff61"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_TLD = r"(?:xn--[a-z0-9-]{0,58}[a-z0-9]|[^\W\d_]{2,63})"
# not inside a longer token, and not an address's local part ("mike.peters@…")
_DOMAIN = re.compile(rf"(?<![\w\-{_DOTS}])(?:{_LABEL}[{_DOTS}])+{_TLD}(?![\w@-])", re.IGNORECASE)
_URL = re.compile(r"(?<![\w.+\-])(?:[a-z][a-z0-9+.\-]{0,31}://|www\.)[^\s<>\"]+", re.IGNORECASE)
_URL_HOST = re.compile(r"^(?:[a-z][a-z0-9+.\-]{0,31}://)?(?:[^@/\s]*@)?(\[[^\]]*\]|[^/:?#\s]+)", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>\"'’”»"


def _is_prose(token: str) -> bool:
    *head, last = re.split(f"[{_DOTS}]", token)
    if not (last[0].isupper() and last[1:].islower()):
        return False
    if len(head) == 1:  # "Mr.Smith", "5.Stock", "J.Smith"
        return head[0].lower() in PROSE_ABBREVIATIONS or head[0].isdigit() or (len(head[0]) == 1 and head[0].isalpha())
    return all(len(label) == 1 and label.isalpha() for label in head)  # e.g., i.e., U.S.


def _hosts(text: str):
    """(host, link, in_address) for every host ``text`` names; ``link`` is what a reader sees."""
    urls = list(_URL.finditer(text))
    for match in urls:
        link = match.group(0).rstrip(_TRAILING)
        if (host := _URL_HOST.match(link)) and host.group(1).strip("[]"):
            yield host.group(1).strip("[]"), link, False
    for match in _DOMAIN.finditer(text):
        if any(url.start() <= match.start() < url.end() for url in urls) or _is_prose(match.group(0)):
            continue
        path = re.match(r"/[^\s<>\"]*", text[match.end() :])
        link = (match.group(0) + (path.group(0) if path else "")).rstrip(_TRAILING)
        yield match.group(0), link, text[max(0, match.start() - 1) : match.start()] == "@"


def normalised_domain(host: str) -> str:
    """'WWW.Hôtel-Paris.FR.' → 'xn--htel-paris-…fr': one spelling to compare, in any script."""
    host = re.sub(f"[{_DOTS}]", ".", host.strip().lower()).strip(".").removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not valid IDNA (a long label, an odd character): compared as written
        return host


def domains_in(text: str) -> list[str]:
    """Every host ``text`` names, in a link (any scheme, or www.), an address or bare."""
    return list(dict.fromkeys(host for host, _link, _address in _hosts(text)))


def links_in(text: str) -> list[str]:
    """What a reader can follow or type as a link: URLs, www. and bare domains (an address is not one)."""
    return list(dict.fromkeys(link for _host, link, address in _hosts(text) if not address))


# --- spam ------------------------------------------------------------------------------


def _phrase(words: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(words).replace(r"\ ", r"\s+") + r"(?![\w-])", re.IGNORECASE)


_TRIGGERS = [(w, _phrase(w)) for w in TRIGGER_WORDS]
_URGENCY = [(w, _phrase(w)) for w in URGENCY_PHRASES]
_MONEY = [(re.compile(p, re.IGNORECASE), label) for p, label in MONEY_PATTERNS]


def spam_heuristic(subject: str, body: str, context: CompositionContext) -> tuple[float, list[str], list[str]]:
    """(score, reasons, constraints) from the features spam filters dislike."""
    text = f"{subject}\n{body}"
    score, reasons, constraints = 0.0, [], []
    for word, pattern in _TRIGGERS:
        if pattern.search(text):
            score += 0.15
            reasons.append(f'trigger word "{word}"')
            constraints.append(f'Do not use the word "{word}".')
    for phrase, pattern in _URGENCY:
        if pattern.search(text):
            score += 0.15
            reasons.append(f'urgency phrase "{phrase}"')
            constraints.append(f'Do not use urgency such as "{phrase}".')
    money = {label for pattern, label in _MONEY if pattern.search(text)}
    for label in sorted(money):
        score += 0.12
        reasons.append(f"money/price talk ({label})")
        constraints.append(f"Do not mention prices, discounts or money ({label}).")
    known_caps = {t for t in _TOKEN.findall(context.facts_corpus()) if t.isupper()}
    caps = [w for w in _WORD.findall(text) if len(w) >= 3 and w.isupper() and w not in ACRONYMS and w not in known_caps]
    if caps:
        score += 0.1 * min(len(caps), 5) + (0.05 if any(w in _WORD.findall(subject) for w in caps) else 0)
        shown = ", ".join(dict.fromkeys(caps[:5]))
        reasons.append(f"{len(caps)} word(s) in capitals ({shown})")
        constraints.append(f"Do not write words in capitals ({shown}).")
    exclamations = body.count("!")
    if "!" in subject:
        score += 0.15
        reasons.append("exclamation mark in the subject")
        constraints.append("Use no exclamation mark in the subject.")
    if exclamations:
        score += 0.05 * exclamations + (0.15 if "!!" in body else 0)
        reasons.append(f"{exclamations} exclamation mark(s) in the body")
        if exclamations > 1 or "!!" in body:
            constraints.append("Use no exclamation marks.")
    links = links_in(text)
    allowed = 0 if not context.is_follow_up else 1
    if len(links) > allowed:
        score += 0.2 * (len(links) - allowed)
        reasons.append(f"{len(links)} link(s): {', '.join(links[:3])}")
        constraints.append("Include no links." if not allowed else "Include at most one link.")
    return min(round(score, 3), 1.0), reasons, constraints


def message_for_spamassassin(subject: str, body: str, context: CompositionContext) -> bytes:
    """The email as a receiving server would see it (headers a real send carries)."""
    message = EmailMessage()
    message["From"] = email.utils.formataddr((context.sender_name or "Jengu", "outreach@jengu.example"))
    message["To"] = "gm@hotel.example"
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="jengu.example")
    message.set_content(body)
    return bytes(message)


def spam_gate(subject: str, body: str, context: CompositionContext) -> GateResult:
    heuristic, reasons, constraints = spam_heuristic(subject, body, context)
    detail: dict = {"heuristic": {"score": heuristic, "reasons": list(reasons)}}
    score, skipped = heuristic, ""
    host = getattr(settings, "SPAMD_HOST", "")
    if host:
        try:
            verdict = spamd_check(
                message_for_spamassassin(subject, body, context),
                host=host,
                port=settings.SPAMD_PORT,
                timeout=getattr(settings, "SPAMD_TIMEOUT", 10.0),
            )
        except SpamdUnavailable as exc:
            skipped = f"SpamAssassin skipped: {exc}"
            detail["spamassassin"] = {"skipped": str(exc)}
        else:
            normalised = round(min(1.0, max(0.0, verdict.score) / (2 * (verdict.required or 5.0))), 3)
            fired = [r for r in verdict.rules if r["points"] > 0]
            detail["spamassassin"] = {
                "score": verdict.score,
                "required": verdict.required,
                "normalised": normalised,
                "rules": verdict.rules,
            }
            for rule in fired:
                reasons.append(f"SpamAssassin {rule['rule']} ({rule['points']:+.1f}): {rule['description']}")
                constraints.append(f"Avoid what SpamAssassin calls: {rule['description']}.")
            score = max(score, normalised)
    else:
        skipped = "SpamAssassin not configured (SPAMD_HOST is blank)"
        detail["spamassassin"] = {"skipped": skipped}
    return GateResult(
        name="spam",
        passed=score < SPAM_THRESHOLD,
        score=score,
        reasons=reasons,
        constraints=constraints,
        detail=detail,
        skipped=skipped,
    )


# --- readability -----------------------------------------------------------------------


@cache
def _pyphen(language: str):
    import pyphen

    return pyphen.Pyphen(lang=language)


@cache
def _textstat(language: str):
    from textstat.textstat import textstatistics

    stats = textstatistics()
    stats.set_lang(language)
    return stats


def prose_of(body: str) -> str:
    """The body without its greeting line and signature block: what readability measures."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    if paragraphs and len(paragraphs[0].split()) <= 5 and "\n" not in paragraphs[0]:
        paragraphs = paragraphs[1:]  # "Hi Anna,"
    if len(paragraphs) > 1 and all(len(line.split()) <= 6 for line in paragraphs[-1].splitlines()):
        paragraphs = paragraphs[:-1]  # "Best,\nEdd Chen\n…"
    return "\n\n".join(paragraphs)


def flesch_english(text: str) -> float:
    """Flesch reading ease, 206.835 − 1.015 × words/sentence − 84.6 × syllables/word."""
    words = [w for part in _WORD.findall(text) for w in re.split(r"['’\-]", part) if w]
    if not words:
        return 0.0
    sentences = max(1, len(re.findall(r"[.!?]+(?=\s|$)", text)))
    hyphenator = _pyphen("en_US")
    syllables = sum(len(hyphenator.positions(w.lower())) + 1 for w in words)
    return round(206.835 - 1.015 * len(words) / sentences - 84.6 * syllables / len(words), 1)


def readability_gate(body: str, language: str) -> GateResult:
    text = prose_of(body)
    minimum = READABILITY_MIN.get(language)
    if minimum is None:
        return GateResult(name="readability", passed=True, skipped=f"no readability formula for language '{language}'")
    if language == "en":
        score, formula = flesch_english(text), "Flesch reading ease (pyphen syllables)"
    else:
        score = round(float(_textstat(language).flesch_reading_ease(text)), 1)
        formula = f"textstat Flesch reading ease for '{language}'"
    passed = score >= minimum
    return GateResult(
        name="readability",
        passed=passed,
        score=score,
        reasons=[] if passed else [f"reading ease {score} is below {minimum:g}"],
        constraints=[]
        if passed
        else [f"Use shorter sentences and plainer, shorter words (reading ease {score}, needs {minimum:g})."],
        detail={"formula": formula, "minimum": minimum, "language": language},
    )


# --- facts -----------------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"(?:^|[.!?:;¿¡\n]\s*|[\"“„«(]\s*)$")


def _capitalised_runs(text: str) -> list[tuple[list[str], bool]]:
    """Runs of adjacent capitalised words, each with whether it opens a sentence."""
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    at_start = False
    last_end = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        gap = text[last_end : match.start()]
        contiguous = current and gap in (" ", "\u00a0")
        if token[0].isupper() or (token[0].isdigit() and contiguous):
            if contiguous:
                current.append(token)
            else:
                if current:
                    runs.append((current, at_start))
                current = [token]
                at_start = bool(_SENTENCE_BREAK.search(text[max(0, match.start() - 3) : match.start()]))
                at_start = at_start or match.start() == 0
        else:
            if current:
                runs.append((current, at_start))
            current = []
        last_end = match.end()
    if current:
        runs.append((current, at_start))
    return runs


def _numbers(text: str) -> list[str]:
    return [m.group(0) for m in _NUMBER.finditer(text)]


def _normalised_number(number: str) -> str:
    return re.sub(r"[.,]", "", number).lstrip("0") or "0"


def facts_gate(subject: str, body: str, context: CompositionContext) -> GateResult:
    corpus = context.facts_corpus()
    corpus_words = {t.lower() for t in _TOKEN.findall(corpus)}
    corpus_numbers = {_normalised_number(n) for n in _numbers(corpus)}
    unsupported: list[str] = []
    constraints: list[str] = []
    text = f"{subject}\n{body}"
    for number in dict.fromkeys(_numbers(text)):
        if _normalised_number(number) not in corpus_numbers:
            unsupported.append(f'the number "{number}"')
            constraints.append(f'Do not cite "{number}": use only numbers that appear in the facts given.')
    # a web or mail domain is never a fact to cite from research or a reply: only the
    # campaign's own (its texts, the sender's) and the hotel's (its website, its name)
    known_domains = {normalised_domain(host) for host in domains_in(context.link_sources())}
    foreign_domains = []
    for host in domains_in(text):
        if normalised_domain(host) not in known_domains and host not in foreign_domains:
            foreign_domains.append(host)
            constraints.append(f'Do not mention "{host}": name no website or address but the hotel\'s and ours.')
    for line in text.splitlines():
        for run, at_start in _capitalised_runs(line):
            words = [w for w in run if w.lower() not in GENERIC_CAPITALISED and not w[0].isdigit()]
            if not [w for w in words if w.lower() not in HOTEL_WORDS]:
                continue  # "Hotels", "Hi", "Best": no name in it
            if context.language == "de" and not any(w.lower() in HOTEL_WORDS for w in run):
                continue
            if len(run) == 1 and at_start:
                continue  # a sentence's first word
            if at_start and len(words) == len(run) and words[0].lower() not in corpus_words:
                # "Our", "When", "Harbour View Hotel"…: the opener may be an ordinary word
                words = words[1:]
            missing = [w for w in words if w.lower() not in corpus_words]
            if missing:
                name = " ".join(run)
                if f'"{name}"' not in " ".join(unsupported):
                    unsupported.append(f'the name "{name}"')
                    constraints.append(
                        f'Do not mention "{name}": name only the hotel, people and companies in the facts given.'
                    )
    return GateResult(
        name="facts",
        passed=not (unsupported or foreign_domains),
        reasons=[f"the domain \"{host}\" is neither the hotel's nor the campaign's" for host in foreign_domains]
        + [f"{item} is not in the prospect, research or campaign" for item in unsupported],
        constraints=constraints,
        detail={"unsupported": unsupported, "domains": foreign_domains},
    )


# --- form ------------------------------------------------------------------------------

_PLACEHOLDERS = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\}\}|\{%|%\}|\[\s*[A-Za-z][A-Za-z _.\-]{1,30}\s*\]|\{\s*[A-Za-z_][\w ]{0,30}\}"
    r"|<\s*[A-Z][A-Z_ ]{1,30}\s*>|%[A-Z_]{3,}%|\bX{3,}\b|\bTBD\b|\blorem ipsum\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (?:morning|afternoon)|hallo|guten tag|guten morgen|liebe|lieber|sehr geehrter?"
    r"|bonjour|bonsoir|cher|chère|hola|estimad[oa]|buenos días|buenas tardes)\b(.*)$",
    re.IGNORECASE,
)
_NAME_HONORIFICS = {"mr", "mrs", "ms", "dr", "herr", "frau", "monsieur", "madame", "señor", "señora", "sr", "sra"}
_BROKEN = [
    (re.compile(r"[^\S\n]+[,.](?!\d)"), "a space before a comma or full stop"),
    (re.compile(r",\s*[.!?]|,,|\.\.(?!\.)|;\s*[.!?]"), "doubled punctuation"),
    (re.compile(r"\(\s*\)|\"\s*\"|“\s*”"), "empty brackets or quotes"),
    (re.compile(r"[^\S\n]{2,}"), "a double space"),
    # a word on its own (not the end of "A-a" or "Spa-A"), and a capital "A." is a grade or a
    # letter ("Chef de Partie A"), not "hiring a."
    (
        re.compile(r"(?:^|(?<=\s))(?:(?i:at|of|for|the|an|with|from|to)|a)[.!?](?:\s|$)"),
        "a sentence that stops mid-way",
    ),
    # "the the", but not "check-in in": a hyphenated word's last part is not a word of its own
    (re.compile(r"(?<![\w-])(\w{2,})\s+\1\b"), "a doubled word"),
]
_BROKEN_NOT_FRENCH = [(re.compile(r"[^\S\n]+[;:!?]"), "a space before punctuation")]


def word_count(body: str) -> int:
    """The words the form gate counts (the signature included)."""
    return len(_WORD.findall(body))


def _greeting_problems(first_line: str, context: CompositionContext) -> list[str]:
    match = _GREETING.match(first_line.strip())
    if not match:
        return [f'the email does not open with a greeting ("{first_line[:40]}")']
    rest = match.group(2)
    if re.match(r"^\s+[,:!]", rest) or not first_line.strip().rstrip(",:!"):
        return ["the greeting is empty before its comma"]
    name = rest.strip().rstrip(",:!").strip()
    if not name:
        return []
    tokens = [t for t in re.split(r"[\s.]+", name) if t and t.lower() not in _NAME_HONORIFICS]
    known = {t.lower() for t in _TOKEN.findall(f"{context.contact_name} {context.first_name}")}
    if not tokens or any(t.lower() not in known for t in tokens):
        who = context.first_name or "no one (neutral greeting)"
        return [f'the greeting names "{name}", but the contact is {who}']
    return []


def form_gate(subject: str, body: str, context: CompositionContext) -> GateResult:
    problems: list[str] = []
    constraints: list[str] = []
    text = f"{subject}\n{body}"
    placeholders = list(dict.fromkeys(m.group(0) for m in _PLACEHOLDERS.finditer(text)))
    if placeholders:
        problems.append(f"unfilled placeholder(s): {', '.join(placeholders[:5])}")
        constraints.append("Write the final text: no placeholders in brackets or braces.")
    lines = [line for line in body.strip().splitlines() if line.strip()]
    greeting_issues = _greeting_problems(lines[0] if lines else "", context)
    if greeting_issues:
        problems.extend(greeting_issues)
        greeting = f'"Hi {context.first_name},"' if context.first_name else 'a neutral greeting such as "Hello,"'
        constraints.append(f"Open with {greeting}.")
    if not subject.strip():
        problems.append("the subject is empty")
        constraints.append("Write a subject line.")
    elif len(subject) > SUBJECT_MAX:
        problems.append(f"the subject has {len(subject)} characters (at most {SUBJECT_MAX})")
        constraints.append(f"Keep the subject under {SUBJECT_MAX} characters.")
    low, high = WORDS["follow_up" if context.is_follow_up else "first"]
    words = word_count(body)
    if not low <= words <= high:
        problems.append(f"the body has {words} words ({low}–{high} wanted)")
        constraints.append(f"Write between {low} and {high} words.")
    if not context.is_follow_up and (links := links_in(text)):
        problems.append(f"a first email carries no links ({', '.join(links[:3])})")
        constraints.append("Include no links.")
    if marks := unpaired(text):
        problems.append(f"broken sentence: a bracket or quote without its partner ({' '.join(dict.fromkeys(marks))})")
        constraints.append("Close every bracket and quotation mark you open, or use none.")
    checks = _BROKEN + ([] if context.language == "fr" else _BROKEN_NOT_FRENCH)
    for pattern, label in checks:
        if match := pattern.search(text):
            problems.append(f'broken sentence: {label} ("{match.group(0).strip() or match.group(0)}")')
            constraints.append("Check every sentence is complete and punctuated normally.")
    return GateResult(
        name="form",
        passed=not problems,
        reasons=problems,
        constraints=list(dict.fromkeys(constraints)),
        detail={"words": words, "subject_length": len(subject)},
    )


def run_gates(
    subject: str, body: str, context: CompositionContext, *, only=GATES, timings: dict | None = None
) -> GateReport:
    """Every gate in ``only`` on one draft; ``timings`` (name → seconds) accumulates for the bench."""
    runners = {
        "spam": lambda: spam_gate(subject, body, context),
        "readability": lambda: readability_gate(body, context.language),
        "facts": lambda: facts_gate(subject, body, context),
        "form": lambda: form_gate(subject, body, context),
    }
    results = {}
    for name in only:
        started = time.perf_counter()
        results[name] = runners[name]()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
    return GateReport(results=results)
