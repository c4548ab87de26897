"""How our headers are written on the wire, where Python's email package would get them wrong.

RFC 2369 list headers (``List-Unsubscribe``) hold URLs in angle brackets. The email
package treats them as unstructured text and, when the value is longer than a line,
folds it by turning it into RFC 2047 encoded-words (``=?utf-8?q?=3Chttps=3A//…?=``).
Mail clients do not decode encoded-words in this header, so Gmail's and Yahoo's
one-click unsubscribe breaks. Here such a header is written as it was given, ASCII only,
and folded only after a comma between two URLs; a single URL longer than a line stays
whole (RFC 5322 allows lines up to 998 characters).
"""

from __future__ import annotations

import email.policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader

from django.core.mail import EmailMessage

URL_LIST_HEADERS = ("list-unsubscribe", "list-unsubscribe-post")


class UrlListHeader(UnstructuredHeader):
    """A header of ``<url>, <url>`` written verbatim: never encoded, folded only at a comma."""

    def fold(self, *, policy):
        value = str(self)
        if not value.isascii():
            raise ValueError(f"{self.name} must be ASCII on the wire (a URL is percent-encoded): {value[:80]!r}")
        items = [item.strip() for item in value.split(",")]
        line = f"{self.name}: {', '.join(items)}"
        if len(line) <= policy.max_line_length or len(items) == 1:
            return line + policy.linesep
        return f"{self.name}: " + f",{policy.linesep} ".join(items) + policy.linesep


def _wire_headers() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in URL_LIST_HEADERS:
        registry.map_to_type(name, UrlListHeader)
    return registry


WIRE_HEADERS = _wire_headers()


class WireEmailMessage(EmailMessage):
    """Django's message, with our list headers written verbatim whatever policy the backend asks for."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(header_factory=WIRE_HEADERS))
