"""What a hotel's website says about it: contact, technology, content, design and SEO.

Contract:
- ``analyze_website(html, url=..., country_hint=..., deepen=False)`` reads one cached page
  and returns the ``website_analysis`` JSON stored on the prospect (``SCHEMA_VERSION``)::

      {"schema_version": 1, "url": ..., "contact": {...}, "technology": {...},
       "content": {...}, "design": {...}, "seo": {...}, "errors": [...], "analyzed_at": iso}

  It makes no network call unless ``deepen=True``, and never raises on a bad page: an
  empty body, binary content (a double-gzipped response, a PDF) or text without markup
  gives every part with empty values and says why in ``errors``; a truncated page is
  analysed as far as it goes, with an error saying it was cut off.
- Each part is a pure function of the parsed page (``analyze_contact``,
  ``analyze_technology``, ``analyze_content``, ``analyze_design``, ``analyze_seo``), with
  the same keys whatever the page, so templates and composition can read them blindly.
  The contact part lives in ``prospects.analysis_contact``, the page helpers (visible
  text, structured data) in ``prospects.page_reading``, the technology signatures and
  the word lists in ``prospects.data.analysis_signatures`` / ``analysis_lexicon``.
- Judgements are lists of codes: ``technology["gaps"]`` ("no_booking_engine", "no_chat",
  "no_analytics") and ``design["issues"]`` / ``seo["issues"]`` ("no_mobile_viewport",
  "title_too_long"…). Codes starting ``no_`` or ``missing_`` claim an absence; on a
  truncated or unreadable page they are withheld, since what we did not see may be in
  the part we did not get — outreach must never tell a hotel it lacks what it has.
- ``deepen=True`` adds ``content["ai_summary"]`` (positioning, selling points, audience
  and the provider that answered) through the AI gateway; with no keys, or when both
  providers fail, a deterministic summary built from the content part answers instead.
  Without ``deepen`` it is ``None``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, StringConstraints
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.ai import complete_json
from infra.links import http_url
from prospects.analysis_contact import analyze_contact, phone_region
from prospects.data.analysis_lexicon import AMENITIES, AUDIENCE_WORDS, STOPWORDS
from prospects.data.analysis_signatures import CATEGORIES, GAPS, PMS_HINTS, SIGNATURES, Signature
from prospects.page_reading import (
    as_list,
    attr_value,
    has_ancestor,
    json_ld_text,
    meta_content,
    node_text,
    structured_data,
    visible_text,
    walk,
)

SCHEMA_VERSION = 1
AI_TEXT_LIMIT = 6000  # characters of visible text the deepener sends: the page's gist, bounded cost
VALUE_PROPOSITION_LIMIT = 160
MAX_VALUE_PROPOSITIONS = 5
TITLE_MAX = 60  # what search results show before truncating
META_DESCRIPTION_MAX = 160
HEAVY_HTML_BYTES = 500_000  # the HTML alone, before images and scripts
EVIDENCE_LIMIT = 200
# characters of each inline script the signatures read: snippets sit in the first few hundred;
# past that are state blobs (Wix's viewerModel, __NEXT_DATA__) of megabytes, slow to search
INLINE_SCRIPT_LIMIT = 100_000


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# --- the page -------------------------------------------------------------------------


def analyze_website(
    html: str | bytes,
    *,
    url: str,
    country_hint: str = "",
    deepen: bool = False,
    now: Callable[[], datetime.datetime] = utc_now,
) -> dict:
    """The ``website_analysis`` JSON for one page (see the module docstring)."""
    html = html or ""
    page_weight = len(html) if isinstance(html, bytes) else len(html.encode("utf-8", errors="replace"))
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    errors, readable, complete = page_problems(html)
    tree = LexborHTMLParser(html if readable else "")
    parts = {
        "contact": analyze_contact(tree, region=phone_region(url, country_hint)),
        "technology": analyze_technology(tree),
        "content": analyze_content(tree),
        "design": analyze_design(tree, page_weight_bytes=page_weight, url=url),
        "seo": analyze_seo(tree),
    }
    if not complete:
        for part in parts.values():
            for judgements in ("gaps", "issues"):
                if judgements in part:
                    part[judgements] = [code for code in part[judgements] if not _claims_absence(code)]
    if deepen and readable:
        parts["content"]["ai_summary"] = summarize_website_content(visible_text(tree), parts["content"])
    return {
        "schema_version": SCHEMA_VERSION,
        "url": http_url(url),  # shown as a link in the admin: http(s) only
        **parts,
        "errors": errors,
        "analyzed_at": now().isoformat(timespec="seconds"),
    }


_MARKUP = re.compile(r"<(?:!doctype|html|head|body|meta|title|div|p|a|script|link|img|span|h[1-6])\b", re.I)
_PAGE_END = re.compile(r"</(?:html|body)\s*>", re.I)


def page_problems(html: str) -> tuple[list[str], bool, bool]:
    """(errors, readable, complete): whether the page can be analysed, and all of it."""
    if not html.strip():
        return ["empty page"], False, False
    sample = html[:4096]
    # bytes that were never text decode to control characters, or to U+FFFD; a page in
    # Latin-1 decoded as UTF-8 has a U+FFFD per accent, far fewer, and is still readable
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
    replaced = sample.count("\ufffd")
    if "\x00" in sample or controls > len(sample) * 0.02 or replaced > len(sample) * 0.1:
        return [f"not HTML: binary content ({len(html)} characters)"], False, False
    if not _MARKUP.search(html):
        return [f"not HTML: no markup in {len(html)} characters of text"], False, False
    if not _PAGE_END.search(html):
        return [f"truncated HTML: the page ends without </body> or </html> after {len(html)} characters"], True, False
    return [], True, True


def _claims_absence(code: str) -> bool:
    return code.startswith(("no_", "missing_"))


# --- technology ---------------------------------------------------------------------------


_FINGERPRINT_KINDS = ("meta", "script", "url", "inline", "attr")  # the order evidence is looked for in


@cache
def _pattern(regex: str) -> re.Pattern:
    return re.compile(regex, re.I)


def analyze_technology(tree: LexborHTMLParser) -> dict:
    """Products found by ``SIGNATURES``, each with the markup that shows it, and the gaps."""
    fingerprints = _fingerprints(tree)
    found: dict[str, list[str]] = {category: [] for category in CATEGORIES}
    signatures = []
    for signature in SIGNATURES:
        evidence = _evidence(signature, fingerprints)
        if evidence is None:
            continue
        if signature.name not in found[signature.category]:
            found[signature.category].append(signature.name)
        signatures.append({"name": signature.name, "category": signature.category, "evidence": evidence})
        if signature.pms:
            if signature.pms not in found[PMS_HINTS]:
                found[PMS_HINTS].append(signature.pms)
            signatures.append(
                {"name": signature.pms, "category": PMS_HINTS, "evidence": f"{signature.name}: {evidence}"}
            )
    return {
        **found,
        "signatures": signatures,
        "gaps": [gap for gap, category in GAPS if not found[category]],
    }


def _fingerprints(tree: LexborHTMLParser) -> dict[str, list[tuple[str, str]]]:
    """Per kind, (how it reads in the page, the value the signatures search)."""
    prints: dict[str, list[tuple[str, str]]] = {kind: [] for kind in _FINGERPRINT_KINDS}
    for node in tree.css("script"):
        if src := attr_value(node, "src"):
            prints["script"].append((f'<script src="{src}">', src))
        elif text := (node.text() or "").strip():
            prints["inline"].append(("<script>", text[:INLINE_SCRIPT_LIMIT]))
    # links people click before the page's own plumbing: the best evidence comes first
    for tag, attribute in (("a", "href"), ("form", "action"), ("iframe", "src"), ("link", "href"), ("img", "src")):
        for node in tree.css(f"{tag}[{attribute}]"):
            if value := attr_value(node, attribute):
                prints["url"].append((f'<{tag} {attribute}="{value}">', value))
    for node in tree.css("meta"):
        if (node.attributes.get("name") or "").strip().lower() == "generator":
            content = attr_value(node, "content")
            prints["meta"].append((f'<meta name="generator" content="{content}">', content))
    root = tree.root
    for node in root.traverse() if root is not None else ():
        for name, value in node.attributes.items():
            if name in ("class", "id") and value:
                prints["attr"].append((f'<{node.tag} {name}="{value}">', value))
            elif name.startswith("data-"):
                prints["attr"].append((f"<{node.tag} {name}>", name))
    return prints


def _evidence(signature: Signature, fingerprints: dict[str, list[tuple[str, str]]]) -> str | None:
    for kind in _FINGERPRINT_KINDS:
        regex = getattr(signature, kind)
        if not regex:
            continue
        pattern = _pattern(regex)
        for shown, value in fingerprints[kind]:
            match = pattern.search(value)
            if match is None:
                continue
            if kind == "inline":  # the matching stretch, not kilobytes of script
                excerpt = " ".join(value[max(0, match.start() - 40) : match.end() + 40].split())
                return f"<script>…{excerpt}…</script>"[:EVIDENCE_LIMIT]
            return shown[:EVIDENCE_LIMIT]
    return None


# --- content ------------------------------------------------------------------------------

_AMENITY_PATTERNS = {name: re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.I) for name, words in AMENITIES.items()}

_ROOMS = re.compile(
    r"(?<![\d.,])(\d{1,4})\s+(?:[^\W\d]+[- ]){0,3}?"
    r"(rooms|bedrooms|guest ?rooms|keys|(?:gäste|hotel)?zimmern?|chambres|habitaciones|camere|stanze|quartos)\b",
    re.I,
)
MAX_ROOMS = 5000  # more than any single hotel: a larger number is something else

_STOPWORD_SETS = {language: set(words.split()) for language, words in STOPWORDS.items()}
MIN_STOPWORD_HITS = 5

_PAGE_CHROME = re.compile(r"cookie|consent|gdpr|menu|navbar|navigation|breadcrumb|footer|modal|popup", re.I)
_CHROME_TAGS = {"nav", "footer", "form", "button", "select", "label", "noscript", "script", "style"}


def analyze_content(tree: LexborHTMLParser) -> dict:
    """Value propositions, languages, amenities and room count: what the hotel says it is."""
    text = visible_text(tree)
    data = structured_data(tree)
    features = [
        json_ld_text(feature.get("name"))
        for item in data.items
        for feature in as_list(item.get("amenityFeature"))
        if isinstance(feature, dict) and feature.get("value", True) not in (False, "False", "false")
    ]
    languages, language_source = _languages(tree, text)
    room_count, room_evidence = _room_count(text, data.items)
    amenity_text = "\n".join([text, *features])
    return {
        "value_propositions": _value_propositions(tree),
        "languages": languages,
        "language_source": language_source,
        "amenities": [name for name, pattern in _AMENITY_PATTERNS.items() if pattern.search(amenity_text)],
        "room_count": room_count,
        "room_count_evidence": room_evidence,
        "ai_summary": None,
    }


def _value_propositions(tree: LexborHTMLParser) -> list[str]:
    """What the page leads with: its h1 (else first h2), the hero's lines, the first paragraphs.

    Section headings further down ("Our rooms", "Contact") name parts of the page rather
    than say anything about the hotel, so they are left out; so are contact lines.
    """
    hero = ", ".join(f'[class*="{word}"] {tag}' for word in ("hero", "banner", "intro", "lead") for tag in ("h2", "p"))
    headings = tree.css("h1") or [node for node in tree.css("h2") if not _in_page_chrome(node)][:1]
    paragraphs = [node for node in tree.css("p") if not _in_page_chrome(node) and _is_prose(node_text(node))]
    candidates = [
        *headings,
        *tree.css(f'{hero}, [class*="tagline"], [class*="slogan"], p[class*="lead"]'),
        *paragraphs[:2],
    ]
    found, seen = [], set()
    for node in candidates:
        if _in_page_chrome(node):
            continue
        line = _shorten(node_text(node))
        if len(line) < 12 or line.casefold() in seen:
            continue
        seen.add(line.casefold())
        found.append(line)
        if len(found) == MAX_VALUE_PROPOSITIONS:
            break
    return found


def _is_prose(text: str) -> bool:
    """A sentence about the hotel, not a contact line, a price list or a legal notice."""
    return len(text) >= 40 and "@" not in text and sum(ch.isdigit() for ch in text) < 8


def _in_page_chrome(node: LexborNode) -> bool:
    """Inside navigation, footer, forms or a cookie banner: the frame, not the message."""
    current = node
    while current is not None and current.tag not in ("body", "html"):
        if current.tag in _CHROME_TAGS:
            return True
        label = f"{current.attributes.get('class') or ''} {current.attributes.get('id') or ''}"
        if _PAGE_CHROME.search(label):
            return True
        current = current.parent
    return False


def _shorten(line: str) -> str:
    if len(line) <= VALUE_PROPOSITION_LIMIT:
        return line
    sentence = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    if len(sentence) <= VALUE_PROPOSITION_LIMIT:
        return sentence
    return line[: VALUE_PROPOSITION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _languages(tree: LexborHTMLParser, text: str) -> tuple[list[str], str]:
    """Primary language subtags: <html lang> first, then hreflang; else a stopword guess."""
    declared = []
    html = tree.css_first("html")
    if html is not None:
        declared.append(attr_value(html, "lang"))
    declared += [attr_value(node, "hreflang") for node in tree.css("link[hreflang]")]
    languages = list(dict.fromkeys(code for value in declared if (code := _language_code(value))))
    if languages:
        return languages, "markup"
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return [], ""
    hits = {language: sum(word in stopwords for word in words) for language, stopwords in _STOPWORD_SETS.items()}
    best = max(hits, key=hits.get)
    return ([best], "stopwords") if hits[best] >= MIN_STOPWORD_HITS else ([], "")


def _language_code(value: str) -> str:
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else ""


def _room_count(text: str, items: list[dict]) -> tuple[int | None, str]:
    """schema.org numberOfRooms, else the largest "41 rooms" / "41 Zimmer" / "41 chambres"."""
    for item in walk(items):
        value = item.get("numberOfRooms")
        if isinstance(value, dict):  # QuantitativeValue
            value = value.get("value")
        if isinstance(value, str | int) and str(value).strip().isdigit() and 0 < int(value) <= MAX_ROOMS:
            return int(value), f"schema.org numberOfRooms: {value}"
    best: tuple[int, str] | None = None
    for match in _ROOMS.finditer(text):
        count = int(match[1])
        if 0 < count <= MAX_ROOMS and (best is None or count > best[0]):
            best = (count, match.group())
    return (best[0], best[1]) if best else (None, "")


# --- design ---------------------------------------------------------------------------------

_FIELD_TYPES_WITHOUT_LABEL = {"hidden", "submit", "button", "image", "reset"}


def analyze_design(tree: LexborHTMLParser, *, page_weight_bytes: int, url: str = "") -> dict:
    """Mobile readiness, weight, images, inline styles, HTTPS, headings and accessibility basics."""
    viewport = meta_content(tree, "viewport")
    mobile = "width=device-width" in viewport.replace(" ", "").lower()
    images = [node for node in tree.css("img") if not has_ancestor(node, {"noscript"})]  # not tracking pixels
    missing_alt = sum(1 for node in images if "alt" not in node.attributes)
    levels = [int(node.tag[1]) for node in tree.css("h1, h2, h3, h4, h5, h6")]
    skips = [f"h{before}→h{after}" for before, after in zip(levels, levels[1:], strict=False) if after > before + 1]
    html = tree.css_first("html")
    has_lang = html is not None and bool(attr_value(html, "lang"))
    unlabelled, fields = _unlabelled_fields(tree)
    insecure = [
        value
        for tag, attribute in (("img", "src"), ("script", "src"), ("iframe", "src"), ("link", "href"))
        for node in tree.css(f"{tag}[{attribute}]")
        if (value := attr_value(node, attribute)).lower().startswith("http://")
    ]
    https = urlsplit(url).scheme.lower() == "https" if url else None
    design = {
        "mobile_viewport": mobile,
        "viewport": viewport,
        "page_weight_bytes": page_weight_bytes,
        "image_count": len(images),
        "images_missing_alt": missing_alt,
        "alt_coverage": round((len(images) - missing_alt) / len(images), 2) if images else None,
        "inline_style_count": len(tree.css("[style]")),
        "style_block_count": len(tree.css("style")),
        "script_count": len(tree.css("script")),
        "https": https,
        "insecure_resources": len(insecure),
        "http_links": sum(1 for node in tree.css("a[href]") if attr_value(node, "href").lower().startswith("http://")),
        "headings": {f"h{level}": levels.count(level) for level in range(1, 7) if level in levels},
        "heading_skips": skips,
        "html_lang": has_lang,
        "form_fields": fields,
        "form_fields_unlabelled": unlabelled,
    }
    design["issues"] = [
        code
        for code, present in (
            ("no_mobile_viewport", not mobile),
            ("heavy_html", page_weight_bytes > HEAVY_HTML_BYTES),
            ("images_missing_alt", missing_alt > 0),
            ("no_lang_attribute", not has_lang),
            ("unlabelled_form_fields", unlabelled > 0),
            ("not_https", https is False),
            ("insecure_resources", bool(insecure) and https is not False),
            ("no_h1", 1 not in levels),
            ("multiple_h1", levels.count(1) > 1),
            ("heading_levels_skipped", bool(skips)),
        )
        if present
    ]
    return design


def _unlabelled_fields(tree: LexborHTMLParser) -> tuple[int, int]:
    """(unlabelled, all) form fields a screen reader must announce; a placeholder is no label."""
    labelled = {attr_value(node, "for") for node in tree.css("label[for]")} - {""}
    fields = [
        node
        for node in tree.css("input, select, textarea")
        if not (node.tag == "input" and (attr_value(node, "type").lower() or "text") in _FIELD_TYPES_WITHOUT_LABEL)
    ]
    unlabelled = [
        node
        for node in fields
        if not (
            attr_value(node, "aria-label")
            or attr_value(node, "aria-labelledby")
            or attr_value(node, "title")
            or attr_value(node, "id") in labelled
            or has_ancestor(node, {"label"})
        )
    ]
    return len(unlabelled), len(fields)


# --- SEO ------------------------------------------------------------------------------------


def analyze_seo(tree: LexborHTMLParser) -> dict:
    """Title, description, h1, canonical, robots, Open Graph, structured data, hreflang."""
    title_node = tree.css_first("head title") or tree.css_first("title")
    title = node_text(title_node)
    description = meta_content(tree, "description")
    h1 = [text for node in tree.css("h1") if (text := node_text(node))]
    canonical = next(
        (
            attr_value(node, "href")
            for node in tree.css("link[rel][href]")
            if "canonical" in attr_value(node, "rel").lower()
        ),
        "",
    )
    robots = meta_content(tree, "robots")
    open_graph: dict[str, str] = {}
    for node in tree.css("meta[property]"):
        prop = attr_value(node, "property").lower()
        if prop.startswith("og:") and prop not in open_graph:
            open_graph[prop] = " ".join(attr_value(node, "content").split())
    data = structured_data(tree)
    hreflang = {attr_value(node, "hreflang").lower() for node in tree.css("link[hreflang]")} - {""}
    seo = {
        "title": title,
        "title_length": len(title),
        "meta_description": description,
        "meta_description_length": len(description),
        "h1_count": len(tree.css("h1")),
        "h1": h1[:5],
        "canonical": canonical,
        "robots": robots,
        "noindex": "noindex" in robots.lower(),
        "open_graph": open_graph,
        "structured_data_types": data.types,
        "structured_data_invalid": data.invalid,
        "hreflang_count": len(hreflang),
    }
    seo["issues"] = [
        code
        for code, present in (
            ("missing_title", not title),
            ("title_too_long", len(title) > TITLE_MAX),
            ("missing_meta_description", not description),
            ("meta_description_too_long", len(description) > META_DESCRIPTION_MAX),
            ("no_h1", not h1),
            ("multiple_h1", len(h1) > 1),
            ("no_canonical", not canonical),
            ("noindex", seo["noindex"]),
            ("no_open_graph", not open_graph),
            ("no_structured_data", not data.types),
            ("invalid_structured_data", data.invalid > 0),
        )
        if present
    ]
    return seo


# --- the AI deepener ----------------------------------------------------------------------

Audience = Literal["leisure", "business", "families", "couples", "groups_and_events", "wellness"]
SellingPoint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class WebsiteSummary(BaseModel):
    """How the hotel presents itself (the AI's answer schema, and the fallback's)."""

    positioning: str = Field(max_length=200, description="one line: what the hotel says it is, and where")
    selling_points: list[SellingPoint] = Field(max_length=3, description="the three things the site stresses most")
    audience: list[Audience] = Field(max_length=3, description="who the site speaks to, most important first")


SUMMARY_PROMPT = (
    "Below is the visible text of a hotel's website. For a salesperson about to write to this hotel, "
    "say in one line how the hotel positions itself, list the three selling points the site stresses most "
    "(short phrases in English), and who it speaks to."
)


def summarize_website_content(page_text: str, content: dict, *, providers: list | None = None) -> dict:
    """The deepener: an AI summary of the page, or the rules' when no provider answers."""
    answer = complete_json(
        purpose="website_content_summary",
        prompt=SUMMARY_PROMPT,
        schema=WebsiteSummary,
        fallback=lambda: summarize_website_content_rules(page_text, content),
        data={"page_text": page_text[:AI_TEXT_LIMIT]},
        providers=providers,
    )
    return {**answer.value.model_dump(), "provider": answer.provider}


def summarize_website_content_rules(page_text: str, content: dict) -> WebsiteSummary:
    """The deterministic summary: the page's lead lines, its amenities, its audience words."""
    propositions = content.get("value_propositions") or []
    amenities = content.get("amenities") or []
    points = [*propositions[1:], *(name.replace("_", " ") for name in amenities)]
    audience = [
        name
        for name, shown_by, words in AUDIENCE_WORDS
        if shown_by & set(amenities) or re.search(rf"(?<!\w)(?:{words})(?!\w)", page_text, re.I)
    ]
    return WebsiteSummary(
        positioning=(propositions[0] if propositions else "")[:200],
        selling_points=[point[:120] for point in points[:3]],
        audience=(audience or ["leisure"])[:3],
    )
