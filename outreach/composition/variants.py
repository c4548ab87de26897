"""Several written phrasings of one paragraph or sentence, one chosen per prospect.

The fallback templates (``templates/outreach/emails/<lang>/*.txt``) mark each place that
has more than one way of saying it::

    {% variant "opening" %}
    I saw that {{ hotel_ref }} is hiring a new {{ role }}.
    {% or %}
    I noticed your opening for a new {{ role }}.
    {% endvariant %}

Every phrasing is written by a person and says the same thing; ``pick`` chooses one from
the email's ``variation_key`` (campaign and prospect) and the variant's name, so the same
prospect always gets the same email, two prospects most likely different ones, and two
variants of one email are chosen independently. A phrasing's own line breaks are
spaces; it may hold any template syntax, including another ``{% variant %}``.

The tag is a builtin of the composition template engine (``templates.email_engine``),
so the email templates need no ``{% load %}``.
"""

from __future__ import annotations

import hashlib

from django import template
from django.template.base import Node, NodeList

register = template.Library()


def pick(key: str, name: str, count: int) -> int:
    """Which of ``count`` phrasings the email with ``key`` uses for variant ``name`` (stable across runs)."""
    digest = hashlib.blake2b(f"{key}\x1f{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


class VariantNode(Node):
    def __init__(self, name: str, phrasings: list[NodeList]):
        self.name = name
        self.phrasings = phrasings

    def render(self, context) -> str:
        key = str(context.get("variation_key", ""))
        chosen = self.phrasings[pick(key, self.name, len(self.phrasings))]
        return " ".join(chosen.render(context).split())


@register.tag("variant")
def do_variant(parser, token):
    """``{% variant "name" %} A {% or %} B … {% endvariant %}``"""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% variant %} takes one quoted name: {% variant "opening" %}')
    phrasings = []
    while True:
        phrasings.append(parser.parse(("or", "endvariant")))
        if parser.next_token().contents == "endvariant":
            break
    return VariantNode(bits[1][1:-1], phrasings)
