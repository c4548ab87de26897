"""Which prospect (and which of our emails) an inbound message answers.

Rules in order, the first that finds something wins and is recorded as ``match_rule``:

1. ``in_reply_to``: the In-Reply-To header is one of our emails' Message-IDs;
2. ``references``: any Message-ID in References (newest first), or in the headers a
   delivery report returns, is ours;
3. ``address``: the sender is an address we emailed, or a prospect's own address. A
   bounce notice's failed recipient never matches: anyone can write a notice naming any
   address, so a notice belongs to an email only through its Message-ID (rules 1–2);
4. ``domain``: the sender's domain is a prospect's website domain or email domain, i.e.
   a colleague at the same hotel answered (free-mail domains never match this way, nor
   a domain prospects of several hotels share, such as a chain's brand site);
5. otherwise ``unmatched``: the reply is kept with no prospect for a human to attach.

``names_our_message(reply)`` says whether rule 1 or 2 matched it: the only reading of a
bounce notice precise enough to mark our email bounced without a person, and of an abuse
feedback report (ARF) precise enough to count a complaint. A feedback report is matched
by the Message-ID of the message it reports alone (replies.services.ingest passes no
sender): the loop's address and the recipient it names match nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import F, Q

from outreach.models import Email, EmailStatus
from prospects.models import Prospect
from replies.models import MatchRule, Reply

FREE_MAIL_DOMAINS = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.es", "hotmail.fr", "live.com",
    "msn.com", "yahoo.com", "yahoo.fr", "yahoo.es", "yahoo.de", "icloud.com", "me.com", "mac.com", "aol.com",
    "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "orange.fr", "free.fr", "laposte.net", "sfr.fr",
    "wanadoo.fr", "proton.me", "protonmail.com", "mail.com", "zoho.com", "yandex.com", "telefonica.net",
}  # fmt: skip
# a Message-ID in the message's headers (or the headers quoted in a bounce notice's text,
# as Exim and qmail return the message): "Message-ID: <…@…>" at the start of a line
QUOTED_MESSAGE_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+@[^<>\s]+>)", re.I | re.M)
MESSAGE_ID_RULES = (MatchRule.IN_REPLY_TO, MatchRule.REFERENCES)
# a reply can answer only an email that went out (EmailStatus.WENT_OUT) or may have: one in
# needs_review was claimed and handed to a provider whose answer was lost (a crash mid-send),
# so it may sit in the recipient's inbox with its Message-ID, and an answer from that
# recipient is the best sign that it does. Such an answer still matches by address (rules
# 3-4) and by a person's attach; the email stays in review until a person marks it.
MAY_HAVE_GONE_OUT = EmailStatus.WENT_OUT | {EmailStatus.NEEDS_REVIEW}


@dataclass
class ReplyMatch:
    email: Email | None
    prospect: Prospect | None
    rule: str


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def _latest_sent_email(**filters) -> Email | None:
    return (
        Email.objects.filter(status__in=MAY_HAVE_GONE_OUT, **filters)
        .select_related("prospect")
        .order_by(F("sent_at").desc(nulls_last=True), "-id")  # one whose outcome was lost last, on every database
        .first()
    )


def reply_match(
    *,
    from_email: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    quoted_message_ids: list[str] | None = None,
) -> ReplyMatch:
    if in_reply_to:
        email = Email.objects.filter(message_id=in_reply_to).select_related("prospect").first()
        if email:
            return ReplyMatch(email, email.prospect, MatchRule.IN_REPLY_TO)
    candidates = [*reversed(references or []), *(quoted_message_ids or [])]
    if candidates:
        found = {e.message_id: e for e in Email.objects.filter(message_id__in=candidates).select_related("prospect")}
        for message_id in candidates:
            if message_id in found:
                return ReplyMatch(found[message_id], found[message_id].prospect, MatchRule.REFERENCES)

    address = (from_email or "").strip().lower()
    if address:
        email = _latest_sent_email(to_email=address)
        if email:
            return ReplyMatch(email, email.prospect, MatchRule.ADDRESS)
        prospect = Prospect.objects.filter(email=address, merged_into__isnull=True).first()
        if prospect:
            return ReplyMatch(_latest_sent_email(prospect=prospect), prospect, MatchRule.ADDRESS)

    domain = _domain(from_email)
    if domain and domain not in FREE_MAIL_DOMAINS and not domain_is_shared_by_hotels(domain):
        colleagues = _at_domain(domain)
        # the colleague we actually wrote to, most recently, answers for the hotel
        email = _latest_sent_email(prospect__in=colleagues)
        if email:
            return ReplyMatch(email, email.prospect, MatchRule.DOMAIN)
        prospect = colleagues.order_by("id").first()
        if prospect:
            return ReplyMatch(None, prospect, MatchRule.DOMAIN)
    return ReplyMatch(None, None, MatchRule.UNMATCHED)


def _at_domain(domain: str):
    return Prospect.objects.filter(Q(website_domain=domain) | Q(email__endswith=f"@{domain}"), merged_into__isnull=True)


def domain_is_shared_by_hotels(domain: str) -> bool:
    """Whether prospects of more than one hotel use ``domain`` (a chain's hilton.com): a
    message from it says nothing about which hotel, nor speaks for all of them."""
    hotels = _at_domain(domain).order_by().values_list("company_key", "city_key").distinct()[:2]
    return len(hotels) > 1


def returned_message_ids(text: str) -> list[str]:
    """The Message-IDs of the headers a bounce notice quotes in its text (Exim's "This is
    a copy of the message, including all the headers", qmail's "Below this line is a copy")."""
    return QUOTED_MESSAGE_ID.findall(text or "")


def names_our_message(reply: Reply) -> bool:
    """Whether ``reply`` was matched through the Message-ID of an email we sent
    (In-Reply-To, References, or the returned headers of a bounce notice or feedback report)."""
    return reply.email_id is not None and reply.match_rule in MESSAGE_ID_RULES
