"""The inbox's own SMTP server (Django's SMTP backend over smtplib), with our Message-ID.

Port 465 uses implicit TLS; any other port must STARTTLS, and the handshake (with the
certificate verified) must succeed before AUTH or the message goes out (infra.mail_tls).
Only a host on ``MAIL_PLAINTEXT_HOSTS`` (the demo's local sink, test servers) may be
used without: STARTTLS then when the server offers it, plaintext when not. A login
failure, or a server that refuses TLS, is reported as a login failure so the send path
opens the inbox's circuit after repeated ones.

A permanent refusal of the recipient (``recipient_refusal``: a 5xx answer to RCPT TO or
to the DATA whose enhanced status code is about the recipient's address — RFC 3463
X.1.x but the sender's X.1.7/X.1.8, or X.2.1 mailbox disabled — or, without one, whose
words say the mailbox does not exist) is reported as ``recipient_refused``: a hard
bounce, not a failing server. A 5xx about our session or the message (relaying,
authentication, policy, a blocklist, content: X.7.x and the like) and every 4xx stay
ordinary failures, so a misconfigured server never suppresses a good address.

Within ``smtp_sessions_reused()`` (a sender run) one open, logged-in session per inbox
server (host, port, user, password) is kept between messages for SESSION_IDLE_SECONDS
and at most SESSION_MESSAGES messages: before a reuse it must answer NOOP (else a new
session is opened, with every TLS rule above), and any error while sending drops it and
is reported exactly as on a fresh session. Outside that block each message has its own
connection. Whether an allow-listed plaintext host offers STARTTLS is probed once per
PROBE_SECONDS, not once per message.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import smtplib
import ssl
import threading
import time

from django.core.mail.backends.smtp import EmailBackend

from infra.mail_tls import plaintext_allowed, refusal
from outreach.providers.base import OutgoingMessage, ProviderError

TIMEOUT_SECONDS = 20
SESSION_IDLE_SECONDS = 30.0  # a kept session unused this long is closed, not reused
SESSION_MESSAGES = 50  # messages per session before a new one (servers limit them too)
PROBE_SECONDS = 60.0  # how long an allow-listed host's STARTTLS offer is remembered
ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# a refusal about our session, our sender or the message, whatever its code says
ABOUT_US = re.compile(
    r"relay|auth|sender|spam|policy|block|reputation|rate limit|too many|content|virus|not permitted", re.I
)
# a 5xx without an enhanced status code that says the mailbox does not exist
MAILBOX_UNKNOWN = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|address)|mailbox (?:unavailable|not found|"
    r"does not exist|disabled)|recipient (?:not found|unknown|does not exist)|(?:address|account|user|mailbox)"
    r" (?:does not|doesn't) exist|invalid recipient|unrouteable address",
    re.I,
)


def recipient_refusal(code: int, text: str) -> bool:
    """Whether an SMTP answer (``code`` and its text) refuses the recipient's address for good."""
    if not 500 <= code <= 599 or ABOUT_US.search(text):
        return False
    enhanced = ENHANCED_STATUS.search(text)
    if enhanced:
        kind, subject, detail = enhanced.groups()
        address = subject == "1" and detail not in ("7", "8")  # X.1.7, X.1.8: the sender's address
        return kind == "5" and (address or (subject, detail) == ("2", "1"))
    return bool(MAILBOX_UNKNOWN.search(text))


def _answer(code, text) -> tuple[int, str]:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return int(code or 0), " ".join(text.split())[:300]


_probed: dict[tuple[str, int], tuple[bool, float]] = {}  # (host, port) → (offers STARTTLS, when probed)
_probed_lock = threading.Lock()


class SmtpSessions:
    """Open sessions kept for reuse, one per inbox server; used by one thread (a sender run)."""

    def __init__(self, *, idle_seconds: float = SESSION_IDLE_SECONDS, messages: int = SESSION_MESSAGES):
        self.idle_seconds, self.messages = idle_seconds, messages
        self._kept: dict[tuple, tuple[EmailBackend, float, int]] = {}  # key → (backend, last used, messages)

    def take(self, key: tuple) -> tuple[EmailBackend, int] | None:
        """A kept session for ``key`` that still answers, and how many messages it carried."""
        kept = self._kept.pop(key, None)
        if kept is None:
            return None
        backend, used_at, count = kept
        if time.monotonic() - used_at > self.idle_seconds or count >= self.messages:
            _close_quietly(backend)
            return None
        try:
            code, _ = backend.connection.noop()
        except (smtplib.SMTPException, OSError, ssl.SSLError):
            code = 0
        if code != 250:  # the server closed it, or is not well: a fresh session instead
            _close_quietly(backend)
            return None
        return backend, count

    def keep(self, key: tuple, backend: EmailBackend, count: int) -> None:
        old = self._kept.pop(key, None)
        if old is not None:
            _close_quietly(old[0])
        self._kept[key] = (backend, time.monotonic(), count)

    def close(self) -> None:
        kept, self._kept = self._kept, {}
        for backend, _, _ in kept.values():
            _close_quietly(backend)


_sessions: contextvars.ContextVar[SmtpSessions | None] = contextvars.ContextVar("smtp_sessions", default=None)


@contextlib.contextmanager
def smtp_sessions_reused(**kwargs):
    """Within the block, SmtpProvider.send reuses one session per inbox server; closed at the end."""
    if _sessions.get() is not None:  # already inside one (a run inside a run): share it
        yield _sessions.get()
        return
    sessions = SmtpSessions(**kwargs)
    token = _sessions.set(sessions)
    try:
        yield sessions
    finally:
        _sessions.reset(token)
        sessions.close()


def _close_quietly(backend: EmailBackend) -> None:
    """Drop a session without waiting on a server that may be gone (no QUIT)."""
    connection, backend.connection = backend.connection, None
    if connection is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()


class SmtpProvider:
    name = "smtp"

    def __init__(self, *, host: str, port: int, username: str, password: str):
        self.host, self.port, self.username, self.password = host, port, username, password

    def _use_starttls(self) -> bool:
        """STARTTLS on every port but 465; only an allow-listed host may go without when it has none."""
        if self.port == 465:
            return False
        if not plaintext_allowed(self.host):
            return True  # smtplib raises SMTPNotSupportedError before AUTH when it is not offered
        where = (self.host.strip().lower(), self.port)
        with _probed_lock:
            probed = _probed.get(where)
        if probed and time.monotonic() - probed[1] < PROBE_SECONDS:
            return probed[0]
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as probe:
                probe.ehlo()
                offers = probe.has_extn("starttls")
        except (OSError, smtplib.SMTPException):
            return False  # the real connection below reports the problem (and nothing is remembered)
        with _probed_lock:
            _probed[where] = (offers, time.monotonic())
        return offers

    def _session_key(self) -> tuple:
        # the password as a digest: a changed password opens a new session, and the key
        # holds nothing a log or a debugger could show
        secret = hashlib.sha256((self.password or "").encode()).hexdigest()
        return (self.host.strip().lower(), self.port, self.username, secret, plaintext_allowed(self.host))

    def send(self, message: OutgoingMessage) -> str:
        sessions = _sessions.get()
        key = self._session_key() if sessions is not None else None
        kept = sessions.take(key) if sessions is not None else None
        if kept is not None:
            backend, count = kept
        else:
            backend, count = self._open(), 0
        kept_for_next = False
        try:
            if not self._send_on(backend, message):
                raise ProviderError(f"SMTP {self.host}:{self.port} accepted no recipient")
            if sessions is not None:
                sessions.keep(key, backend, count + 1)
                kept_for_next = True
        finally:
            if not kept_for_next:  # one message per connection, or an error: the session is not reused
                if sessions is not None:
                    _close_quietly(backend)
                else:
                    backend.close()
        return message.message_id

    def _open(self) -> EmailBackend:
        """Connect, STARTTLS, log in: a failure here sent nothing."""
        # one backend per inbox, named by an alias as Django 6.1's mailers are (get_connection()
        # is deprecated); with an alias it reads nothing from the EMAIL_* settings
        backend = EmailBackend(
            alias=f"jengu-smtp-{self.host}",
            host=self.host,
            port=self.port,
            username=self.username if self.password else "",
            password=self.password,
            use_ssl=self.port == 465,
            use_tls=self._use_starttls(),
            timeout=TIMEOUT_SECONDS,
        )
        where = f"SMTP {self.host}:{self.port}"
        try:
            backend.open()
        except smtplib.SMTPAuthenticationError as exc:
            backend.close()  # the half-open session Django keeps after a failed login
            raise ProviderError(f"SMTP login refused by {self.host} ({exc.smtp_code})", login_failed=True) from None
        except smtplib.SMTPNotSupportedError as exc:
            backend.close()
            if "STARTTLS" not in str(exc):  # e.g. no AUTH offered
                raise ProviderError(f"{where}: {type(exc).__name__}: {exc}") from None
            # STARTTLS not offered: nothing but EHLO was said
            raise ProviderError(refusal("SMTP", self.host, self.port), login_failed=True) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            backend.close()
            raise ProviderError(f"{where}: {type(exc).__name__}: {exc}") from None
        return backend

    def _send_on(self, backend: EmailBackend, message: OutgoingMessage) -> int:
        """The message over an open session; the provider's errors, classified."""
        where = f"SMTP {self.host}:{self.port}"
        try:
            return backend.send_messages([message.as_django_message()])
        except smtplib.SMTPRecipientsRefused as exc:
            # every recipient refused at RCPT TO (we send to one): (code, text) per address
            answers = [_answer(*answer) for answer in exc.recipients.values()]
            refused = bool(answers) and all(recipient_refusal(code, text) for code, text in answers)
            said = "; ".join(f"{code} {text}" for code, text in answers)
            raise ProviderError(
                f"{where} refused the recipient at RCPT TO: {said}", recipient_refused=refused
            ) from None
        except smtplib.SMTPDataError as exc:
            code, text = _answer(exc.smtp_code, exc.smtp_error)
            raise ProviderError(
                f"{where} refused the message at DATA: {code} {text}", recipient_refused=recipient_refusal(code, text)
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise ProviderError(f"{where} refused the message: {type(exc).__name__}: {exc}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            # the session broke mid-transaction: the server may have queued it before it went quiet
            raise ProviderError(
                f"{where}: {type(exc).__name__} during the send; it may have been delivered: {exc}",
                outcome_unknown=True,
            ) from None
