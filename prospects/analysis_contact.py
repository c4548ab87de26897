"""The contact part of a hotel website's analysis: phones and fax, postal address,
social profiles and email addresses.

Contract: ``analyze_contact(tree, region=...)`` returns ``website_analysis["contact"]``
(keys: phones, fax, phone_region, address, address_parts, address_source, social,
emails), the same keys whatever the page; numbers in E.164, read in ``region``
(``phone_region(url, country_hint)``), so a national number is only trusted where the
country is known. No network, no database.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import phonenumbers
from selectolax.lexbor import LexborHTMLParser

from infra.links import http_url
from prospects.data.analysis_lexicon import FAX_LABELS, NOT_A_PHONE, PHONE_LABEL, SOCIAL_NETWORKS
from prospects.page_reading import as_list, attr_value, json_ld_text, node_text, structured_data, visible_text, walk

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
        scheme, _, rest = attr_value(node, "href").partition(":")
        if scheme.lower() in ("tel", "callto") and rest:
            add(phones, _parse_phone(unquote(rest), region))
    for item in walk(items):
        for value in as_list(item.get("telephone")):
            add(phones, _parse_phone(str(value), region))
        for value in as_list(item.get("faxNumber")):
            add(fax, _parse_phone(str(value), region))
    for line in dict.fromkeys(text.splitlines()):  # a footer repeated per section is read once
        for match in phonenumbers.PhoneNumberMatcher(line, region or "ZZ", leniency=phonenumbers.Leniency.VALID):
            before = line[max(0, match.start - 30) : match.start]
            if NOT_A_PHONE.search(before):
                continue
            labels = PHONE_LABEL.findall(before)
            is_fax = bool(labels) and labels[-1].lower().startswith(FAX_LABELS)
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
    for item in walk(items):
        for value in as_list(item.get("address")):
            if isinstance(value, str) and value.strip():
                return " ".join(value.split()), {}, "json-ld"
            if isinstance(value, dict):
                parts = {part: json_ld_text(value.get(prop)) for part, prop, _ in _ADDRESS_FIELDS}
                if any(parts.values()):
                    return _format_address(parts), parts, "json-ld"
    for node in tree.css('[itemtype*="PostalAddress"]'):
        parts = {part: node_text(node.css_first(f'[itemprop="{prop}"]')) for part, prop, _ in _ADDRESS_FIELDS}
        if any(parts.values()):
            return _format_address(parts), parts, "microdata"
    for node in tree.css(".adr, .h-adr, .p-adr, .vcard, .h-card"):
        parts = {
            part: next((node_text(found) for cls in classes if (found := node.css_first(f".{cls}")) is not None), "")
            for part, _, classes in _ADDRESS_FIELDS
        }
        if parts["street"] or parts["locality"]:
            return _format_address(parts), parts, "microformat"
    for node in tree.css("address"):
        lines = [
            line
            for line in visible_text(LexborHTMLParser(f"<body>{node.html}</body>")).splitlines()
            if "@" not in line and not PHONE_LABEL.match(line) and sum(ch.isdigit() for ch in line) < 8
        ]
        if lines:
            return ", ".join(lines)[:200], {}, "address_element"
    return "", {}, ""


def _format_address(parts: dict) -> str:
    town = " ".join(p for p in (parts.get("postal_code"), parts.get("locality")) if p)
    return ", ".join(p for p in (parts.get("street"), town, parts.get("region"), parts.get("country")) if p)


def _social(tree, items: list[dict]) -> dict[str, str]:
    """One profile per network: the site's own schema.org ``sameAs`` first, then its links."""
    candidates = [str(link) for item in walk(items) for link in as_list(item.get("sameAs")) if link]
    candidates += [attr_value(node, "href") for node in tree.css("a[href]")]
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
        href = attr_value(node, "href")
        if href.lower().startswith("mailto:"):
            raw.extend(unquote(href[7:].split("?", 1)[0]).split(","))
        elif "/cdn-cgi/l/email-protection#" in href:
            raw.append(_cloudflare_email(href.rsplit("#", 1)[-1]))
    raw.extend(_cloudflare_email(attr_value(node, "data-cfemail")) for node in tree.css("[data-cfemail]"))
    raw.extend(str(value) for item in walk(items) for value in as_list(item.get("email")))
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
