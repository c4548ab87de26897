"""Which inbound reader runs: the real mailboxes or their sandbox twin. The one place that chooses.

``inbound_read()`` reads new mail once (the every-minute reply poll): from every inbox
with an IMAP host (replies.inbound.imap.imap_poll) when at least one has one, otherwise
from the demo's twin (replies.sandbox.sandbox_replies_run), which answers what the local
SMTP sink received as the recipients might. Either way each message goes through
``reply_ingest``. It returns a one-line summary for the job's result and heartbeat.

The Resend and SendGrid inbound webhooks (replies.inbound.webhooks) need no choosing:
their URLs answer only once their secret is set (jengu/esp_webhooks.py). The AI reading
of a reply chooses its provider in the AI gateway (infra.ai), not here.
"""

from outreach.models import Inbox


def inbound_uses_imap() -> bool:
    """Real mailboxes are read once any inbox has an IMAP host; until then, the sandbox twin."""
    return Inbox.objects.exclude(imap_host="").exists()


def inbound_read() -> str:
    """Read new mail from the chosen reader; a one-line summary of what was found."""
    if inbound_uses_imap():
        from replies.inbound.imap import imap_poll

        summary = imap_poll()
        return f"{summary.new_replies} new replies from {summary.inboxes} inboxes, {summary.errors} errors"
    from replies.sandbox import sandbox_replies_run

    return f"{sandbox_replies_run()} sandbox replies"
