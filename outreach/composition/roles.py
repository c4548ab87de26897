"""Job titles as a person writes them in a sentence, in the email's language.

A job advert's title is written for a job board: "Réceptionniste (H/F)", "Nachtportier
(m/w/d) - Vollzeit", "Front Desk Agent – Full-time #hiring", "Hotel Receptionist -
citizenM London Bankside". Nobody writes that in a sentence, and an English email that
says "hiring a new Capo Ricevimento" mixes two languages in one sentence.

- ``strip_markers(title)`` removes gender and contract markers whole: ``(m/w/d)``,
  ``(w/m/d)``, ``(H/F)``, ``(F/H)``, ``(f/m/x)``, ``(m/f/d)`` and their spellings (with or
  without brackets, a truncated "(H/F"), inclusive endings ("Mitarbeiter/in",
  "Director/a", "Employé(e)"), "- Vollzeit", "ab sofort", "CDI", "Full-time", "#hiring"
  and the like (``CONTRACT_MARKERS``).
- ``display_title(title)`` is the title for a sentence: markers removed, the part after a
  spaced dash or bar cut ("- citizenM London Bankside", "– Hôtel 5* Paris 8e"), brackets
  dropped, capitals only where a title has them.
- ``role_in(title, language)`` names the role in the email's language: the advert's own
  words when they are in that language (or a loan word it uses: "Revenue Manager" in a
  German email), the role table's name when the advert is in another language
  ("Capo Ricevimento" → "head of reception" in English), and ``RoleName("")`` when the
  role is unknown and the title is not in the email's language: the templates then
  speak of "the opening on your front-office team".

The role table is ``data/hotel_roles.csv``: one row per role, one column per language
(en, de, fr, es, it, nl, pt), spellings separated by ``|``; the first spelling is how an
email in that language names the role. Matching ignores case, accents, hyphens and
markers. ``foreign_words(text, language)`` lists the words of ``text`` that belong to
another language (the bench's mixed-language count).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from outreach.composition.punctuation import drop_unpaired

ROLE_TABLE = Path(__file__).resolve().parent / "data" / "hotel_roles.csv"
ROLE_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")

# --- markers -----------------------------------------------------------------------------

_GENDER_LETTER = r"(?:diverse|divers|div|[mwfdhvxai])(?![^\W\d_])"
_GENDER_SET = rf"{_GENDER_LETTER}(?:\s*[/|,.\-–]\s*{_GENDER_LETTER})+"
# contract, schedule and start-date words: the advert's small print, never the role
CONTRACT_MARKERS = [
    # German
    r"voll-?\s*(?:oder|/|und)\s*teilzeit",
    r"(?:in\s+)?vollzeit(?:\s*/\s*teilzeit)?",
    r"(?:in\s+)?teilzeit",
    r"ab\s+sofort",
    r"zum\s+nächstmöglichen\s+zeitpunkt",
    r"unbefristet",
    r"befristet",
    r"festanstellung",
    r"minijob",
    r"(?:sommer|winter)?saison(?:stelle)?",
    r"schichtdienst",
    # French
    r"cdi",
    r"cdd",
    r"temps\s+(?:plein|partiel)",
    r"dès\s+que\s+possible",
    r"poste\s+à\s+pourvoir(?:\s+immédiatement)?",
    r"saisonnier|saisonnière",
    # English
    r"full[-\s]?time",
    r"part[-\s]?time",
    r"fixed[-\s]term",
    r"permanent",
    r"temporary",
    r"temp",
    r"seasonal",
    r"immediate\s+start",
    r"start\s+asap",
    r"asap",
    r"urgent(?:ly)?(?:\s+hiring)?",
    r"(?:now|we\s+are|we're)\s+hiring",
    r"confidential",
    r"live[-\s]in",
    # Spanish
    r"jornada\s+(?:completa|parcial)",
    r"media\s+jornada",
    r"tiempo\s+(?:completo|parcial)",
    r"(?:contrato\s+)?indefinido",
    r"incorporación\s+inmediata",
    r"urgente",
    r"temporal",
    # Italian
    r"tempo\s+(?:pieno|determinato|indeterminato)",
    r"stagionale",
    # Dutch
    r"voltijd|deeltijd",
    # Portuguese
    r"tempo\s+(?:inteiro|integral)",
    r"meio\s+período",
]
_CONTRACT = "|".join(CONTRACT_MARKERS)
_SEPARATORS = " \t,;:|/-–—·•"
_MARKER_PATTERNS = [
    # "(m/w/d)", "[H/F]", "(F/H)", a truncated "(H/F", "(all genders)", "(gn)"
    re.compile(rf"[(\[]\s*(?:{_GENDER_SET}|all\s+genders?|alle\s+geschlechter|gn\*?)\s*[)\]]?", re.IGNORECASE),
    # "Koch m/w/d", "Réceptionniste H/F": a letter set on its own
    re.compile(rf"(?<![\w/]){_GENDER_SET}(?![\w/])", re.IGNORECASE),
    # hashtags: "#hiring", "#jobs"
    re.compile(r"#\w+"),
    # contract words, alone or in brackets, with the separator before them
    re.compile(rf"[\s,;:|/\-–—]*[(\[]\s*(?:{_CONTRACT})\s*[)\]]", re.IGNORECASE),
    re.compile(rf"(?:^|[\s,;:|/\-–—]+)(?:{_CONTRACT})(?=$|[\s,;:|/\-–—)\]])", re.IGNORECASE),
]
# inclusive endings written inside a word: "Mitarbeiter/in", "Rezeptionist:in",
# "Director/a", "Addetto/a", "Employé(e)", "employé·e"
_INCLUSIVE = [
    re.compile(r"(?<=\w)[/:*_](?:in|innen)\b"),
    re.compile(r"(?<=[a-záéíóúàèìòù])/(?:a|as|o|os|e)\b", re.IGNORECASE),
    re.compile(r"(?<=\w)\((?:e|es|ne|se|a|as|in|innen|ère|rice|euse)\)", re.IGNORECASE),
    re.compile(r"(?<=\w)·(?:e|es|ne|se|euse|rice)\b", re.IGNORECASE),
]
_SPACE = re.compile(r"\s+")


def _tidy_separators(text: str) -> str:
    text = re.sub(r"[(\[]\s*[)\]]", " ", text)  # brackets a marker left empty
    text = re.sub(r"\s*([-–—|/])(?:\s*[-–—|/])+\s*", r" \1 ", text)  # "A - - B" → "A - B"
    return _SPACE.sub(" ", text).strip(_SEPARATORS)


def strip_markers(title: str) -> str:
    """``title`` without gender, contract and hashtag markers (each removed whole)."""
    text = _SPACE.sub(" ", str(title or "")).strip()
    for pattern in _INCLUSIVE:
        text = pattern.sub("", text)
    for pattern in _MARKER_PATTERNS:
        text = pattern.sub(" ", text)
    return _tidy_separators(text)


_TAIL = re.compile(r"\s+[-–—|@]\s+.*$|\s*[|]\s*.*$")
_BRACKETED = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")


def display_title(title: str) -> str:
    """The advert's title as a sentence carries it: no markers, no tail after a spaced dash,
    no brackets, and capitals only where a title has them ("FRONT DESK AGENT" → "Front Desk Agent")."""
    text = strip_markers(title)
    text = _TAIL.sub("", text)
    previous = None
    while previous != text:  # nested brackets, innermost first
        previous, text = text, _BRACKETED.sub("", text)
    text = drop_unpaired(text)
    text = _tidy_separators(text.replace("*", " "))
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(letters) > 3:
        text = " ".join(word[:1] + word[1:].lower() for word in text.split(" "))
    return text


# --- the role table ------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, '&' as 'and', punctuation as spaces: how titles are compared."""
    text = unicodedata.normalize("NFKD", str(text or "").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("ß", "ss")
    text = text.replace("&", " and ").replace("’", "'")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Role:
    key: str
    names: dict[str, tuple[str, ...]]  # language → spellings, the first is how an email names it

    def name_in(self, language: str) -> str:
        return self.names.get(language, self.names["en"])[0]


@dataclass
class RoleTable:
    roles: dict[str, Role]
    by_alias: dict[str, tuple[str, frozenset[str]]]  # folded spelling → (role key, its languages)
    vocabulary: dict[str, frozenset[str]] = field(default_factory=dict)  # language → folded words
    english_role_words: frozenset[str] = frozenset()  # loan words in any hotel's language


# words that say which language a title or a sentence is in, beyond the role table's
FUNCTION_WORDS = {
    "en": "the and with for of to is are at in on your our an this that we you it be not from by as or do no per",
    "de": "der die das und mit fur ist sind bei ihr ihre ihren ihrem nicht ein eine einen zu von im auf wir "
    "sie es den dem des auch oder wie uber",
    "fr": "le la les et avec pour est sont chez votre vos une des du au aux dans nous vous sur pas que qui de d l",
    "es": "el los las y con para es son en su sus una del al por que usted de la lo un",
    "it": "il gli con per della del di nel alla al le la un una che non sono dei",
    "nl": "het een en met voor van de bij is zijn wij u uw niet op te",
    "pt": "os as com para da do dos das em uma um que nao sao no na",
}
# letters one language writes and another never does (a title in an English email with "é")
LANGUAGE_LETTERS = {
    "en": "",
    "de": "äöüß",
    "fr": "éèêëàâçîïôûùœ",
    "es": "áéíóúñü¿¡",
    "it": "àèéìòù",
    "nl": "ëïé",
    "pt": "ãõáéíóúâêôçà",
}


@cache
def role_table() -> RoleTable:
    """The role table, read once. A spelling in another column whose words are all English
    ("Revenue Manager" among the German names) is a loan word: English as well, and its
    words do not make a sentence foreign to an English email."""
    roles: dict[str, Role] = {}
    rows: list[tuple[str, str, str]] = []  # (role key, language, folded spelling)
    with ROLE_TABLE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names = {
                lang: tuple(name.strip() for name in row[lang].split("|") if name.strip()) for lang in ROLE_LANGUAGES
            }
            roles[row["key"]] = Role(key=row["key"], names=names)
            rows += [(row["key"], lang, fold(spelling)) for lang, spellings in names.items() for spelling in spellings]
    english_roles = {word for _key, lang, folded in rows if lang == "en" for word in folded.split()}
    english_spellings = {folded for _key, lang, folded in rows if lang == "en"}
    english = english_roles | set(FUNCTION_WORDS["en"].split())
    # "de" and "la" are in English spellings too ("chef de partie"), but they make a title French
    not_english = {word for lang in ROLE_LANGUAGES if lang != "en" for word in FUNCTION_WORDS[lang].split()}
    vocabulary: dict[str, set[str]] = {lang: set(FUNCTION_WORDS.get(lang, "").split()) for lang in ROLE_LANGUAGES}
    key_of: dict[str, str] = {}
    languages_of: dict[str, set[str]] = {}
    for key, lang, folded in rows:
        key_of.setdefault(folded, key)  # the first role to list a spelling owns it
        if key_of[folded] != key:
            continue
        words = folded.split()
        loan = lang != "en" and (
            folded in english_spellings or all(w in english and w not in not_english for w in words)
        )
        languages_of.setdefault(folded, set()).update({lang, "en"} if loan else {lang})
        if not loan:
            vocabulary[lang].update(folded.split())
    by_alias = {folded: (key_of[folded], frozenset(langs)) for folded, langs in languages_of.items()}
    return RoleTable(
        roles=roles,
        by_alias=by_alias,
        vocabulary={lang: frozenset(words) for lang, words in vocabulary.items()},
        english_role_words=frozenset(english_roles),
    )


# qualifiers a title adds to a role without changing it
_QUALIFIERS_BEFORE = {"junior", "senior", "jr", "sr", "cluster", "area", "regional", "lead", "trainee"}
_QUALIFIERS_AFTER = {"bilingual", "bilingue", "bilingüe", "trainee", "hotel", "h"}
# single words too general to find a role inside a longer title ("Store Director")
_TOO_GENERAL = {"director", "directeur", "directora", "directrice", "direttore", "diretor", "manager", "porter"}


@dataclass(frozen=True)
class RoleMatch:
    key: str
    languages: frozenset[str]
    spelling: str  # the folded spelling that matched
    shown: str = ""  # the title (or the part of it) that is exactly a known spelling; '' when found inside


def match_role(title: str) -> RoleMatch | None:
    """The role table's entry for ``title`` (any language), or None."""
    table = role_table()
    candidates = [display_title(title)]
    candidates += [part for part in re.split(r"\s*/\s*", candidates[0]) if part and part != candidates[0]]
    for candidate in candidates:
        words = fold(candidate).split()
        while words and words[0] in _QUALIFIERS_BEFORE:
            words = words[1:]
        while words and fold(words[-1]) in _QUALIFIERS_AFTER and len(words) > 1:
            words = words[:-1]
        if not words:
            continue
        folded = " ".join(words)
        if folded in table.by_alias:
            key, languages = table.by_alias[folded]
            return RoleMatch(key, languages, folded, shown=candidate)
    # a known role inside a longer title ("Empfangsmitarbeiter Corporate Reception"): the
    # longest spelling of two words or more, or one long, specific word
    folded = f" {fold(candidates[0])} "
    best = None
    for spelling, (key, languages) in table.by_alias.items():
        words = spelling.split()
        if len(words) == 1 and (len(spelling) < 9 or spelling in _TOO_GENERAL):
            continue
        if f" {spelling} " in folded and (best is None or len(spelling) > len(best.spelling)):
            best = RoleMatch(key, languages, spelling)
    return best


def foreign_words(text: str, language: str, *, allowed: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Words of ``text`` that only another language uses (by the role table and function words).

    English job words ("Revenue Manager", "Front Office") are loan words in every hotel's
    language; ``allowed`` adds words known to be fine (names, the email's own template words).
    """
    table = role_table()
    vocabulary = table.vocabulary
    own = vocabulary.get(language, frozenset()) | set(allowed)
    if language != "en":
        own |= table.english_role_words
    found = []
    for word in fold(text).split():
        if len(word) < 2 or word in own or word.isdigit():
            continue
        if any(word in words for lang, words in vocabulary.items() if lang != language):
            found.append(word)
    return found


def looks_foreign(title: str, language: str) -> bool:
    """Whether ``title`` shows it is not in ``language``: a word only another language
    uses, or a letter ``language`` does not write."""
    own_letters = set(LANGUAGE_LETTERS.get(language, ""))
    lowered = title.lower()
    for lang, letters in LANGUAGE_LETTERS.items():
        if lang != language and any(ch in lowered and ch not in own_letters for ch in letters):
            return True
    return bool(foreign_words(title, language))


@dataclass(frozen=True)
class RoleName:
    """How an email names the advertised role: ``text`` ('' = unknown, say "the opening on
    your front-office team"), the role table's ``key`` and whether it was ``translated``."""

    text: str
    key: str = ""
    translated: bool = False


GERMAN_ADJECTIVES = {"stellvertretender", "stellvertretende", "leitender", "leitende", "erster", "erste"}


def _sentence_case(text: str, language: str) -> str:
    """'Chef de réception' → 'chef de réception' inside a French or Spanish sentence, and
    'Stellvertretender Hoteldirektor' → 'stellvertretender …' inside a German one; a title in
    title case ('Revenue Manager') or an English title is left as written."""
    first, _, rest = text.partition(" ")
    if language == "de":
        return f"{first.lower()} {rest}" if first.lower() in GERMAN_ADJECTIVES and rest else text
    if language not in ("fr", "es", "it", "pt"):
        return text
    words = text.split(" ")
    if words and words[0][:1].isupper() and not words[0].isupper() and all(not w[:1].isupper() for w in words[1:]):
        return words[0][:1].lower() + text[1:]
    return text


def role_in(title: str, language: str) -> RoleName:
    """The advertised role named in ``language`` (see the module docstring)."""
    shown = display_title(title)
    if not shown:
        return RoleName("")
    match = match_role(shown)
    if match is not None:
        role = role_table().roles[match.key]
        if language not in match.languages:
            return RoleName(role.name_in(language), match.key, translated=True)
        if match.shown:  # the advert's own words (or the part of a "A / B" title that is a role)
            return RoleName(_sentence_case(match.shown, language), match.key)
        # a role inside a longer title ("Empfangsmitarbeiter Corporate Reception"): the role alone
        spelling = next((s for s in role.names.get(language, ()) if fold(s) == match.spelling), role.name_in(language))
        return RoleName(spelling, match.key)
    if looks_foreign(shown, language):
        return RoleName("")
    return RoleName(_sentence_case(shown, language))
