"""Brackets and quotes that come in pairs: find the ones without a partner, or drop them.

``unpaired(text)`` lists the brackets and double quotes of ``text`` that have no partner
(the form gate refuses an email with any: "a new Réceptionniste (H/F in Lyon." is a
broken sentence); ``drop_unpaired(text)`` removes them from outside text before an email
prints it. Round, square and curly brackets and « » pair by nesting; straight double
quotes pair by count, and so do curly double quotes (German „…“ closes with the mark
English opens with, so only their number can tell). Single quotes are left alone: they
are apostrophes far more often than quotes (d'accueil, O'Brien, it’s).
"""

from __future__ import annotations

CLOSERS = {")": "(", "]": "[", "}": "{", "»": "«"}
OPENERS = set(CLOSERS.values())
CURLY_DOUBLE = "„“”"


def unpaired_positions(text: str) -> list[int]:
    """Indexes in ``text`` of every bracket or double quote without a partner."""
    stack: list[int] = []
    unpaired: list[int] = []
    for index, ch in enumerate(text):
        if ch in OPENERS:
            stack.append(index)
        elif ch in CLOSERS:
            if stack and text[stack[-1]] == CLOSERS[ch]:
                stack.pop()
            else:
                unpaired.append(index)
    unpaired.extend(stack)
    if text.count('"') % 2:
        unpaired.extend(i for i, ch in enumerate(text) if ch == '"')
    if sum(text.count(ch) for ch in CURLY_DOUBLE) % 2:
        unpaired.extend(i for i, ch in enumerate(text) if ch in CURLY_DOUBLE)
    return sorted(unpaired)


def unpaired(text: str) -> list[str]:
    """The unpaired brackets and quotes of ``text``, in order ('' when all pair up)."""
    return [text[i] for i in unpaired_positions(text)]


def drop_unpaired(text: str) -> str:
    """``text`` without its unpaired brackets and quotes ("Réceptionniste (H/F" → "Réceptionniste H/F")."""
    drop = set(unpaired_positions(text))
    return "".join(ch for i, ch in enumerate(text) if i not in drop) if drop else text
