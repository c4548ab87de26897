"""What a message is before anyone reads its words: an automatic reply, a bounce notice, an
abuse feedback report. The one home of these rules; every other module asks here.

* ``headers_say_automatic(headers)``: RFC 3834's Auto-Submitted (anything but ``no``),
  X-Autoreply / X-Autorespond, Precedence auto_reply / bulk / junk.
* ``subject_says_automatic(subject)``: an autoresponder's prefix before our subject
  ("Automatic reply:", "Abwesenheitsnotiz:", "Réponse automatique :", "Risposta
  automatica:", "Automatisch antwoord:", "Resposta automática:", …), or "out of office"
  anywhere in the subject (never in the body: a person may write "I was out of office
  last week" in a real answer).
* ``is_automatic(headers=, subject=, text=)``: the headers or the subject say so, or the
  first 500 characters of the new text state it ("This is an automatic reply"). What
  replies.services.ingest stores as ``Reply.is_auto_reply`` and the offline reader
  (replies.classifier) reads as the automatic-reply evidence.
* ``is_automatic_answer(reply)``: nobody has answered yet — an automatic reply, or a reply
  read as out of office or bounce (``MACHINE_INTENTS``); such an answer never records
  ``last_reply_at`` nor marks our email replied.
* ``sent_by_mail_system(from_email=, from_name=, headers=)``: a bounce notice's sender
  (mailer-daemon, postmaster, "Mail Delivery System") or a delivery-status report.
* ``hard_bounce_report(reply)``: a mail system's report that the address failed for good
  (a permanent status, or no delay wording), not a "delayed, will retry" notice.
* ``feedback_report_form(...)`` / ``feedback_is_complaint(feedback_type)``: an abuse
  feedback report (ARF, RFC 5965, or Microsoft JMRP's older form) told from the MIME
  structure, and whether its Feedback-Type is a complaint.

The wording of a bounce in a person's words (the offline reader's ``bounce_wording``
evidence) is the classifier's, in replies.lexicon: it is a reading, not a recognition.
"""

from __future__ import annotations

import re

from infra.text import fold

# the headers replies.cleaning keeps from a raw message: the ones these rules read
HEADERS_READ = ("Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "Content-Type")

# --- automatic replies ---------------------------------------------------------------
# read on the folded subject (infra.text.fold: lower case, no accents)
AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|out of (?:the )?office|"
    r"abwesen|automatische antwort|reponse automatique|absence|respuesta automatica|fuera de la oficina|"
    r"risposta automatica|fuori (?:ufficio|sede)|automatisch antwoord|afwezig|"
    r"resposta automatica|ausencia|ausente\b|fora do escritorio)"
    r"|\bout of (?:the )?office\b"
)
AUTOMATIC_WORDING = re.compile(
    r"this is an? automatic(?:ally generated)? (?:reply|response|message)|"
    r"(?:diese|dies ist eine) automatische (?:antwort|nachricht)|"
    r"(?:ceci est une |message de )?r[ée]ponse automatique|respuesta autom[aá]tica|"
    r"risposta automatica|automatisch antwoord|resposta autom[aá]tica|"
    r"\bauto-?reply\b",
    re.I,
)
AUTOMATIC_WORDING_REACH = 500  # characters of the new text read for AUTOMATIC_WORDING
# intents that only a machine writes: an answer read so is nobody answering
MACHINE_INTENTS = ("out_of_office", "bounce")


def headers_say_automatic(headers: dict | None) -> bool:
    headers = {k.lower(): str(v).lower() for k, v in (headers or {}).items()}
    if headers.get("auto-submitted", "no") not in ("", "no"):
        return True
    if headers.get("x-autoreply") or headers.get("x-autorespond"):
        return True
    return headers.get("precedence", "") in ("auto_reply", "bulk", "junk")


def subject_says_automatic(subject: str) -> bool:
    return bool(AUTOMATIC_SUBJECT.search(fold(subject)))


def is_automatic(*, headers: dict | None, subject: str, text: str = "") -> bool:
    """An automatic reply, by its headers, its subject or its opening words (see the module docstring)."""
    return (
        headers_say_automatic(headers)
        or subject_says_automatic(subject)
        or bool(AUTOMATIC_WORDING.search(f"{subject}\n{(text or '')[:AUTOMATIC_WORDING_REACH]}"))
    )


def is_automatic_answer(reply) -> bool:
    """An out-of-office, a bounce notice or any auto-responder: nobody has answered yet."""
    return reply.intent in MACHINE_INTENTS or reply.is_auto_reply


# --- bounce notices ------------------------------------------------------------------
BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery (?:system|subsystem)|bounce", re.I)
# in a delivery report (folded text): a permanent failure, and a delay the server will retry
PERMANENT_FAILURE = re.compile(
    r"action:\s*failed|\b5\.\d{1,3}\.\d{1,3}\b|failed permanently|permanent(?:ly)? (?:error|failure)|"
    r"user unknown|unknown user|no such user|does not exist|address (?:not found|rejected)"
)
BLANKS = re.compile(r"[ \t\u00a0]+")  # a report's runs of blanks read as one space
DELAYED_DELIVERY = re.compile(
    r"action:\s*delayed|\bdelay(?:ed)?\b|will (?:be )?retr|retrying|temporar|\b4\.\d{1,3}\.\d{1,3}\b|"
    r"not yet been delivered"
)


def is_delivery_report(headers: dict | None) -> bool:
    """A multipart/report of delivery status (RFC 3464)."""
    content_type = next((str(v) for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    return "delivery-status" in content_type.lower()


def sent_by_mail_system(*, from_email: str, from_name: str = "", headers: dict | None = None) -> bool:
    """A bounce notice's sender (its address or display name), or a delivery-status report."""
    return is_delivery_report(headers) or bool(BOUNCE_SENDER.search(f"{from_email or ''} {from_name or ''}"))


def hard_bounce_report(reply) -> bool:
    """A mail system's report that the address failed for good (not a delay, not a person).

    ``reply``: a Reply (its from_email, from_name, subject, raw_body and body are read)."""
    if not sent_by_mail_system(from_email=reply.from_email, from_name=reply.from_name):
        return False
    text = BLANKS.sub(" ", fold(f"{reply.subject}\n{reply.raw_body or reply.body}"))
    return bool(PERMANENT_FAILURE.search(text)) or not DELAYED_DELIVERY.search(text)


# --- abuse feedback reports ---------------------------------------------------------
# A mailbox provider's report that its user marked our email as spam. RFC 5965 (ARF): a
# multipart/report whose report-type is feedback-report, or which carries a
# message/feedback-report part (some loops leave the parameter out). Microsoft's JMRP
# also still sends its older form: a multipart/mixed from staff@hotmail.com, "complaint
# about message from <ip>", with the reported message attached as message/rfc822.
FEEDBACK_REPORT_PART = "message/feedback-report"
JMRP_SENDER = "staff@hotmail.com"
JMRP_SUBJECT = re.compile(r"^\s*complaint about message from\b", re.I)
# Feedback-Type (RFC 5965 §7.3, RFC 6650): a person complained about the message …
COMPLAINT_FEEDBACK_TYPES = {"abuse", "fraud"}
# … or the report is no complaint at all: a "not spam" click, a DMARC/SPF/DKIM failure
# report (RFC 6591, sent by receivers to the domain's ruf address)
NOT_A_COMPLAINT_FEEDBACK_TYPES = {"not-spam", "auth-failure"}


def feedback_report_form(
    *, content_type: str, report_type: str, part_types: list[str], sender: str, subject: str
) -> str:
    """Which feedback-report form a message has: ``"arf"``, ``"jmrp"`` (Microsoft's older
    attachment form) or ``""`` (none). Read from the MIME structure, never from the words."""
    if content_type == "multipart/report" and (
        report_type.lower() == "feedback-report" or FEEDBACK_REPORT_PART in part_types
    ):
        return "arf"
    if (
        content_type == "multipart/mixed"
        and sender.lower() == JMRP_SENDER
        and JMRP_SUBJECT.search(subject or "")
        and "message/rfc822" in part_types
    ):
        return "jmrp"
    return ""


def feedback_is_complaint(feedback_type: str) -> bool | None:
    """True: a spam complaint; False: a report that is no complaint; None: unknown (a person reads it)."""
    feedback_type = (feedback_type or "").strip().lower()
    if feedback_type in COMPLAINT_FEEDBACK_TYPES:
        return True
    if feedback_type in NOT_A_COMPLAINT_FEEDBACK_TYPES:
        return False
    return None
