"""Quote, signature and footer stripping on saved real-world-format emails.

Each tests/fixtures/replies/raw/NN_client.eml has a NN_client.expected.txt with the new
text a person wrote; formats follow what Gmail, Outlook (desktop, web, iOS, Android),
Apple Mail, iOS/Android mail, Yahoo, Thunderbird, Proton and BlackBerry produce.
"""

from pathlib import Path

import pytest

from replies.cleaning import clean_reply_text, parse_message

RAW = Path(__file__).resolve().parents[1] / "fixtures" / "replies" / "raw"
SAMPLES = sorted(RAW.glob("*.eml"))


def test_there_are_at_least_thirty_real_world_samples():
    assert len(SAMPLES) >= 30


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_only_the_new_text_is_kept(path):
    message = parse_message(path.read_bytes())
    expected = path.with_name(f"{path.stem}.expected.txt").read_text().strip()
    assert clean_reply_text(message.text) == expected


def test_threading_headers_and_sender_are_read():
    message = parse_message((RAW / "01_gmail_en.eml").read_bytes())
    assert message.in_reply_to == "<20260302101400.1a2b3c@mail.jengu.test>"
    assert message.references == ["<20260302101400.1a2b3c@mail.jengu.test>"]
    assert message.from_email == "sarah.johnson@harbourview.example"
    assert message.from_name == "Sarah Johnson"
    assert message.message_id.startswith("<fixture-01-")


def test_auto_replies_are_recognised_from_headers_and_subject():
    from tests.replies.helpers import inbound

    for headers in ({"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Precedence": "auto_reply"}):
        assert parse_message(inbound("I am away.", headers=headers)).is_auto_reply
    assert parse_message(inbound("I am away.", subject="Automatic reply: Faster check-ins?")).is_auto_reply
    assert not parse_message(inbound("Sounds good", headers={"Auto-Submitted": "no"})).is_auto_reply
