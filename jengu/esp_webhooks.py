"""The ESP webhook endpoints Jengu serves: Resend and SendGrid, tracking and inbound. No other.

anymail's own views check each request and parse the ESP's payload; the receivers are
``outreach/webhooks.py`` (tracking) and ``replies/inbound/webhooks.py`` (inbound). What
authenticates each URL (anymail runs every check that is configured, all must pass):

=============================  ====================================================
``/anymail/resend/tracking/``  svix signature (``RESEND_SIGNING_SECRET``) and/or
                               basic auth (``ANYMAIL_WEBHOOK_SECRET``)
``/anymail/resend/inbound/``   svix signature (``RESEND_INBOUND_SECRET``) and/or
                               basic auth
``/anymail/sendgrid/tracking/`` ECDSA signature (``SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY``)
                               and/or basic auth
``/anymail/sendgrid/inbound/``  basic auth (SendGrid does not sign Inbound Parse)
=============================  ====================================================

anymail alone, with none of these configured, only warns ("your webhooks are insecure")
and processes the request: anyone could post bounces, complaints and replies. Here such a
URL refuses every POST with 403 and logs which variable would open it; so a blank
``.env`` (the demo, which uses the SMTP sink and no ESP) exposes nothing.
"""

from __future__ import annotations

import logging

from anymail.webhooks.resend import ResendInboundWebhookView, ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView, SendGridTrackingWebhookView
from django.http import HttpResponseForbidden

logger = logging.getLogger(__name__)


class RefuseUnauthenticated:
    """Mixin placed before an anymail view: no configured check, no processing."""

    # the variables that would authenticate this URL, for the log line (never their values)
    remedy = "ANYMAIL_WEBHOOK_SECRET"

    # anymail's "insecure webhook" warning would be wrong here: such a request is refused.
    # A property, so the assignments in anymail's __init__ cannot switch it back on.
    @property
    def warn_if_no_basic_auth(self) -> bool:
        return False

    @warn_if_no_basic_auth.setter
    def warn_if_no_basic_auth(self, value: bool) -> None:
        pass

    def signature_configured(self) -> bool:
        return False

    def authentication_configured(self) -> bool:
        return bool(self.basic_auth) or self.signature_configured()

    def post(self, request, *args, **kwargs):
        if not self.authentication_configured():
            logger.warning("ESP webhook %s refused: no authentication is configured for it (set %s)",
                           request.path, self.remedy)  # fmt: skip
            return HttpResponseForbidden("This webhook is not configured to accept requests.\n")
        return super().post(request, *args, **kwargs)


class ResendTracking(RefuseUnauthenticated, ResendTrackingWebhookView):
    remedy = "RESEND_SIGNING_SECRET or ANYMAIL_WEBHOOK_SECRET"

    def signature_configured(self) -> bool:
        return bool(self.signing_secret)  # set by anymail from RESEND_SIGNING_SECRET


class ResendInbound(RefuseUnauthenticated, ResendInboundWebhookView):
    remedy = "RESEND_INBOUND_SECRET or ANYMAIL_WEBHOOK_SECRET"

    def signature_configured(self) -> bool:
        return bool(self.inbound_secret)  # set by anymail from RESEND_INBOUND_SECRET


class SendGridTracking(RefuseUnauthenticated, SendGridTrackingWebhookView):
    remedy = "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY or ANYMAIL_WEBHOOK_SECRET"

    def signature_configured(self) -> bool:
        return self.webhook_verification_key is not None  # the loaded public key


class SendGridInbound(RefuseUnauthenticated, SendGridInboundWebhookView):
    remedy = "ANYMAIL_WEBHOOK_SECRET"
