"""Which prospect a reply belongs to: headers, then address, then a colleague's domain."""

import pytest

from outreach.models import Email, EmailStatus
from replies.models import MatchRule, Reply
from replies.services.ingest import reply_ingest
from tests.factories import EmailFactory, ProspectFactory
from tests.replies.helpers import contacted, inbound, reply_to

pytestmark = pytest.mark.django_db


def test_in_reply_to_header_matches_our_email():
    prospect, email = contacted()
    reply = reply_ingest(reply_to(email, "Sounds good", sender="someone@elsewhere.example"), source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.IN_REPLY_TO)


def test_references_header_matches_when_in_reply_to_is_foreign():
    prospect, email = contacted()
    raw = inbound(
        "Looping back on this",
        sender="x@elsewhere.example",
        in_reply_to="<some-other@client.example>",
        references=f"{email.message_id} <some-other@client.example>",
    )
    reply = reply_ingest(raw, source="imap").reply
    assert (reply.prospect, reply.match_rule) == (prospect, MatchRule.REFERENCES)


def test_sender_address_matches_a_recipient_of_ours():
    prospect, email = contacted()
    reply = reply_ingest(inbound("New thread, same person", sender=email.to_email.upper()), source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.ADDRESS)


def test_an_email_whose_send_outcome_was_lost_is_answered_by_its_recipient():
    # needs_review: the provider may have sent it; the recipient's answer ties to it by address
    prospect, email = contacted()
    Email.objects.filter(pk=email.pk)._allow_state_write().update(status=EmailStatus.NEEDS_REVIEW, sent_at=None)
    reply = reply_ingest(inbound("Got your note, tell me more", sender=email.to_email), source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.ADDRESS)


def test_by_address_an_email_known_sent_wins_over_one_whose_outcome_was_lost_on_every_database():
    # a needs_review email has no sent_at: PostgreSQL sorts NULL first in a descending order,
    # SQLite last; the reply must tie to the same email on both (the one known to have gone out)
    prospect, email = contacted()
    lost = EmailFactory(prospect=prospect, campaign=email.campaign, inbox=email.inbox, status=EmailStatus.NEEDS_REVIEW,
                        sent_at=None, sequence_step=2, message_id=f"<lost-{prospect.pk}@mail.jengu.test>")  # fmt: skip
    assert lost.pk > email.pk
    reply = reply_ingest(inbound("Tell me more", sender=email.to_email), source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.ADDRESS)


def test_a_colleague_at_the_same_hotel_matches_by_domain():
    prospect, email = contacted(email="gm@seaview-hotel.example", company_website="https://www.seaview-hotel.example")
    reply = reply_ingest(inbound("I run reception here", sender="frontdesk@seaview-hotel.example"), source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.DOMAIN)


def test_free_mail_domains_never_match_as_colleagues():
    contacted(email="owner@gmail.com")
    reply = reply_ingest(inbound("Who is this?", sender="stranger@gmail.com"), source="imap").reply
    assert reply.prospect is None and reply.match_rule == MatchRule.UNMATCHED


def test_unmatched_mail_is_kept_for_a_human():
    ProspectFactory()
    reply = reply_ingest(inbound("Hello?", sender="nobody@unknown.example"), source="imap").reply
    assert reply.prospect is None and reply.match_rule == MatchRule.UNMATCHED
    assert Reply.objects.filter(prospect__isnull=True).count() == 1


def test_a_bounce_matches_the_email_that_bounced_through_the_report():
    prospect, email = contacted()
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: edd@mail.jengu.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered: 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {email.to_email}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {email.message_id}\r\n"
        "Subject: Faster check-ins?\r\n\r\n--B--\r\n"
    ).encode()
    reply = reply_ingest(raw, source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.REFERENCES)


def test_a_bounce_notice_naming_only_the_failed_recipient_matches_nobody():
    # anyone can write a notice naming any address: the address is not evidence
    _prospect, email = contacted()
    raw = inbound(
        f"Delivery to the following recipient failed permanently: {email.to_email}",
        sender="mailer-daemon@mx.example.net",
        subject="Delivery Status Notification (Failure)",
        headers={"X-Failed-Recipients": email.to_email},
    )
    reply = reply_ingest(raw, source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (None, None, MatchRule.UNMATCHED)


def test_headers_quoted_in_a_notices_text_match_but_not_in_a_persons_mail():
    prospect, email = contacted()
    quoted = (
        f"------ This is a copy of the message, including all the headers. ------\n\nMessage-ID: {email.message_id}"
    )
    notice = inbound(f"The message could not be delivered.\n\n{quoted}", sender="mailer-daemon@mx.example.net")
    reply = reply_ingest(notice, source="imap").reply
    assert (reply.prospect, reply.email, reply.match_rule) == (prospect, email, MatchRule.REFERENCES)

    forwarded = inbound(f"Who sent this?\n\n{quoted}", sender="stranger@unknown.example")
    assert reply_ingest(forwarded, source="imap").reply.match_rule == MatchRule.UNMATCHED
