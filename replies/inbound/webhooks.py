"""Inbound mail pushed by Resend or SendGrid (anymail's ``inbound`` signal).

anymail validates the webhook (basic auth / signatures, ``ANYMAIL`` settings) and parses
the provider's payload into an ``AnymailInboundMessage`` (an ``email.message.EmailMessage``);
this receiver hands it to ``reply_ingest``. A message that also arrives by IMAP is stored
once (Message-ID). An exception here makes anymail answer 400, so the provider retries.
The URL is anymail's own: ``/anymail/<esp>/inbound/`` (jengu/urls.py includes anymail.urls).
"""

from __future__ import annotations

import logging

from anymail.signals import inbound

from replies.models import Reply

logger = logging.getLogger(__name__)
SOURCES = {"resend": Reply.Source.RESEND, "sendgrid": Reply.Source.SENDGRID}


def handle_inbound(sender, event, esp_name: str, **kwargs):
    from replies.services.ingest import reply_ingest

    source = SOURCES.get((esp_name or "").lower())
    if source is None:
        logger.warning("inbound mail from an ESP we do not use (%s): stored as manual", esp_name)
        source = Reply.Source.MANUAL
    result = reply_ingest(event.message, source=source)
    if result.reply is not None:
        logger.info("inbound %s: reply %s (%s)", esp_name, result.reply.pk, "new" if result.created else "duplicate")


def connect() -> None:
    inbound.connect(handle_inbound, dispatch_uid="replies.inbound.webhooks")
