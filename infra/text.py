"""One way to compare words: folded to lower-case ASCII-ish letters, whatever the accents.

``fold`` is how names, places, job titles and replies are compared everywhere
('Zürich' = 'zurich', 'Straße' = 'STRASSE', 'İstanbul' = 'istanbul', 'Œuvre' =
'oeuvre'); ``strip_accents`` drops the accents only, keeping case and letters such as
ß, for text that is shown again. Letters that Unicode does not decompose (ß, æ, œ, ø,
ł, đ, þ and Turkish dotless ı) are spelled out first, as a person typing without them
would write them.
"""

import unicodedata

_SPELLED_OUT = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ı": "i", "İ": "i",
    }
)  # fmt: skip


def strip_accents(text: str) -> str:
    """'Crème Brûlée' → 'Creme Brulee' (ligatures such as 'ﬁ' become 'fi'); case and other letters kept."""
    text = text or ""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """The form words are compared in: lower case, no accents, special letters spelled out."""
    text = text or ""
    if text.isascii():
        return text.lower()
    return strip_accents(text.translate(_SPELLED_OUT)).casefold()
