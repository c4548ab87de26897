"""The local SMTP sink: the sandbox twin of real mailboxes, for the demo.

An aiosmtpd server that accepts every message and stores it as a SinkMessage row, so
the admin lists what "went out" and the sandbox reply generator can answer it. It
never relays anything anywhere.
"""

from __future__ import annotations

import email
import email.policy
import logging

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async

logger = logging.getLogger(__name__)


def sink_store(*, mail_from: str, rcpt_tos: list[str], raw: bytes):
    from outreach.models import SinkMessage

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return SinkMessage.objects.create(
        message_id=str(parsed.get("Message-ID", "")).strip()[:250],
        mail_from=mail_from[:254],
        rcpt_to=", ".join(rcpt_tos)[:1000],
        subject=str(parsed.get("Subject", ""))[:300],
        raw=raw.decode("utf-8", errors="replace"),
    )


class SinkHandler:
    async def handle_DATA(self, server, session, envelope):
        message = await sync_to_async(sink_store, thread_sensitive=False)(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=envelope.original_content or b""
        )
        logger.info("sink: %s → %s", message.subject, message.rcpt_to)
        return "250 Message accepted for delivery"


def sink_controller(*, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    return Controller(SinkHandler(), hostname=host, port=port)
