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
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

import phonenumbers
from pydantic import BaseModel, Field, StringConstraints
from selectolax.lexbor import LexborHTMLParser, LexborNode

from infra.ai import complete_json
from infra.links import http_url

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

CMS = "cms"
SITE_TOOLS = "site_tools"
BOOKING_ENGINE = "booking_engine"
CHAT = "chat"
PMS_HINTS = "pms_hints"
ANALYTICS = "analytics"
CATEGORIES = (CMS, BOOKING_ENGINE, CHAT, PMS_HINTS, ANALYTICS, SITE_TOOLS)
GAPS = (("no_booking_engine", BOOKING_ENGINE), ("no_chat", CHAT), ("no_analytics", ANALYTICS))


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


_BLOCK_TAGS = (
    "address,article,aside,blockquote,br,button,dd,div,dl,dt,figcaption,figure,footer,form,h1,h2,h3,h4,h5,h6,"
    "header,hr,label,li,main,nav,ol,option,p,section,table,td,th,tr,ul"
)


def visible_text(tree: LexborHTMLParser) -> str:
    """The text a visitor reads, one line per block, so two numbers in two <li> stay two."""
    page = tree.clone()
    page.strip_tags(["script", "style", "noscript", "template", "svg", "iframe"])
    root = page.body or page.root
    if root is None:
        return ""
    for node in root.css(_BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    lines = (" ".join(line.split()) for line in root.text(separator=" ").split("\n"))
    return "\n".join(line for line in lines if line)


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def _attr(node: LexborNode, name: str) -> str:
    return (node.attributes.get(name) or "").strip()


def _meta(tree: LexborHTMLParser, name: str) -> str:
    """The content of ``<meta name=...>`` (or ``property=...``), names compared without case."""
    for node in tree.css("meta"):
        key = (node.attributes.get("name") or node.attributes.get("property") or "").strip().lower()
        if key == name:
            return " ".join(_attr(node, "content").split())
    return ""


def _has_ancestor(node: LexborNode, tags: set[str]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


# --- structured data (JSON-LD and microdata), shared by contact, content and SEO -----------


@dataclass
class StructuredData:
    items: list[dict]  # top-level JSON-LD entities, @graph members included
    types: list[str]  # their @types, and those of top-level microdata items
    invalid: int  # JSON-LD blocks that are not JSON even after forgiving trailing commas


def structured_data(tree: LexborHTMLParser) -> StructuredData:
    items, invalid = [], 0
    for node in tree.css("script"):
        if (node.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        document = _load_json_ld(node.text() or "")
        if document is None:
            invalid += 1
            continue
        for entity in document if isinstance(document, list) else [document]:
            if not isinstance(entity, dict):
                continue
            graph = entity.get("@graph")
            if isinstance(graph, list):
                items.extend(member for member in graph if isinstance(member, dict))
            if "@type" in entity:
                items.append(entity)
    types = [_schema_type(value) for item in items for value in _as_list(item.get("@type"))]
    for node in tree.css("[itemscope][itemtype]"):
        if not _has_itemscope_ancestor(node):
            types.extend(_schema_type(value) for value in _attr(node, "itemtype").split())
    return StructuredData(items=items, types=list(dict.fromkeys(t for t in types if t)), invalid=invalid)


def _load_json_ld(text: str):
    text = text.strip()
    # CMS templates still wrap scripts in comments or CDATA for browsers long gone
    text = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)$", "", text).strip()
    if not text:
        return None
    for candidate in (text, re.sub(r",\s*([}\]])", r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    return None


def _schema_type(value) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip().rstrip("/").rsplit("/", 1)[-1].removeprefix("schema:")


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk(value) -> Iterator[dict]:
    """Every JSON object inside ``value``, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _has_itemscope_ancestor(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if "itemscope" in parent.attributes:
            return True
        parent = parent.parent
    return False


# --- contact ------------------------------------------------------------------------------

_GENERIC_CCTLDS = {"ai", "app", "cc", "co", "fm", "gg", "io", "ly", "me", "to", "tv", "ws"}


def phone_region(url: str, country_hint: str = "") -> str:
    """The region national phone numbers are read in: the prospect's country, else the ccTLD.

    Empty when neither says (a .com without a country): then only numbers written
    internationally (+44…) are recognised, rather than guessing a country.
    """
    hint = country_hint.strip().upper()
    hint = "GB" if hint == "UK" else hint
    if hint in phonenumbers.SUPPORTED_REGIONS:
        return hint
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    tld = host.rsplit(".", 1)[-1].lower()
    if tld == "uk":
        return "GB"
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return ""
    return tld.upper() if tld.upper() in phonenumbers.SUPPORTED_REGIONS else ""


# the label nearest before a number decides whether it is a phone or a fax
_PHONE_LABEL = re.compile(
    r"(?<!\w)(?:telefax|fax\w*|télécopie|telefon\w*|téléphone|teléfono|telefono|tél|tel|phone|fon|call|mobil\w*"
    r"|handy|whatsapp|reservations?|rezeption|réception)(?!\w)",
    re.I,
)
_FAX_LABELS = ("telefax", "fax", "télécopie")
# company registers, tax and bank numbers in a legal notice can look like phone numbers
_NOT_A_PHONE = re.compile(
    r"\b(?:ust|vat|iban|bic|swift|hr[ab]|steuer\w*|siret|siren|tva|rcs|cif|nif|p\.?\s?iva|partita|konto|blz|"
    r"amtsgericht|registergericht|company (?:no|number)|reg(?:istration)?\.? (?:no|nr))\b",
    re.I,
)


def analyze_contact(tree: LexborHTMLParser, *, region: str = "") -> dict:
    """Phones and fax (E.164), postal address, social profiles and emails on the page."""
    text = visible_text(tree)
    data = structured_data(tree)
    phones, fax = _phones(tree, text, data.items, region)
    address, address_parts, address_source = _address(tree, data.items)
    return {
        "phones": phones,
        "fax": fax,
        "phone_region": region,
        "address": address,
        "address_parts": address_parts,
        "address_source": address_source,
        "social": _social(tree, data.items),
        "emails": _emails(tree, text, data.items),
    }


def _phones(tree, text: str, items: list[dict], region: str) -> tuple[list[str], list[str]]:
    """Numbers in order of intent: tel: links, then structured data, then the text."""
    phones: list[str] = []
    fax: list[str] = []

    def add(bucket: list[str], number: phonenumbers.PhoneNumber | None):
        if number is None:
            return
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in phones and e164 not in fax:
            bucket.append(e164)

    for node in tree.css("a[href]"):
        scheme, _, rest = _attr(node, "href").partition(":")
        if scheme.lower() in ("tel", "callto") and rest:
            add(phones, _parse_phone(unquote(rest), region))
    for item in _walk(items):
        for value in _as_list(item.get("telephone")):
            add(phones, _parse_phone(str(value), region))
        for value in _as_list(item.get("faxNumber")):
            add(fax, _parse_phone(str(value), region))
    for line in dict.fromkeys(text.splitlines()):  # a footer repeated per section is read once
        for match in phonenumbers.PhoneNumberMatcher(line, region or "ZZ", leniency=phonenumbers.Leniency.VALID):
            before = line[max(0, match.start - 30) : match.start]
            if _NOT_A_PHONE.search(before):
                continue
            labels = _PHONE_LABEL.findall(before)
            is_fax = bool(labels) and labels[-1].lower().startswith(_FAX_LABELS)
            add(fax if is_fax else phones, match.number)
    return phones, fax


def _parse_phone(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw.strip(), region or None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


_ADDRESS_FIELDS = (  # (part, schema.org property, microformat classes)
    ("street", "streetAddress", ("street-address", "p-street-address")),
    ("postal_code", "postalCode", ("postal-code", "p-postal-code")),
    ("locality", "addressLocality", ("locality", "p-locality")),
    ("region", "addressRegion", ("region", "p-region")),
    ("country", "addressCountry", ("country-name", "p-country-name")),
)


def _address(tree, items: list[dict]) -> tuple[str, dict, str]:
    """(address, parts, source): JSON-LD, then microdata, then microformats, then <address>."""
    for item in _walk(items):
        for value in _as_list(item.get("address")):
            if isinstance(value, str) and value.strip():
                return " ".join(value.split()), {}, "json-ld"
            if isinstance(value, dict):
                parts = {part: _json_ld_text(value.get(prop)) for part, prop, _ in _ADDRESS_FIELDS}
                if any(parts.values()):
                    return _format_address(parts), parts, "json-ld"
    for node in tree.css('[itemtype*="PostalAddress"]'):
        parts = {part: _text(node.css_first(f'[itemprop="{prop}"]')) for part, prop, _ in _ADDRESS_FIELDS}
        if any(parts.values()):
            return _format_address(parts), parts, "microdata"
    for node in tree.css(".adr, .h-adr, .p-adr, .vcard, .h-card"):
        parts = {
            part: next((_text(found) for cls in classes if (found := node.css_first(f".{cls}")) is not None), "")
            for part, _, classes in _ADDRESS_FIELDS
        }
        if parts["street"] or parts["locality"]:
            return _format_address(parts), parts, "microformat"
    for node in tree.css("address"):
        lines = [
            line
            for line in visible_text(LexborHTMLParser(f"<body>{node.html}</body>")).splitlines()
            if "@" not in line and not _PHONE_LABEL.match(line) and sum(ch.isdigit() for ch in line) < 8
        ]
        if lines:
            return ", ".join(lines)[:200], {}, "address_element"
    return "", {}, ""


def _json_ld_text(value) -> str:
    if isinstance(value, dict):  # {"@type": "Country", "name": "AT"}
        value = value.get("name") or value.get("@id") or ""
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def _format_address(parts: dict) -> str:
    town = " ".join(p for p in (parts.get("postal_code"), parts.get("locality")) if p)
    return ", ".join(p for p in (parts.get("street"), town, parts.get("region"), parts.get("country")) if p)


SOCIAL_NETWORKS = (  # (network, host, paths that share or embed rather than name a profile)
    ("facebook", r"(?:^|\.)(?:facebook\.com|fb\.com|fb\.me)$", r"^/(?:sharer|share|dialog|plugins|tr|login)\b"),
    ("instagram", r"(?:^|\.)instagram\.com$", r"^/(?:share|accounts|embed)\b"),
    ("x", r"(?:^|\.)(?:twitter\.com|x\.com)$", r"^/(?:intent|share|home)\b"),
    ("linkedin", r"(?:^|\.)linkedin\.com$", r"^/(?:shareArticle|sharing|share|cws)\b"),
    ("youtube", r"(?:^|\.)(?:youtube\.com|youtube-nocookie\.com|youtu\.be)$", r"^/embed\b"),
    ("tiktok", r"(?:^|\.)tiktok\.com$", r"^/(?:share|embed)\b"),
    ("tripadvisor", r"(?:^|\.)tripadvisor\.[a-z]{2,3}(?:\.[a-z]{2})?$", r"^/(?:Widget|widget|WidgetEmbed)"),
)


def _social(tree, items: list[dict]) -> dict[str, str]:
    """One profile per network: the site's own schema.org ``sameAs`` first, then its links."""
    candidates = [str(link) for item in _walk(items) for link in _as_list(item.get("sameAs")) if link]
    candidates += [_attr(node, "href") for node in tree.css("a[href]")]
    found: dict[str, str] = {}
    for candidate in candidates:
        href = http_url(candidate)  # javascript:, data: … (however spelt) are never a profile
        parts = urlsplit(href)
        host = (parts.hostname or "").lower()
        if not host or parts.path in ("", "/"):
            continue
        for network, host_pattern, share_pattern in SOCIAL_NETWORKS:
            if network not in found and re.search(host_pattern, host) and not re.search(share_pattern, parts.path):
                found[network] = href.split("#", 1)[0]
    return {network: found[network] for network, _, _ in SOCIAL_NETWORKS if network in found}


_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b", re.I)
_OBFUSCATED_AT = re.compile(r"\s*[\[\(\{<]\s*(?:at|@|ät)\s*[\]\)\}>]\s*", re.I)
_OBFUSCATED_DOT = re.compile(r"\s*[\[\(\{<]\s*(?:dot|punkt|point|punto)\s*[\]\)\}>]\s*", re.I)
_ASSET_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".css", ".js")


def _emails(tree, text: str, items: list[dict]) -> list[str]:
    """mailto: links, Cloudflare-protected addresses, schema.org email, then the text."""
    raw: list[str] = []
    for node in tree.css("a[href]"):
        href = _attr(node, "href")
        if href.lower().startswith("mailto:"):
            raw.extend(unquote(href[7:].split("?", 1)[0]).split(","))
        elif "/cdn-cgi/l/email-protection#" in href:
            raw.append(_cloudflare_email(href.rsplit("#", 1)[-1]))
    raw.extend(_cloudflare_email(_attr(node, "data-cfemail")) for node in tree.css("[data-cfemail]"))
    raw.extend(str(value) for item in _walk(items) for value in _as_list(item.get("email")))
    readable = _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))
    raw.extend(match.group() for match in _EMAIL.finditer(readable))
    emails = []
    for candidate in raw:
        email = candidate.strip().strip(".").lower().removeprefix("mailto:")
        if _EMAIL.fullmatch(email) and not email.endswith(_ASSET_SUFFIXES) and email not in emails:
            emails.append(email)
    return emails


def _cloudflare_email(encoded: str) -> str:
    """Cloudflare's email obfuscation: hex bytes, the first the XOR key of the rest."""
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return ""
    if len(data) < 2:
        return ""
    return bytes(byte ^ data[0] for byte in data[1:]).decode("utf-8", errors="replace")


# --- technology ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """A product and the regular expressions (case-insensitive) that give it away.

    ``script`` reads ``<script src>``; ``url`` every other address on the page (link,
    a, iframe, img, form action); ``meta`` the generator meta; ``inline`` inline script
    text (JSON-LD and consent-gated ``text/plain`` scripts included: installed is
    installed); ``attr`` class and id values and data-* attribute names. ``pms`` names
    the PMS an all-in-one suite's booking engine implies.
    """

    name: str
    category: str
    script: str = ""
    url: str = ""
    meta: str = ""
    inline: str = ""
    attr: str = ""
    pms: str = ""


SIGNATURES: tuple[Signature, ...] = (
    # content management systems and site builders
    Signature("WordPress", CMS, script=r"/wp-(?:content|includes)/", url=r"/wp-(?:content|includes|json)/",
              meta=r"^WordPress"),
    Signature("Wix", CMS, script=r"static\.parastorage\.com|static\.wixstatic\.com",
              url=r"static\.wixstatic\.com|static\.parastorage\.com", meta=r"^Wix\.com"),
    Signature("Squarespace", CMS, script=r"(?:static1|assets)\.squarespace\.com",
              url=r"(?:static1|images)\.squarespace(?:-cdn)?\.com", meta=r"Squarespace",
              inline=r"Static\.SQUARESPACE_CONTEXT"),
    Signature("Drupal", CMS, script=r"/(?:core/)?misc/drupal\.js", url=r"/sites/(?:default|all)/(?:files|themes)/",
              meta=r"^Drupal", inline=r"drupalSettings|Drupal\.settings", attr=r"^data-drupal-"),
    Signature("Joomla", CMS, script=r"/media/(?:jui|system)/js/|/components/com_", url=r"/media/(?:jui|system)/",
              meta=r"^Joomla", inline=r"Joomla\.(?:optionsStorage|JText)"),
    Signature("Webflow", CMS, script=r"(?:assets|cdn\.prod)\.website-files\.com|webflow\.js",
              url=r"(?:assets|cdn\.prod|uploads-ssl)\.(?:website-files|webflow)\.com", meta=r"^Webflow",
              attr=r"^data-wf-(?:page|site)$"),
    Signature("Shopify", CMS, script=r"cdn\.shopify\.com", url=r"cdn\.shopify\.com|\.myshopify\.com",
              inline=r"Shopify\.shop\s*="),
    Signature("TYPO3", CMS, script=r"/typo3(?:conf|temp)/", url=r"/typo3(?:conf|temp)/", meta=r"^TYPO3"),
    Signature("Jimdo", CMS, script=r"jimcdn\.com|jimstatic\.com", url=r"jimcdn\.com", meta=r"Jimdo"),
    # what sits on top of the CMS: SEO plugins, page builders, consent banners
    Signature("Yoast SEO", SITE_TOOLS, attr=r"yoast-schema-graph"),
    Signature("Elementor", SITE_TOOLS, script=r"/plugins/elementor/", url=r"/plugins/elementor/",
              attr=r"(?:^|\s)elementor-\d"),
    Signature("Cookiebot", SITE_TOOLS, script=r"consent\.cookiebot\.com", inline=r"consent\.cookiebot\.com"),
    Signature("OneTrust", SITE_TOOLS, script=r"cdn\.cookielaw\.org|onetrust\.com", attr=r"^onetrust-"),
    Signature("Usercentrics", SITE_TOOLS, script=r"usercentrics\.eu", attr=r"^data-usercentrics$"),
    # booking engines
    Signature("SynXis (Sabre)", BOOKING_ENGINE, script=r"synxis\.com", url=r"synxis\.com", inline=r"synxis\.com"),
    Signature("SiteMinder", BOOKING_ENGINE, script=r"siteminder\.com|book-directonline\.com|direct-book\.com",
              url=r"book-directonline\.com|direct-book\.com|thebookingbutton\.com",
              inline=r"book-directonline\.com|direct-book\.com|thebookingbutton"),
    Signature("Cloudbeds", BOOKING_ENGINE, script=r"cloudbeds\.com", url=r"cloudbeds\.com", inline=r"cloudbeds\.com",
              pms="Cloudbeds"),
    Signature("Mews Booking Engine", BOOKING_ENGINE, script=r"mews\.(?:com|li)/distributor",
              url=r"mews\.(?:com|li)/distributor", inline=r"Mews\.Distributor|mews\.(?:com|li)/distributor",
              pms="Mews"),
    Signature("D-Edge", BOOKING_ENGINE, script=r"d-edge\.com|availpro\.com|secure-hotel-booking\.com",
              url=r"secure-hotel-booking\.com|d-edge\.com|availpro\.com", inline=r"secure-hotel-booking\.com"),
    Signature("Bookassist", BOOKING_ENGINE, script=r"bookassist\.(?:com|org)", url=r"bookassist\.(?:com|org)",
              inline=r"bookassist"),
    Signature("Profitroom", BOOKING_ENGINE, script=r"profitroom\.(?:com|pl)", url=r"profitroom\.(?:com|pl)",
              inline=r"profitroom"),
    Signature("TravelClick iHotelier", BOOKING_ENGINE, script=r"ihotelier\.com|travelclick\.(?:com|net)",
              url=r"ihotelier\.com|travelclick\.(?:com|net)", inline=r"ihotelier\.com|travelclick"),
    Signature("Triptease", BOOKING_ENGINE, script=r"triptease\.(?:io|com)", inline=r"triptease\.(?:io|com)"),
    Signature("Avvio", BOOKING_ENGINE, script=r"avvio\.com", url=r"avvio\.com", inline=r"avvio\.com"),
    Signature("Simple Booking", BOOKING_ENGINE, script=r"simplebooking\.(?:it|travel)",
              url=r"simplebooking\.(?:it|travel)", inline=r"simplebooking\.(?:it|travel)"),
    Signature("Little Hotelier", BOOKING_ENGINE, script=r"littlehotelier\.com", url=r"littlehotelier\.com",
              pms="Little Hotelier"),
    Signature("eviivo", BOOKING_ENGINE, script=r"eviivo\.com", url=r"eviivo\.com", inline=r"eviivo\.com",
              pms="eviivo"),
    Signature("WebHotelier", BOOKING_ENGINE, script=r"webhotelier\.net", url=r"webhotelier\.net|reserve-online\.net"),
    Signature("Vertical Booking", BOOKING_ENGINE, script=r"verticalbooking\.com", url=r"verticalbooking\.com"),
    Signature("GuestCentric", BOOKING_ENGINE, script=r"guestcentric\.(?:net|com)", url=r"guestcentric\.(?:net|com)"),
    Signature("Omnibees", BOOKING_ENGINE, script=r"omnibees\.com", url=r"omnibees\.com"),
    Signature("RoomRaccoon", BOOKING_ENGINE, script=r"roomraccoon\.(?:com|net)", url=r"roomraccoon\.(?:com|net)",
              pms="RoomRaccoon"),
    Signature("Beds24", BOOKING_ENGINE, script=r"beds24\.com", url=r"beds24\.com", pms="Beds24"),
    Signature("Sirvoy", BOOKING_ENGINE, script=r"sirvoy\.com", url=r"sirvoy\.com", pms="Sirvoy"),
    Signature("Lodgify", BOOKING_ENGINE, script=r"lodgify\.com", url=r"lodgify\.com", pms="Lodgify"),
    Signature("DIRS21", BOOKING_ENGINE, script=r"dirs21\.(?:de|com)", url=r"dirs21\.(?:de|com)"),
    Signature("Seekda", BOOKING_ENGINE, script=r"seekda\.com", url=r"seekda\.com"),
    Signature("HotelRunner", BOOKING_ENGINE, script=r"hotelrunner\.com", url=r"hotelrunner\.com"),
    # chat widgets and messaging
    Signature("Intercom", CHAT, script=r"widget\.intercom\.io|js\.intercomcdn\.com",
              inline=r"intercomSettings|widget\.intercom\.io"),
    Signature("Zendesk Chat", CHAT, script=r"static\.zdassets\.com|zopim\.com",
              inline=r"zESettings|\$zopim|static\.zdassets\.com"),
    Signature("Tidio", CHAT, script=r"code\.tidio\.co", inline=r"code\.tidio\.co|tidioChatApi"),
    Signature("LiveChat", CHAT, script=r"cdn\.livechatinc\.com", inline=r"__lc\.license|livechatinc\.com"),
    Signature("Drift", CHAT, script=r"js\.driftt\.com", inline=r"drift\.load\(|js\.driftt\.com"),
    Signature("HubSpot Chat", CHAT, script=r"js\.usemessages\.com", inline=r"HubSpotConversations",
              attr=r"hubspot-messages-iframe-container"),
    Signature("WhatsApp click-to-chat", CHAT,
              url=r"^(?:https?:)?//(?:wa\.me|api\.whatsapp\.com/send|web\.whatsapp\.com/send)|^whatsapp:",
              inline=r"(?:wa\.me|api\.whatsapp\.com/send)/?\??"),
    Signature("Asksuite", CHAT, script=r"asksuite\.com", inline=r"asksuite"),
    Signature("HiJiffy", CHAT, script=r"hijiffy\.com", url=r"hijiffy\.com", inline=r"hijiffy"),
    Signature("Crisp", CHAT, script=r"client\.crisp\.chat", inline=r"CRISP_WEBSITE_ID"),
    Signature("Tawk.to", CHAT, script=r"embed\.tawk\.to", inline=r"embed\.tawk\.to|Tawk_API"),
    Signature("Quicktext", CHAT, script=r"quicktext\.im", inline=r"quicktext\.im"),
    Signature("Facebook Messenger chat", CHAT, inline=r"customerchat", attr=r"^fb-customerchat$"),
    # property management systems the site gives away (guest portals, online check-in, hosted pages)
    Signature("Oracle Hospitality OPERA", PMS_HINTS, script=r"oraclehospitality|hospitality\.oracle\.com",
              url=r"oraclehospitality|hospitality\.oracle\.com|operacloud", inline=r"oraclehospitality"),
    Signature("Mews", PMS_HINTS, url=r"app\.mews\.(?:com|li)/navigator|mews\.(?:com|li)/guest",
              inline=r"app\.mews\.(?:com|li)/navigator"),
    Signature("Protel", PMS_HINTS, script=r"protel\.(?:net|io)", url=r"protel\.(?:net|io)",
              inline=r"protel\.(?:net|io)"),
    Signature("Apaleo", PMS_HINTS, script=r"apaleo\.(?:com|io)", url=r"apaleo\.(?:com|io)",
              inline=r"apaleo\.(?:com|io)"),
    Signature("Stayntouch", PMS_HINTS, script=r"stayntouch\.com", url=r"stayntouch\.com"),
    # analytics and tag managers
    Signature("Google Analytics", ANALYTICS,
              script=r"google-analytics\.com/(?:analytics|ga)\.js|googletagmanager\.com/gtag/js",
              inline=r"gtag\(\s*['\"]config['\"]\s*,\s*['\"](?:G|UA)-|\bUA-\d{4,10}-\d{1,4}\b|GoogleAnalyticsObject"),
    Signature("Google Tag Manager", ANALYTICS, script=r"googletagmanager\.com/gtm\.js",
              url=r"googletagmanager\.com/ns\.html", inline=r"googletagmanager\.com/gtm\.js|\bGTM-[A-Z0-9]{4,}\b"),
    Signature("Meta Pixel", ANALYTICS, script=r"connect\.facebook\.net/[^/]+/fbevents\.js",
              url=r"facebook\.com/tr\?", inline=r"fbq\(\s*['\"]init|fbevents\.js"),
    Signature("Hotjar", ANALYTICS, script=r"static\.hotjar\.com", inline=r"static\.hotjar\.com|_hjSettings"),
    Signature("Matomo", ANALYTICS, script=r"matomo\.js|piwik\.js", inline=r"_paq\.push|matomo\.js|piwik\.js"),
    Signature("Microsoft Clarity", ANALYTICS, script=r"clarity\.ms", inline=r"clarity\.ms/tag"),
    Signature("LinkedIn Insight Tag", ANALYTICS, script=r"snap\.licdn\.com",
              inline=r"_linkedin_partner_id|snap\.licdn\.com"),
    Signature("HubSpot", ANALYTICS, script=r"js\.hs-scripts\.com|js\.hs-analytics\.net"),
    Signature("Plausible", ANALYTICS, script=r"plausible\.io/js"),
)  # fmt: skip

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
        if src := _attr(node, "src"):
            prints["script"].append((f'<script src="{src}">', src))
        elif text := (node.text() or "").strip():
            prints["inline"].append(("<script>", text[:INLINE_SCRIPT_LIMIT]))
    # links people click before the page's own plumbing: the best evidence comes first
    for tag, attribute in (("a", "href"), ("form", "action"), ("iframe", "src"), ("link", "href"), ("img", "src")):
        for node in tree.css(f"{tag}[{attribute}]"):
            if value := _attr(node, attribute):
                prints["url"].append((f'<{tag} {attribute}="{value}">', value))
    for node in tree.css("meta"):
        if (node.attributes.get("name") or "").strip().lower() == "generator":
            content = _attr(node, "content")
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

# amenity → words for it in English, German, French, Spanish and Italian (whole words, any case)
AMENITIES: dict[str, str] = {
    "spa": r"spa|day spa|wellness\w*|centro benessere|benessere|balneario",
    "pool": r"(?:swimming[- ])?pools?|rooftop pool|(?:innen|außen|aussen)pool|\w*schwimmbad|hallenbad|freibad"
    r"|piscines?|piscinas?",
    "gym": r"gym|fitness\w*|salle de (?:sport|fitness)|gimnasio|palestra",
    "restaurant": r"restaurants?|restaurante|ristorante|trattoria|brasserie|bistro|osteria|gasthaus",
    "bar": r"bar|hotelbar|rooftop bar|cocktail ?bar|weinbar|bar à vins|lounge bar",
    "parking": r"parking|car park|parkpl[aä]tz\w*|parkhaus|tiefgarage|stationnement|aparcamiento|estacionamiento"
    r"|parcheggio|garaje",
    "wifi": r"wi-?fi|wlan|wireless internet|internet (?:gratuit|gratis|gratuito)",
    "pet_friendly": r"pet[- ]friendly|pets? (?:are )?welcome|dogs? (?:are )?welcome|dog[- ]friendly"
    r"|hunde (?:sind )?(?:herzlich )?willkommen|haustiere (?:sind )?(?:erlaubt|willkommen)|hundefreundlich\w*"
    r"|animaux (?:de compagnie )?(?:sont )?(?:acceptés|admis|bienvenus)|(?:se )?admiten mascotas"
    r"|mascotas (?:bienvenidas|permitidas)|animali (?:domestici )?ammessi|pet friendly",
    "meeting_rooms": r"meeting[- ]rooms?|meetings? (?:&|and) events|conference (?:rooms?|cent(?:er|re)|facilities)"
    r"|conferences?|tagung\w*|seminar\w*|konferenz\w*|salles? de (?:réunion|séminaire|conférence)s?|séminaires?"
    r"|salas? de (?:reuniones|conferencias)|sala riunioni|sale meeting|centro congressi",
    "ev_charging": r"ev[- ]charg\w*|electric (?:vehicle|car) charg\w*|charging (?:stations?|points?)"
    r"|e-?ladestation\w*|ladestation\w*|e-tankstelle|wallbox|bornes? de recharge|puntos? de recarga"
    r"|ricarica (?:per )?auto elettriche|colonnin\w* (?:di ricarica|elettric\w*)",
    "sauna": r"sauna\w*|hammam|steam room|dampfbad|bagno turco",
    "breakfast": r"breakfast|frühstück\w*|petit[- ]déjeuner|desayunos?|colazione",
    "airport_shuttle": r"airport (?:shuttle|transfers?)|flughafen(?:transfer|shuttle)\w*|navette (?:pour l')?aéroport"
    r"|transfert aéroport|traslados? (?:al )?aeropuerto|navetta (?:per l')?aeroporto|transfer aeroporto",
    "room_service": r"room service|zimmerservice|service en chambre|servicio de habitaciones|servizio in camera",
    "air_conditioning": r"air[- ]condition\w*|klimaanlage|klimatisiert\w*|climatisation|climatisée?s?"
    r"|aire acondicionado|aria condizionata|climatizzat\w*",
    "accessible_rooms": r"wheelchair[- ]accessible|barrierefrei\w*|rollstuhlgerecht\w*|mobilité réduite"
    r"|movilidad reducida|accessibile ai disabili",
    "kids_club": r"kids'? club|children's club|kinderclub|kinderbetreuung|mini-?club|club infantil|club enfants",
}
_AMENITY_PATTERNS = {name: re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.I) for name, words in AMENITIES.items()}

_ROOMS = re.compile(
    r"(?<![\d.,])(\d{1,4})\s+(?:[^\W\d]+[- ]){0,3}?"
    r"(rooms|bedrooms|guest ?rooms|keys|(?:gäste|hotel)?zimmern?|chambres|habitaciones|camere|stanze|quartos)\b",
    re.I,
)
MAX_ROOMS = 5000  # more than any single hotel: a larger number is something else

STOPWORDS = {
    "en": "the and with our your you are for from this that will have stay rooms",
    "de": "der die das und mit für ist sind wir unser unsere ihr im zum zur eine nicht auch oder",
    "fr": "les et des du pour avec est nous notre nos vous votre une dans aux sur chambres",
    "es": "el los las y del para con es nuestro nuestra nuestros su una al por habitaciones",
    "it": "il lo gli della per con è nostro nostra nostri una dal sono camere",
    "nl": "het een van voor met zijn wij onze uw bij niet kamers",
    "pt": "os das dos para com é nosso nossa em um uma quartos",
}
_STOPWORD_SETS = {language: set(words.split()) for language, words in STOPWORDS.items()}
MIN_STOPWORD_HITS = 5

_PAGE_CHROME = re.compile(r"cookie|consent|gdpr|menu|navbar|navigation|breadcrumb|footer|modal|popup", re.I)
_CHROME_TAGS = {"nav", "footer", "form", "button", "select", "label", "noscript", "script", "style"}


def analyze_content(tree: LexborHTMLParser) -> dict:
    """Value propositions, languages, amenities and room count: what the hotel says it is."""
    text = visible_text(tree)
    data = structured_data(tree)
    features = [
        _json_ld_text(feature.get("name"))
        for item in data.items
        for feature in _as_list(item.get("amenityFeature"))
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
    paragraphs = [node for node in tree.css("p") if not _in_page_chrome(node) and _is_prose(_text(node))]
    candidates = [
        *headings,
        *tree.css(f'{hero}, [class*="tagline"], [class*="slogan"], p[class*="lead"]'),
        *paragraphs[:2],
    ]
    found, seen = [], set()
    for node in candidates:
        if _in_page_chrome(node):
            continue
        line = _shorten(_text(node))
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
        declared.append(_attr(html, "lang"))
    declared += [_attr(node, "hreflang") for node in tree.css("link[hreflang]")]
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
    for item in _walk(items):
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
    viewport = _meta(tree, "viewport")
    mobile = "width=device-width" in viewport.replace(" ", "").lower()
    images = [node for node in tree.css("img") if not _has_ancestor(node, {"noscript"})]  # not tracking pixels
    missing_alt = sum(1 for node in images if "alt" not in node.attributes)
    levels = [int(node.tag[1]) for node in tree.css("h1, h2, h3, h4, h5, h6")]
    skips = [f"h{before}→h{after}" for before, after in zip(levels, levels[1:], strict=False) if after > before + 1]
    html = tree.css_first("html")
    has_lang = html is not None and bool(_attr(html, "lang"))
    unlabelled, fields = _unlabelled_fields(tree)
    insecure = [
        value
        for tag, attribute in (("img", "src"), ("script", "src"), ("iframe", "src"), ("link", "href"))
        for node in tree.css(f"{tag}[{attribute}]")
        if (value := _attr(node, attribute)).lower().startswith("http://")
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
        "http_links": sum(1 for node in tree.css("a[href]") if _attr(node, "href").lower().startswith("http://")),
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
    labelled = {_attr(node, "for") for node in tree.css("label[for]")} - {""}
    fields = [
        node
        for node in tree.css("input, select, textarea")
        if not (node.tag == "input" and (_attr(node, "type").lower() or "text") in _FIELD_TYPES_WITHOUT_LABEL)
    ]
    unlabelled = [
        node
        for node in fields
        if not (
            _attr(node, "aria-label")
            or _attr(node, "aria-labelledby")
            or _attr(node, "title")
            or _attr(node, "id") in labelled
            or _has_ancestor(node, {"label"})
        )
    ]
    return len(unlabelled), len(fields)


# --- SEO ------------------------------------------------------------------------------------


def analyze_seo(tree: LexborHTMLParser) -> dict:
    """Title, description, h1, canonical, robots, Open Graph, structured data, hreflang."""
    title_node = tree.css_first("head title") or tree.css_first("title")
    title = _text(title_node)
    description = _meta(tree, "description")
    h1 = [text for node in tree.css("h1") if (text := _text(node))]
    canonical = next(
        (_attr(node, "href") for node in tree.css("link[rel][href]") if "canonical" in _attr(node, "rel").lower()),
        "",
    )
    robots = _meta(tree, "robots")
    open_graph: dict[str, str] = {}
    for node in tree.css("meta[property]"):
        prop = _attr(node, "property").lower()
        if prop.startswith("og:") and prop not in open_graph:
            open_graph[prop] = " ".join(_attr(node, "content").split())
    data = structured_data(tree)
    hreflang = {_attr(node, "hreflang").lower() for node in tree.css("link[hreflang]")} - {""}
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

_AUDIENCE_WORDS = (  # (audience, amenities that show it, words that show it)
    ("business", {"meeting_rooms"}, r"business|geschäftsreis\w*|affaires|negocios|conference|tagung\w*"),
    ("families", {"kids_club"}, r"famil\w*"),
    ("couples", set(), r"romanti\w*|couples?|honeymoon|adults[- ]only|paare|en amoureux|parejas"),
    ("wellness", {"spa", "sauna"}, r"wellness|relax\w*|entspann\w*"),
    ("groups_and_events", set(), r"weddings?|hochzeit\w*|mariages?|bodas?|events?"),
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
        for name, shown_by, words in _AUDIENCE_WORDS
        if shown_by & set(amenities) or re.search(rf"(?<!\w)(?:{words})(?!\w)", page_text, re.I)
    ]
    return WebsiteSummary(
        positioning=(propositions[0] if propositions else "")[:200],
        selling_points=[point[:120] for point in points[:3]],
        audience=(audience or ["leisure"])[:3],
    )
