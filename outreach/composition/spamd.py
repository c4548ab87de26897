"""SpamAssassin's spamd, asked the way ``spamc`` asks it (the SPAMC/1.5 protocol over TCP).

``spamd_check(message, host=, port=, timeout=)`` sends one RFC 5322 message with the
``REPORT`` command and returns the score, the threshold spamd uses and the rules that
fired (points, name, description). Speaking the protocol directly instead of running
the ``spamc`` binary saves a process per email and lets the timeout be exact; the
answer is the same (see spamd's PROTOCOL document, "REPORT").

A spamd that does not answer raises ``SpamdUnavailable``; the spam gate then records
"skipped" with the reason and relies on its own heuristic. After a failed connection
that host and port are not asked again for ``RETRY_AFTER`` seconds, so a machine without
spamd does not pay a connection attempt per email.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field

RETRY_AFTER = 60.0
_down_until: dict[tuple[str, int], float] = {}
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z][A-Z0-9_]+)\s+(.*)$")
_SPAM_HEADER = re.compile(r"^Spam:\s*(\w+)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)", re.IGNORECASE | re.MULTILINE)


class SpamdUnavailable(Exception):
    pass


@dataclass
class SpamAssassinVerdict:
    score: float
    required: float
    is_spam: bool
    rules: list[dict] = field(default_factory=list)  # {"points", "rule", "description"}


def spamd_reset() -> None:
    """Forget which spamd servers were down (tests start their own)."""
    _down_until.clear()


def spamd_check(message: bytes, *, host: str, port: int, timeout: float = 10.0) -> SpamAssassinVerdict:
    key = (host, port)
    if _down_until.get(key, 0) > time.monotonic():
        raise SpamdUnavailable(f"spamd at {host}:{port} did not answer recently; not asked again yet")
    request = f"REPORT SPAMC/1.5\r\nContent-length: {len(message)}\r\nUser: jengu\r\n\r\n".encode("ascii") + message
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        _down_until[key] = time.monotonic() + RETRY_AFTER
        raise SpamdUnavailable(f"spamd at {host}:{port} did not answer ({exc})") from exc
    _down_until.pop(key, None)
    return parse_report(b"".join(chunks).decode("utf-8", errors="replace"))


def parse_report(answer: str) -> SpamAssassinVerdict:
    """spamd's REPORT answer: a status line, headers, a blank line, the report text."""
    head, _, report = answer.replace("\r\n", "\n").partition("\n\n")
    status = head.split("\n", 1)[0]
    if not status.startswith("SPAMD/") or " 0 " not in f"{status} ":
        raise SpamdUnavailable(f"spamd answered '{status[:80]}'")
    match = _SPAM_HEADER.search(head)
    if not match:
        raise SpamdUnavailable("spamd's answer has no Spam header")
    rules = []
    for line in report.splitlines():
        rule = _RULE.match(line)
        if rule:
            rules.append({"points": float(rule[1]), "rule": rule[2], "description": rule[3].strip()})
        elif rules and line.startswith(" " * 5) and line.strip():
            rules[-1]["description"] += " " + line.strip()  # a description continued on the next line
    return SpamAssassinVerdict(
        score=float(match[2]), required=float(match[3]), is_spam=match[1].lower() == "true", rules=rules
    )
