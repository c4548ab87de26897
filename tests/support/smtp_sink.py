"""A real SMTP server for tests (aiosmtpd in a thread) that records what it receives.

``RecordingSink`` keeps every message in memory, keyed by its Message-ID, so tests can
assert "arrived once" at the wire level; ``password`` makes it demand AUTH LOGIN/PLAIN
and refuse any other password (for the circuit-breaker tests); ``answer_delay`` keeps a
message but answers its DATA that many seconds late (a server that went quiet after
taking it, for the outcome-unknown tests).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: RecordingSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(parsed)
            self.sink.raw.append(envelope.original_content)  # the bytes as they crossed the wire
        if self.sink.answer_delay:
            await asyncio.sleep(self.sink.answer_delay)
        return "250 OK"


class RecordingSink:
    def __init__(self, *, password: str | None = None, answer_delay: float = 0.0):
        self.messages: list = []
        self.raw: list[bytes] = []
        self.answer_delay = answer_delay
        self.lock = threading.Lock()
        self.port = free_port()
        kwargs = {}
        if password is not None:

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == password
                return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 535 itself

            kwargs = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)
