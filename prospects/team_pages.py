"""Who manages a hotel, read off its team or contact page.

Contract:
- ``names_from_team_page(html)`` is pure: (name, title) of the managers a team or
  contact page names (schema.org Person in JSON-LD or microdata, "Sarah Johnson, General
  Manager", "Directeur général : Jean Martin", a name above its title in a card), in
  English, German, French, Spanish and Italian; general managers first.
  Nothing here touches the network or the database.
"""

from __future__ import annotations

import json
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from prospects.email_patterns import PARTICLES, ascii_name

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
        key = ascii_name(name)
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
