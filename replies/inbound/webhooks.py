"""Inbound mail pushed by Resend or SendGrid (anymail's ``inbound`` signal).

The URLs are ``/anymail/resend/inbound/`` and ``/anymail/sendgrid/inbound/`` (mounted in
jengu/urls.py by jengu/esp_webhooks.py, which refuses them until their secret is set:
``RESEND_INBOUND_SECRET`` or the basic auth of ``ANYMAIL_WEBHOOK_SECRET``). anymail
checks the request and parses the provider's payload into an ``AnymailInboundMessage``
(an ``email.message.EmailMessage``); this receiver hands it to ``reply_ingest``.

An authenticated webhook proves the ESP sent the request, not who wrote the mail: the
message is as untrusted as one read by IMAP and goes through the same checks (a bounce
notice acts only when it names a Message-ID we sent). A message that also arrives by
IMAP is stored once (Message-ID). An exception here makes anymail answer 400, so the
provider retries.
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
        # only Resend's and SendGrid's views are mounted; anything else is not ours to store
        logger.warning("inbound mail from an ESP Jengu does not use (%s): ignored", esp_name)
        return
    if event.message is None:
        logger.warning("inbound %s webhook without a message: ignored", esp_name)
        return
    result = reply_ingest(event.message, source=source)
    if result.reply is not None:
        logger.info("inbound %s: reply %s (%s)", esp_name, result.reply.pk, "new" if result.created else "duplicate")


def connect() -> None:
    inbound.connect(handle_inbound, dispatch_uid="replies.inbound.webhooks")
