"""Reading a parsed HTML page (selectolax's Lexbor tree): its visible text, attributes,
meta tags and structured data (JSON-LD, @graph members included, and microdata).

Contract: pure functions of the tree, never raising on odd markup; the website
analysis (``prospects.analysis``, ``prospects.analysis_contact``) reads pages only
through these, so "what a visitor sees" is decided in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

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


def node_text(node: LexborNode | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def attr_value(node: LexborNode, name: str) -> str:
    return (node.attributes.get(name) or "").strip()


def meta_content(tree: LexborHTMLParser, name: str) -> str:
    """The content of ``<meta name=...>`` (or ``property=...``), names compared without case."""
    for node in tree.css("meta"):
        key = (node.attributes.get("name") or node.attributes.get("property") or "").strip().lower()
        if key == name:
            return " ".join(attr_value(node, "content").split())
    return ""


def has_ancestor(node: LexborNode, tags: set[str]) -> bool:
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
    types = [_schema_type(value) for item in items for value in as_list(item.get("@type"))]
    for node in tree.css("[itemscope][itemtype]"):
        if not _has_itemscope_ancestor(node):
            types.extend(_schema_type(value) for value in attr_value(node, "itemtype").split())
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


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def walk(value) -> Iterator[dict]:
    """Every JSON object inside ``value``, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def _has_itemscope_ancestor(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if "itemscope" in parent.attributes:
            return True
        parent = parent.parent
    return False


def json_ld_text(value) -> str:
    if isinstance(value, dict):  # {"@type": "Country", "name": "AT"}
        value = value.get("name") or value.get("@id") or ""
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""
