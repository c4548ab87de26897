"""A person's name read the way an address is written, and the addresses to guess from it.

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
- ``parse_name(name)`` splits a name into first and last parts (particles kept with the
  last name); ``finder_name(name)`` gives (first, last) in their real spelling for an
  email finder; ``ascii_name(text)`` is the lower-case ASCII an address is spelt in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from infra.text import fold

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


def ascii_name(text: str, *, german: bool = False) -> str:
    """Lower-case ASCII for an address: infra.text.fold (ß→ss, æ→ae, ø→o, accents gone), plus
    the name letters above; ``german`` spells umlauts out (ä→ae) first. Anything else non-ASCII goes."""
    if german:
        text = text.translate(_GERMAN_UMLAUTS)
    return fold(text.translate(_NAME_LETTERS)).encode("ascii", "ignore").decode()


def _tokens(name: str, *, german: bool = False) -> list[str]:
    """Lower-case ASCII name parts, honorifics and suffixes gone, hyphens kept inside a part."""
    name = re.sub(r"\([^)]*\)|\"[^\"]*\"|“[^”]*”", " ", name)  # nicknames: Robert (Bob) Smith
    name = reorder_comma(name)
    parts = []
    for raw in ascii_name(name, german=german).split():
        part = re.sub(r"[^a-z0-9-]", "", raw)  # O'Brien → obrien, "Dr." → dr
        part = re.sub(r"-{2,}", "-", part).strip("-")
        if part:
            parts.append(part)
    while parts and parts[-1] in SUFFIXES and len(parts) > 1:
        parts.pop()
    while parts and (parts[0] in HONORIFICS or (parts[0] in AMBIGUOUS_HONORIFICS and len(parts) > 2)):
        parts.pop(0)
    return parts


def reorder_comma(name: str) -> str:
    """ "Johnson, Sarah" → "Sarah Johnson"; "Sarah Johnson, CHA" → "Sarah Johnson"."""
    if "," not in name:
        return name
    left, right = (piece.strip() for piece in name.split(",", 1))
    right_words = [re.sub(r"[^a-z]", "", w) for w in ascii_name(right).split()]
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


def finder_name(name: str) -> tuple[str, str]:
    """First and last name as Hunter wants them: real spelling, honorifics and suffixes gone."""
    words = [w for w in re.sub(r"\([^)]*\)", " ", reorder_comma(name)).split()]
    plain = [re.sub(r"[^a-z]", "", ascii_name(w)) for w in words]
    while len(words) > 1 and plain[-1] in SUFFIXES:
        words, plain = words[:-1], plain[:-1]
    while len(words) > 2 and (plain[0] in HONORIFICS or plain[0] in AMBIGUOUS_HONORIFICS):
        words, plain = words[1:], plain[1:]
    if len(words) >= 4 and not PARTICLES & set(plain[1:-1]):
        return " ".join(words[:2]), " ".join(words[2:])  # María José | García López
    return (words[0], " ".join(words[1:])) if len(words) > 1 else (" ".join(words), "")
