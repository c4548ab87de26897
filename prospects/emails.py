"""Finding a hotel manager's email address: guess the patterns, verify, spend few credits.

Contract:
- ``email_patterns(name, domain)`` is pure: the candidate addresses for a person at a
  domain, likeliest first. Names are transliterated to ASCII (José Müller → jose.muller,
  with jose.mueller as a later alternative; ß → ss, ø → o …), honorifics and suffixes
  are dropped (Dr., Jr., III, CHA), apostrophes vanish (O'Brien → obrien), hyphens stay
  (jean-pierre.dupont, the French norm, then jeanpierre.dupont). Multi-part names try
  each plausible reading: "Anne-Marie van der Berg" → anne-marie.vanderberg, then …berg;
  "María José García López" → maria.garcia, maria.lopez, mariajose.garcia …; a single
  name (Madonna) gives madonna@ only. Patterns follow how common they are at hotels:
  first.last, first, flast, firstlast, first_last, firstl, f.last, last.first, last.
  Role addresses come last and are marked ``generic``: gm@, a director's mailbox in the
  language the domain suggests (direktion@ for .de/.at/.ch, direction@ for .fr …), info@.
  Never reservations@, sales@ or similar: those inboxes belong to teams that do not
  forward a pitch, and writing there reads as spam.
- ``names_from_team_page(html)`` is pure: (name, title) of the managers a team or
  contact page names (schema.org Person in JSON-LD or microdata, "Sarah Johnson, General
  Manager", "Directeur général : Jean Martin", a name above its title in a card), in
  English, German, French, Spanish and Italian; general managers first.
- ``verify_address(address, verifier=…)`` reuses an EmailVerification the same provider
  made within 30 days (an "unknown" for a day only: it cost nothing and the server may
  answer next time) and otherwise calls the verifier once and saves the row with the
  credits the check cost. The returned row's ``reused`` says whether a call was made.
- ``find_email(...)`` checks the person's patterns in order and stops at the first that
  exists. An ok at or above the live threshold (constance EMAIL_VERIFICATION_THRESHOLD,
  0.9 by default) is verified; an ok below it (the verifier hedged) also ends the search,
  unverified, since the other patterns of a name whose mailbox exists only cost credits.
  A catch-all answer ends the search at once (every further check would say the same):
  the likeliest pattern is kept, flagged ``catch_all``, its score capped at 0.6 and
  never verified. Two "unknown" answers in a row end it too (the server will not say).
  Invalid and disposable candidates are skipped, and at most 10 patterns are checked.
  With nothing verified and Hunter configured, Hunter's answer is checked the same way;
  unverified, it replaces our guess unless ours is better (ok > catch-all > unknown):
  on a tie, as on a catch-all domain, Hunter's wins, since it learned the domain's
  pattern from addresses it saw. Role addresses are tried only when no personal
  candidate survived, or there is no name; they come back ``generic`` (a verified role
  address is deliverable, not the person). ``credits_used`` counts the credits this
  run spent (cached checks cost none), ``tried`` the addresses it checked.
- Verifier outages (``ProviderError``, ``CircuitOpen``) propagate: the pipeline leaves
  the email unverified and the checks already made stay cached. A Hunter outage only
  skips Hunter.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.circuit import CircuitBreaker, CircuitOpen
from infra.metrics import counter_add, heartbeat_beat
from infra.text import fold
from prospects.models import EmailVerification
from prospects.providers import registry
from prospects.providers.base import ProviderError
from prospects.providers.millionverifier import AddressNotChecked

logger = logging.getLogger(__name__)

Result = EmailVerification.Result
CACHE_DAYS = 30
UNKNOWN_CACHE_DAYS = 1
CATCH_ALL_SCORE_CAP = 0.6
MAX_PATTERN_CHECKS = 10  # per person; each invalid answer costs a credit
UNKNOWN_STREAK_LIMIT = 2

# --- names ---------------------------------------------------------------------------

# what infra.text.fold does not spell out but an address's local part needs: ð, ŀ, and
# the typographic dashes and apostrophes of a pasted name
_NAME_LETTERS = str.maketrans(
    {"ð": "d", "Ð": "d", "ŀ": "l", "Ŀ": "l", "‐": "-", "‑": "-", "–": "-", "—": "-", "’": "'", "‘": "'"}
)
_GERMAN_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
# stripped wherever they stand at the front
HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "herr", "frau"}
HONORIFICS |= {"mme", "mlle", "monsieur", "madame", "mademoiselle", "sra", "srta", "dott", "dottssa", "ing", "mag"}
# also given names (Don Johnson) or initials (M. Dupont): stripped only when two names remain
AMBIGUOUS_HONORIFICS = {"don", "dona", "sr", "m", "sig", "sigra"}
SUFFIXES = {"jr", "jnr", "sr", "snr", "ii", "iii", "iv", "phd", "md", "mba", "cha", "che", "cpa", "esq", "msc"}
PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "das", "do", "du", "la", "le"}
PARTICLES |= {"ter", "ten", "zu", "af", "av", "bin", "al", "el", "y"}


def _ascii(text: str, *, german: bool = False) -> str:
    """Lower-case ASCII for an address: infra.text.fold (ß→ss, æ→ae, ø→o, accents gone), plus
    the name letters above; ``german`` spells umlauts out (ä→ae) first. Anything else non-ASCII goes."""
    if german:
        text = text.translate(_GERMAN_UMLAUTS)
    return fold(text.translate(_NAME_LETTERS)).encode("ascii", "ignore").decode()


def _tokens(name: str, *, german: bool = False) -> list[str]:
    """Lower-case ASCII name parts, honorifics and suffixes gone, hyphens kept inside a part."""
    name = re.sub(r"\([^)]*\)|\"[^\"]*\"|“[^”]*”", " ", name)  # nicknames: Robert (Bob) Smith
    name = _reorder_comma(name)
    parts = []
    for raw in _ascii(name, german=german).split():
        part = re.sub(r"[^a-z0-9-]", "", raw)  # O'Brien → obrien, "Dr." → dr
        part = re.sub(r"-{2,}", "-", part).strip("-")
        if part:
            parts.append(part)
    while parts and parts[-1] in SUFFIXES and len(parts) > 1:
        parts.pop()
    while parts and (parts[0] in HONORIFICS or (parts[0] in AMBIGUOUS_HONORIFICS and len(parts) > 2)):
        parts.pop(0)
    return parts


def _reorder_comma(name: str) -> str:
    """ "Johnson, Sarah" → "Sarah Johnson"; "Sarah Johnson, CHA" → "Sarah Johnson"."""
    if "," not in name:
        return name
    left, right = (piece.strip() for piece in name.split(",", 1))
    right_words = [re.sub(r"[^a-z]", "", w) for w in _ascii(right).split()]
    if all(w in SUFFIXES or not w for w in right_words):
        return left
    if len(left.split()) == 1 and 1 <= len(right.split()) <= 2 and "," not in right:
        return f"{right} {left}"
    return left


@dataclass(frozen=True)
class PersonName:
    """The ways a person's given name and surname may appear in a mailbox name, likeliest first."""

    firsts: tuple[str, ...]
    lasts: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.firsts[0] if self.firsts else ""

    @property
    def last(self) -> str:
        return self.lasts[0] if self.lasts else ""


def parse_name(name: str) -> PersonName:
    plain = _split(_tokens(name))
    german = _split(_tokens(name, german=True))
    return PersonName(firsts=tuple(_unique(plain[0] + german[0])), lasts=tuple(_unique(plain[1] + german[1])))


def _split(parts: list[str]) -> tuple[list[str], list[str]]:
    """(given-name forms, surname forms) of one transliteration."""
    if not parts:
        return [], []
    if len(parts) == 1:
        return _forms(parts[0]), []
    particle_at = next((i for i in range(1, len(parts) - 1) if parts[i] in PARTICLES), None)
    if particle_at is not None:
        # van der Berg: vanderberg as written, then berg as people often shorten it
        surname = [p for p in parts[particle_at:] if p != "y"]
        return _forms(parts[0]), _unique(["".join(surname).replace("-", ""), surname[-1]])
    if len(parts) == 2:
        return _forms(parts[0]), _forms(parts[1])
    if len(parts) == 3:
        # first middle last (English) or first surname surname (Spanish): try both
        middle = [parts[1]] if len(parts[1]) > 1 else []
        return _forms(parts[0]), _unique(_forms(parts[2]) + middle)
    # four or more: two given names and two surnames (María José García López)
    return _unique(_forms(parts[0]) + [parts[0] + parts[1]]), _unique([parts[-2], parts[-1]])


def _forms(part: str) -> list[str]:
    return _unique([part, part.replace("-", "")])


def _unique(items) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


# --- patterns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    address: str
    pattern: str  # first.last, flast … or the role (gm, info …) for a generic address
    generic: bool = False


# ordered by how often hotels use them
PATTERNS = (
    ("first.last", "{first}.{last}"),
    ("first", "{first}"),
    ("flast", "{f}{last}"),
    ("firstlast", "{first}{last}"),
    ("first_last", "{first}_{last}"),
    ("firstl", "{first}{l}"),
    ("f.last", "{f}.{last}"),
    ("last.first", "{last}.{first}"),
    ("last", "{last}"),
)
# these three are tried with every reading of a name, the rest with the likeliest only
WIDE_PATTERNS = {"first.last", "first", "flast"}
RUN_TOGETHER_PATTERNS = {"firstlast", "firstl"}
DIRECTOR_ROLE_BY_TLD = {
    "de": "direktion",
    "at": "direktion",
    "ch": "direktion",
    "fr": "direction",
    "be": "direction",
    "es": "direccion",
    "mx": "direccion",
    "it": "direzione",
    "pt": "direcao",
}


def email_patterns(name: str, domain: str) -> list[Candidate]:
    """The addresses to try for ``name`` at ``domain``, likeliest first, role addresses last."""
    domain = clean_domain(domain)
    if not domain:
        return []
    person = parse_name(name or "")
    candidates: list[Candidate] = []
    if person.first and not person.lasts:
        candidates.append(Candidate(f"{person.first}@{domain}", "first"))
    elif person.first:
        for pattern, template in PATTERNS:
            firsts = person.firsts if pattern in WIDE_PATTERNS else person.firsts[:1]
            lasts = person.lasts if pattern in WIDE_PATTERNS else person.lasts[:1]
            for first in firsts:
                for last in lasts:
                    if pattern in RUN_TOGETHER_PATTERNS:  # annemarievanderberg, not anne-marievanderberg
                        first, last = first.replace("-", ""), last.replace("-", "")
                    local = template.format(first=first, last=last, f=first[0], l=last[0])
                    candidates.append(Candidate(f"{local}@{domain}", pattern))
    candidates.extend(Candidate(f"{role}@{domain}", role, generic=True) for role in role_addresses(domain))
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        if _valid_local(candidate.address):
            unique.setdefault(candidate.address, candidate)
    return list(unique.values())


def role_addresses(domain: str) -> list[str]:
    director = DIRECTOR_ROLE_BY_TLD.get(domain.rsplit(".", 1)[-1])
    return ["gm", *([director] if director else []), "info"]


def clean_domain(domain: str) -> str:
    """hotel.com from "https://www.Hotel.com/contact", "hotel.com." or "hôtel.fr" (→ punycode)."""
    domain = (domain or "").strip().lower()
    if "//" in domain:
        domain = urlsplit(domain).hostname or ""
    domain = domain.split("/", 1)[0].split("@")[-1].rstrip(".")
    domain = domain.removeprefix("www.")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _valid_local(address: str) -> bool:
    local = address.rpartition("@")[0]
    return 0 < len(local) <= 64 and not local.startswith((".", "-", "_")) and ".." not in local


# --- team pages ----------------------------------------------------------------------

_DIRECTOR_WORDS = r"directeur|directrice|direktor(?:in)?|director|directora|direttore|direttrice"
# (rank, pattern): 0 runs the hotel, 1 manages it, 2 owns it
TITLE_PATTERNS = [
    (
        0,
        r"general\s+manager(?:in)?|directeur\s+g[ée]n[ée]ral|directrice\s+g[ée]n[ée]rale|"
        r"director\s+general|directora\s+general|direttore\s+generale|direttrice\s+generale|"
        r"gerente\s+general|hoteldirektor(?:in)?|managing\s+director|gesch[äa]ftsf[üu]hrer(?:in)?",
    ),
    (
        1,
        r"hotel\s*manager(?:in)?|resident\s+manager|hotel\s+director|"
        r"(?:directeur|directrice)\s+(?:d['’]|de\s+l['’])h[ôo]tel|direktor(?:in)?\s+des\s+hotels",
    ),
    # the bare word only when nothing follows it (Directeur commercial is someone else)
    (1, rf"(?:{_DIRECTOR_WORDS})(?=\s*(?:$|[,;:|()/\-–—]))"),
    (2, r"owner|inhaber(?:in)?|propri[ée]taire|eigent[üu]mer(?:in)?|propietari[oa]|titolare"),
]
_TITLES = [(rank, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)) for rank, pattern in TITLE_PATTERNS]
_GM = re.compile(r"(?<![\w-])GM(?![\w-])")  # the abbreviation, upper case only
_NOT_THE_TOP = re.compile(
    r"(?:(?:executive\s+)?assistant(?:\s+to\s+the)?|asst\.?|deputy|vice|stellvertretende[rn]?|adjoint[e]?|sous-)"
    r"\s*$",
    re.IGNORECASE,
)
# a bare "Director" after one of these runs a department, not the hotel
_DEPARTMENT_BEFORE = re.compile(
    r"(?:sales|marketing|f\s*&\s*b|beverage|spa|revenue|finance|financial|hr|it|technical|events?|rooms|"
    r"operations|commercial|creative|regional|area|brand|culinary|catering|security|guest\s+relations)\s*$",
    re.IGNORECASE,
)
_BARE_DIRECTOR = re.compile(rf"(?:{_DIRECTOR_WORDS})$", re.IGNORECASE)
_NOT_THE_TOP_AFTER = re.compile(r"^\s*(?:adjoint|adjointe|assistant)", re.IGNORECASE)
_BLOCK_TAGS = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure"}
_BLOCK_TAGS |= {"footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p"}
_BLOCK_TAGS |= {"section", "table", "tbody", "td", "th", "thead", "tr", "ul", "body", "html", "button"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "-comment"}
_ABBREVIATION_DOT = re.compile(r"\b(Dr|Mr|Mrs|Ms|Prof|Mme|Mlle|Hr|Fr|Sr|Sra|Dott|Ing|Mag|St)\.\s")
_CHUNK_SPLIT = re.compile(r"\s*(?:[|•·;]|\.\s)\s*")
_PIECE_SPLIT = re.compile(r"\s*(?:[,:()\[\]/–—]|\s-\s)\s*")
# capitalised words that are never part of a person's name on these pages
_NOT_NAME_WORDS = {
    "hotel", "hôtel", "hotels", "manager", "general", "director", "directeur", "directrice", "direktor", "team",
    "our", "meet", "contact", "welcome", "your", "the", "and", "with", "ihr", "ihre", "unser", "unsere", "notre",
    "votre", "nuestro", "nuestra", "il", "lo", "les", "die", "das", "email", "e-mail", "phone", "tel", "telefon",
    "fax", "reservations", "reception", "sales", "marketing", "revenue", "finance", "operations", "front", "office",
    "spa", "events", "food", "beverage", "rooms", "human", "resources", "commercial", "technique", "owner",
    "resort", "restaurant", "bar", "gmbh", "ltd", "inc", "sa", "sas", "srl", "kg", "ag", "gm", "assistant",
    "deputy", "executive", "chef", "head", "of", "to", "for", "at", "is", "as", "hello",
}  # fmt: skip
# words between a name and its title: "Sarah Johnson is our General Manager"
_FILLERS = {"is", "as", "our", "the", "your", "ihr", "ihre", "unser", "unsere", "ist", "als", "notre", "votre"}
_FILLERS |= {"est", "nuestro", "nuestra", "es", "il", "nostro", "nostra", "la", "le", "el"}
_NAME_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "m", "mme", "mlle", "monsieur"}
_NAME_HONORIFICS |= {"madame", "sr", "sra", "don", "doña", "dott", "ing", "mag", "sir", "dame"}


def names_from_team_page(html: str) -> list[tuple[str, str]]:
    """(name, title) of the hotel's managers named on a page, general managers first."""
    if not html or not html.strip():
        return []
    tree = LexborHTMLParser(html)
    found: list[tuple[int, str, str]] = []
    found += _from_json_ld(tree)
    found += _from_microdata(tree)
    found += _from_text(_text_lines(tree))
    best: dict[str, tuple[int, int, str, str]] = {}
    for order, (rank, name, title) in enumerate(found):
        key = _ascii(name)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, order, name, title)
    return [(name, title) for _, _, name, title in sorted(best.values())]


def _title_rank(text: str) -> tuple[int, re.Match] | None:
    """The highest-ranking manager title in ``text`` that is not an assistant's."""
    hits = [(rank, m) for rank, pattern in _TITLES for m in pattern.finditer(text)]
    hits += [(0, m) for m in _GM.finditer(text)]
    hits = [
        (rank, m)
        for rank, m in hits
        if not _NOT_THE_TOP.search(text[: m.start()])
        and not _NOT_THE_TOP_AFTER.match(text[m.end() :])
        and not (_BARE_DIRECTOR.fullmatch(m.group(0)) and _DEPARTMENT_BEFORE.search(text[: m.start()]))
    ]
    return min(hits, key=lambda hit: (hit[0], hit[1].start())) if hits else None


def _from_json_ld(tree: LexborHTMLParser) -> list[tuple[int, str, str]]:
    people = []
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            document = json.loads(script.text(deep=True) or "null")
        except ValueError:
            continue
        stack = [document]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                types = item.get("@type")
                types = types if isinstance(types, list) else [types]
                if "Person" in types:
                    name = item.get("name") or " ".join(filter(None, [item.get("givenName"), item.get("familyName")]))
                    title = item.get("jobTitle") or ""
                    title = ", ".join(map(str, title)) if isinstance(title, list) else str(title)
                    people.append((str(name), title))
                stack.extend(value for value in item.values() if isinstance(value, dict | list))
    return _ranked(people)


def _from_microdata(tree: LexborHTMLParser) -> list[tuple[int, str, str]]:
    people = []
    for node in tree.css('[itemtype*="schema.org/Person"]'):
        name = _node_text(node.css_first('[itemprop="name"]'))
        if not name:
            name = " ".join(
                filter(None, [_node_text(node.css_first(f'[itemprop="{p}"]')) for p in ("givenName", "familyName")])
            )
        people.append((name, _node_text(node.css_first('[itemprop="jobTitle"]'))))
    return _ranked(people)


def _ranked(people: list[tuple[str, str]]) -> list[tuple[int, str, str]]:
    ranked = []
    for raw_name, title in people:
        hit = _title_rank(title)
        name = _clean_name(raw_name.split())
        if hit and name:
            ranked.append((hit[0], name, " ".join(title.split())))
    return ranked


def _text_lines(tree: LexborHTMLParser) -> list[str]:
    """The page's visible text, one line per block element (inline tags don't split a name)."""
    lines = [""]

    def walk(node: LexborNode, depth: int) -> None:
        if depth > 200:
            return
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                lines[-1] += child.text(deep=False) or ""
            elif tag in _SKIP_TAGS:
                continue
            elif tag in _BLOCK_TAGS:
                lines.append("")
                walk(child, depth + 1)
                lines.append("")
            else:
                # inline: a space at its edges, so <span>Name</span><span>Title</span> stays two words
                lines[-1] += " "
                walk(child, depth + 1)
                lines[-1] += " "

    root = tree.body or tree.root
    if root is not None:
        walk(root, 0)
    return [" ".join(line.split()) for line in lines if line.strip()]


def _from_text(lines: list[str]) -> list[tuple[int, str, str]]:
    # "Dr. Anna Schmidt" is no sentence end: drop the abbreviation's dot before splitting
    lines = [_ABBREVIATION_DOT.sub(r"\1 ", line) for line in lines]
    chunks = [chunk for line in lines for chunk in _CHUNK_SPLIT.split(line) if chunk.strip()]
    found = []
    for i, chunk in enumerate(chunks):
        hit = _title_rank(chunk)
        if hit is None:
            continue
        rank, match = hit
        name = _name_before(chunk[: match.start()]) or _name_after(chunk[match.end() :])
        if not name and _is_only_title(chunk, match):
            # a card: the name on its own line just above the title (or just below)
            neighbours = [chunks[j] for j in (i - 1, i + 1) if 0 <= j < len(chunks)]
            name = next((n for n in (_whole_name(c) for c in neighbours) if n), "")
        if name:
            found.append((rank, name, " ".join(match.group(0).split())))
    return found


def _name_before(text: str) -> str:
    pieces = [p.split() for p in _PIECE_SPLIT.split(text) if p.strip()]
    while pieces and pieces[-1] and pieces[-1][-1].lower() in _FILLERS:
        pieces[-1].pop()
        if not pieces[-1]:
            pieces.pop()
    if not pieces:
        return ""
    words = pieces[-1]
    start = len(words)
    while start > 0 and _name_word(words[start - 1]):
        start -= 1
    return _clean_name(words[start:])


def _name_after(text: str) -> str:
    pieces = [p for p in _PIECE_SPLIT.split(text) if p.strip()]
    if not pieces:
        return ""
    words = pieces[0].split()
    while words and words[0].strip(".").lower() in _NAME_HONORIFICS:
        words.pop(0)
    end = 0
    while end < len(words) and _name_word(words[end]):
        end += 1
    return _clean_name(words[:end])


def _whole_name(chunk: str) -> str:
    words = chunk.split()
    while words and words[0].strip(".").lower() in _NAME_HONORIFICS:
        words.pop(0)
    return _clean_name(words) if words and all(_name_word(w) for w in words) else ""


def _is_only_title(chunk: str, match: re.Match) -> bool:
    rest = (chunk[: match.start()] + " " + chunk[match.end() :]).strip(" ,:-–—()")
    return not rest or rest.lower() in {"the", "our", "your", "ihr", "ihre", "notre", "votre", "hotel", "hôtel"}


def _name_word(word: str) -> bool:
    word = word.strip("\"'“”‘’")
    if word.lower() in PARTICLES and word.islower():
        return True
    if not word or not word[0].isupper() or word.lower().strip(".") in _NOT_NAME_WORDS:
        return False
    if word.strip(".").lower() in _NAME_HONORIFICS:
        return False
    return all(ch.isalpha() or ch in "-'’." for ch in word)


def _clean_name(words: list[str]) -> str:
    """A display name from its words: particles and honorifics trimmed at the edges, 2–5 words."""
    words = [w.strip("\"'“”‘’,") for w in words]
    while words and (words[0].strip(".").lower() in _NAME_HONORIFICS or words[0] in PARTICLES):
        words.pop(0)
    while words and words[-1] in PARTICLES:
        words.pop()
    real = [w for w in words if w not in PARTICLES]
    if not 2 <= len(real) <= 5 or any(len(w.strip(".")) < 2 for w in (real[0], real[-1])):
        return ""
    if any(w.lower().strip(".") in _NOT_NAME_WORDS for w in real):
        return ""
    # SARAH JOHNSON → Sarah Johnson; McDonald and van stay as written
    return " ".join(w.title() if w.isupper() and len(w) > 1 else w for w in words)


def _node_text(node: LexborNode | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


# --- verification --------------------------------------------------------------------


def verify_address(address: str, *, verifier, now: datetime.datetime | None = None) -> EmailVerification:
    """The verifier's verdict on ``address``: from the 30-day cache, or from one paid check.

    The returned row carries ``reused`` (True when no call was made). A row written by
    another provider (the sandbox twin, say) is not reused: its verdict is not real.
    """
    now = now or timezone.now()
    address = address.strip().lower()
    provider = getattr(verifier, "provider", "")
    row = EmailVerification.objects.filter(address=address).first()
    if row is not None and row.provider == provider and now - row.checked_at < _cache_life(row.result):
        row.reused = True
        return row
    verification = verifier.verify(address)
    # what the check cost, per day (the cost report, the spend alert), and the credits the
    # service says are left (the "verifier credits low" alert rule)
    counter_add("jengu_verifier_credits_total", verification.credits_used,
                labels={"provider": provider or verification.provider}, daily=True, now=now)  # fmt: skip
    if getattr(verification, "credits_left", None) is not None:
        heartbeat_beat(f"verifier_credits:{provider or verification.provider}", value=verification.credits_left,
                       now=now)  # fmt: skip
    row, _ = EmailVerification.objects.update_or_create(
        address=address,
        defaults={
            "result": verification.result,
            "quality": verification.quality[:20],
            "score": verification.score,
            "provider": provider or verification.provider,
            "credits_used": verification.credits_used,
            "raw": verification.raw,
            "checked_at": now,
        },
    )
    row.reused = False
    return row


def _cache_life(result: str) -> datetime.timedelta:
    return datetime.timedelta(days=UNKNOWN_CACHE_DAYS if result == Result.UNKNOWN else CACHE_DAYS)


@dataclass
class EmailFinding:
    """What one ``find_email`` run concluded, and what it cost."""

    email: str = ""  # "" when nothing deliverable was found
    score: float = 0.0
    verified: bool = False  # ok at or above the threshold; never on a catch-all domain
    catch_all: bool = False  # the domain accepts every address: deliverability unknowable
    generic: bool = False  # a role address (gm@, info@), not the person's own
    result: str = ""  # the verifier's result for ``email``
    credits_used: int = 0  # spent in this run; cached checks are free
    tried: list[str] = field(default_factory=list)  # addresses checked, in order
    source: str = ""  # "pattern" (our guess), "hunter", "role" (generic), or "" when nothing was found
    pattern: str = ""  # first.last, … for a guess; the role for a generic address
    name: str = ""  # the contact name the guesses came from (given, or read off the page)
    verifier_calls: int = 0  # checks that reached the verifier (not the cache)


class _Run:
    """The checks of one find_email run, each address at most once, with their cost."""

    def __init__(self, verifier, now):
        self.verifier = verifier
        self.now = now
        self.checks: dict[str, EmailVerification | None] = {}
        self.tried: list[str] = []
        self.credits = 0
        self.calls = 0

    def check(self, address: str) -> EmailVerification | None:
        if address in self.checks:
            return self.checks[address]
        self.tried.append(address)
        try:
            row = verify_address(address, verifier=self.verifier, now=self.now)
        except AddressNotChecked as exc:
            logger.info("email finder: %s", exc)
            self.calls += 1
            row = None
        else:
            if not row.reused:
                self.calls += 1
                self.credits += row.credits_used
        self.checks[address] = row
        return row

    def finding(self, name: str, candidate: Candidate | None = None, row=None, **flags) -> EmailFinding:
        finding = EmailFinding(tried=list(self.tried), credits_used=self.credits, verifier_calls=self.calls, name=name)
        if candidate is not None and row is not None:
            finding.email = candidate.address
            finding.pattern = candidate.pattern
            finding.generic = candidate.generic
            finding.result = row.result
            finding.score = row.score
            finding.source = "hunter" if candidate.pattern == "hunter" else "role" if candidate.generic else "pattern"
        for key, value in flags.items():
            setattr(finding, key, value)
        if finding.catch_all:
            finding.score = min(finding.score, CATCH_ALL_SCORE_CAP)
            finding.verified = False
        return finding


def find_email(
    *,
    name: str,
    domain: str,
    team_page_html: str = "",
    threshold: float | None = None,
    verifier=None,
    hunter=None,
    now: datetime.datetime | None = None,
) -> EmailFinding:
    """The person's best address at ``domain``; see the module docstring for the rules.

    ``verifier`` defaults to ``default_verifier()``, ``hunter`` to ``default_hunter()``
    (none without HUNTER_API_KEY), ``threshold`` to the live constance setting.
    """
    domain = clean_domain(domain)
    if not name and team_page_html:
        name = next((found for found, _ in names_from_team_page(team_page_html)), "")
    name = (name or "").strip()
    if not domain:
        return EmailFinding(name=name)
    if threshold is None:
        from constance import config

        threshold = float(config.EMAIL_VERIFICATION_THRESHOLD)
    verifier = verifier if verifier is not None else default_verifier()
    hunter = hunter if hunter is not None else default_hunter()
    run = _Run(verifier, now or timezone.now())

    candidates = email_patterns(name, domain)
    personal = [c for c in candidates if not c.generic][:MAX_PATTERN_CHECKS]
    roles = [c for c in candidates if c.generic]

    outcome = _first_deliverable(run, personal, threshold)
    if outcome.verified_pick:
        return _done(run.finding(name, *outcome.verified_pick, verified=True), domain)
    best, catch_all = outcome.best, outcome.catch_all

    person = parse_name(name)
    if hunter and person.first and person.last:
        from_hunter = _ask_hunter(run, hunter, domain, name)
        if from_hunter is not None:
            candidate, row = from_hunter
            if _verified(row, threshold):
                return _done(run.finding(name, candidate, row, verified=True), domain)
            # on a tie Hunter wins: it learned the domain's pattern from addresses it saw
            if best is None or _GUESS_RANK[row.result] >= _GUESS_RANK[best[1].result]:
                best = from_hunter
                catch_all = row.result == Result.CATCH_ALL

    if best is not None:
        return _done(run.finding(name, *best, catch_all=catch_all), domain)

    outcome = _first_deliverable(run, roles, threshold)
    if outcome.verified_pick:
        return _done(run.finding(name, *outcome.verified_pick, verified=True), domain)
    if outcome.catch_all:
        # a role mailbox on a catch-all domain can't be checked: info@ is the one every hotel reads
        info = next((c for c in roles if c.pattern == "info"), outcome.best[0])
        return _done(run.finding(name, info, outcome.best[1], catch_all=True), domain)
    if outcome.best is not None:
        return _done(run.finding(name, *outcome.best), domain)
    return _done(run.finding(name), domain)


@dataclass
class _Outcome:
    verified_pick: tuple[Candidate, EmailVerification] | None = None
    best: tuple[Candidate, EmailVerification] | None = None  # the likeliest surviving guess
    catch_all: bool = False


def _first_deliverable(run: _Run, candidates: list[Candidate], threshold: float) -> _Outcome:
    """Check candidates in order until one exists, the domain turns out catch-all, or the server won't say."""
    outcome, unknown_streak = _Outcome(), 0
    for candidate in candidates:
        row = run.check(candidate.address)
        if row is None:
            continue
        if row.result == Result.OK:
            if _verified(row, threshold):
                outcome.verified_pick = (candidate, row)
            else:
                # the mailbox exists but the verifier hedges: the name's other patterns would only cost credits
                outcome.best = (candidate, row)
            return outcome
        if row.result == Result.CATCH_ALL:
            outcome.catch_all = True
            outcome.best = outcome.best or (candidate, row)
            return outcome
        if row.result == Result.UNKNOWN:
            outcome.best = outcome.best or (candidate, row)
            unknown_streak += 1
            if unknown_streak >= UNKNOWN_STREAK_LIMIT:
                return outcome
            continue
        unknown_streak = 0  # invalid or disposable: on to the next pattern
    return outcome


# how good an unverified guess is: the mailbox exists > the domain takes anything > no answer
_GUESS_RANK = {Result.OK: 3, Result.CATCH_ALL: 2, Result.UNKNOWN: 1}


def _verified(row: EmailVerification, threshold: float) -> bool:
    return row.result == Result.OK and row.score >= threshold


def _ask_hunter(run: _Run, hunter, domain: str, name: str) -> tuple[Candidate, EmailVerification] | None:
    first, last = _hunter_name(name)
    try:
        found = hunter.find(domain, first, last)
    except (ProviderError, CircuitOpen) as exc:
        logger.warning("email finder: hunter unavailable for %s: %s", domain, exc)
        return None
    if found is None or not found.email:
        return None
    row = run.check(found.email)
    if row is None or row.result in (Result.INVALID, Result.DISPOSABLE):
        return None
    return Candidate(found.email, "hunter"), row


def _hunter_name(name: str) -> tuple[str, str]:
    """First and last name as Hunter wants them: real spelling, honorifics and suffixes gone."""
    words = [w for w in re.sub(r"\([^)]*\)", " ", _reorder_comma(name)).split()]
    plain = [re.sub(r"[^a-z]", "", _ascii(w)) for w in words]
    while len(words) > 1 and plain[-1] in SUFFIXES:
        words, plain = words[:-1], plain[:-1]
    while len(words) > 2 and (plain[0] in HONORIFICS or plain[0] in AMBIGUOUS_HONORIFICS):
        words, plain = words[1:], plain[1:]
    if len(words) >= 4 and not PARTICLES & set(plain[1:-1]):
        return " ".join(words[:2]), " ".join(words[2:])  # María José | García López
    return (words[0], " ".join(words[1:])) if len(words) > 1 else (" ".join(words), "")


def _done(finding: EmailFinding, domain: str) -> EmailFinding:
    logger.info(
        "email finder: %s → %s (%s, score %.2f%s%s), %d checked, %d verifier calls, %d credits",
        domain,
        finding.email or "nothing",
        finding.result or "-",
        finding.score,
        ", verified" if finding.verified else "",
        ", catch-all" if finding.catch_all else (", generic" if finding.generic else ""),
        len(finding.tried),
        finding.verifier_calls,
        finding.credits_used,
    )
    return finding


# --- the services behind it ----------------------------------------------------------


class GuardedVerifier:
    """A verifier behind a circuit breaker.

    One address the service could not check (``AddressNotChecked``) is the service
    working, not an outage: it does not count towards opening the circuit.
    """

    def __init__(self, verifier, breaker: CircuitBreaker):
        self.verifier = verifier
        self.breaker = breaker
        self.provider = verifier.provider

    def verify(self, address: str, timeout: int = 10):
        outcome = self.breaker.call(self._verify, address, timeout)
        if isinstance(outcome, AddressNotChecked):
            raise outcome
        return outcome

    def credits(self) -> int:
        return self.breaker.call(self.verifier.credits)

    def _verify(self, address: str, timeout: int):
        try:
            return self.verifier.verify(address, timeout=timeout)
        except AddressNotChecked as exc:
            return exc


class GuardedHunter:
    """Hunter behind its own circuit breaker, so an outage is not asked about on every prospect."""

    def __init__(self, hunter, breaker: CircuitBreaker):
        self.hunter = hunter
        self.breaker = breaker

    def find(self, domain: str, first_name: str, last_name: str):
        return self.breaker.call(self.hunter.find, domain, first_name, last_name)


def default_verifier() -> GuardedVerifier:
    """The registry's verifier (MillionVerifier, or the sandbox twin without a key) behind a breaker."""
    return GuardedVerifier(registry.verifier(), CircuitBreaker("verifier:millionverifier"))


def default_hunter() -> GuardedHunter | None:
    """The registry's finder (Hunter when HUNTER_API_KEY is set; optional) behind a breaker."""
    hunter = registry.finder()
    return GuardedHunter(hunter, CircuitBreaker("finder:hunter")) if hunter is not None else None
