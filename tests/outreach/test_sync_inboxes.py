"""SMTP_INBOX_n settings become inboxes; a re-sync keeps what the admin decided."""

import pytest
from django.core.management import call_command

from infra.config import read_smtp_inboxes
from outreach.models import Inbox, InboxState
from outreach.services.inboxes import inbox_pause

pytestmark = pytest.mark.django_db


def test_sync_creates_then_updates_inboxes_without_printing_passwords(settings, capsys):
    settings.SMTP_INBOXES = read_smtp_inboxes(
        {"SMTP_INBOX_1": "edd@getjengu.example|s3cret-one|smtp.getjengu.example|587|Edd Chen"}
    )
    call_command("sync_inboxes")
    inbox = Inbox.objects.get(email="edd@getjengu.example")
    assert (inbox.smtp_host, inbox.smtp_port) == ("smtp.getjengu.example", 587)
    assert inbox.imap_host == "imap.getjengu.example"
    inbox_pause(inbox=inbox, by="user:ops", reason="warming up slowly")
    settings.SMTP_INBOXES = read_smtp_inboxes(
        {"SMTP_INBOX_1": "edd@getjengu.example|s3cret-two|smtp2.getjengu.example|465|Edd Chen"}
    )
    call_command("sync_inboxes")
    inbox.refresh_from_db()
    assert inbox.smtp_host == "smtp2.getjengu.example" and inbox.smtp_password == "s3cret-two"
    assert inbox.state == InboxState.PAUSED  # the admin's decision survives a deploy
    out = capsys.readouterr().out
    assert "1 inbox(es) created" in out and "0 created, 1 updated" in out.replace("inbox(es) ", "")
    assert "s3cret" not in out
