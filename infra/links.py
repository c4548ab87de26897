"""Links from outside (hotel pages, search results): only http(s) is ever kept or shown.

``http_url(value)`` returns the link as a browser would read it when it is an http or
https URL with a host, else ``""``. It reads the scheme the way the URL standard does —
leading and trailing C0 controls and spaces stripped, tabs and newlines anywhere dropped —
so ``java\\tscript:``, `` javascript:`` and ``JaVaScRiPt:`` are all recognised as what
they are, and refused with ``data:``, ``vbscript:`` and every other scheme (an allowlist:
a scheme nobody thought of is refused too). Character references (``&#106;avascript:``)
are decoded by the HTML parser before a link reaches us, so they need nothing here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_DROPPED = str.maketrans("", "", "\t\n\r")


def http_url(value) -> str:
    """``value`` as a clean http(s) URL with a host, or ``""`` for anything else."""
    if not isinstance(value, str):
        return ""
    url = value.strip(_C0_AND_SPACE).translate(_DROPPED)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return ""
    return url
