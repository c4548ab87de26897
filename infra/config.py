"""Reading settings from the environment without ever crashing on a bad value.

Settings are read at import time, before Django can report anything. A value that does
not parse is recorded here instead of raising, and the system check in
``infra.checks`` reports it by variable name with what is wrong, never with the value
(which may be a secret).
"""

from dataclasses import dataclass

CONFIG_ERRORS: list[tuple[str, str]] = []


def config_error(variable: str, problem: str) -> None:
    CONFIG_ERRORS.append((variable, problem))


def fernet_keys(value: str) -> list[str]:
    """FIELD_ENCRYPTION_KEYS ("current,old,…") as a list; a key that is not a Fernet key is a config error.

    The error names the key by position only: a key is a secret.
    """
    from cryptography.fernet import Fernet

    keys = [part.strip() for part in str(value or "").split(",") if part.strip()]
    good = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            config_error(
                "FIELD_ENCRYPTION_KEYS",
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)",
            )
        else:
            good.append(key)
    return good


def host_list(value: str, default: list[str]) -> list[str]:
    """A comma-separated host list; blank means ``default``, ``none`` means no host at all."""
    if not str(value or "").strip():
        return list(default)
    if str(value).strip().lower() == "none":
        return []
    return [part.strip().strip("[]").lower() for part in str(value).split(",") if part.strip()]


def positive_ints(value) -> list[int]:
    """A live setting such as "3,7,14" as [3, 7, 14]; [] when any part is not a positive whole number."""
    try:
        numbers = [int(part) for part in str(value).split(",") if part.strip()]
    except ValueError:
        return []
    return numbers if all(number > 0 for number in numbers) else []


@dataclass(frozen=True)
class SmtpInboxConfig:
    """One SMTP_INBOX_n value: ``email|password|host|port|displayName``."""

    variable: str
    email: str
    password: str
    host: str
    port: int
    display_name: str

    def __repr__(self):  # the password must never reach a log line
        return f"SmtpInboxConfig({self.variable}, {self.email}, {self.host}:{self.port})"


def parse_smtp_inbox(variable: str, value: str) -> SmtpInboxConfig:
    """Parse one SMTP_INBOX_n value; ValueError messages never contain the password."""
    parts = value.split("|")
    if len(parts) != 5:
        raise ValueError(
            f"expected 5 fields 'email|password|host|port|displayName' separated by '|', found {len(parts)}"
        )
    email, password, host, port, display_name = (p.strip() for p in parts)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValueError("field 1 (email) is not an email address")
    if not password:
        raise ValueError("field 2 (password) is empty")
    if not host or " " in host:
        raise ValueError("field 3 (host) is empty or contains spaces")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("field 4 (port) must be a number between 1 and 65535")
    if not display_name:
        raise ValueError("field 5 (displayName) is empty")
    return SmtpInboxConfig(variable, email, password, host, int(port), display_name)


def read_smtp_inboxes(environ) -> list[SmtpInboxConfig]:
    """All SMTP_INBOX_<n> variables in numeric order; malformed ones become config errors."""
    inboxes = []
    names = [k for k in environ if k.startswith("SMTP_INBOX_")]
    for name in sorted(names, key=lambda k: (not k[11:].isdigit(), int(k[11:]) if k[11:].isdigit() else 0, k)):
        if not name[11:].isdigit():
            config_error(name, "SMTP inbox variables are named SMTP_INBOX_1, SMTP_INBOX_2, …")
            continue
        try:
            inboxes.append(parse_smtp_inbox(name, environ[name]))
        except ValueError as exc:
            config_error(name, str(exc))
    return inboxes
