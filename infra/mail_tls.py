"""The rule for every SMTP and IMAP connection an inbox makes: TLS, or a host on the local allow-list.

A connection is encrypted before anything is said that matters (AUTH/LOGIN, a
message): implicit TLS (SMTP 465, IMAP 993) or STARTTLS that must succeed, with the
certificate and host name verified (``ssl.create_default_context``). A server that does
not offer STARTTLS, or a handshake that fails, ends the connection before the login.
Only hosts named in ``MAIL_PLAINTEXT_HOSTS`` (default: this machine — 127.0.0.1,
localhost, ::1 — where the demo's SMTP sink and the test servers listen) may be spoken
to in the clear. The host is compared as written on the inbox, never resolved: a
public name that happens to resolve to a loopback address is still not allowed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

DEFAULT_PLAINTEXT_HOSTS = ["127.0.0.1", "localhost", "::1"]


def plaintext_allowed(host: str) -> bool:
    """Whether ``host`` is on the allow-list for unencrypted SMTP/IMAP."""
    allowed = getattr(settings, "MAIL_PLAINTEXT_HOSTS", DEFAULT_PLAINTEXT_HOSTS)
    return host.strip().strip("[]").lower() in {h.strip().strip("[]").lower() for h in allowed}


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(protocol: str, host: str, port: int) -> str:
    """The error when a server offers no STARTTLS (it names the setting, never a password)."""
    return (
        f"{protocol} {host}:{port} does not offer STARTTLS: Jengu logs in only over TLS "
        f"(implicit TLS on port {465 if protocol == 'SMTP' else 993}, or STARTTLS); "
        "MAIL_PLAINTEXT_HOSTS lists the local hosts allowed without it"
    )
