"""From a raw inbound message to the reply's new text, its threading headers and its nature.

``parse_message(raw)`` reads bytes, a str or an ``email.message.EmailMessage`` and returns
an ``InboundMessage``: Message-ID, In-Reply-To, References, sender, subject, date, the
headers that tell an automatic reply, the text (HTML-only mail converted with html2text,
quoted blocks of HTML dropped first), the Message-IDs quoted inside a delivery report
(so a bounce is matched to the email that bounced) and the recipients that failed. An
abuse feedback report (ARF, RFC 5965, or Microsoft JMRP's older attachment form; told
from the MIME structure by replies.recognition) comes with its ``FeedbackReport``: the
Feedback-Type, User-Agent, Original-Mail-From, Original-Rcpt-To and Arrival-Date
fields, and the Message-ID and recipients of the message it reports.

``clean_reply_text(text)`` keeps the new text only. It cuts at the first attribution
line ("On … wrote:", "Am … schrieb …:", "Le … a écrit :", "El … escribió:", Outlook
From/Sent blocks in four languages, "-----Original Message-----" and its translations,
forwarded-message markers), then lets mail-parser-reply have a second look, then drops
mobile footers ("Sent from my iPhone", "Get Outlook for iOS", …), "-- " signatures,
confidentiality notices and a closing sign-off with the signature under it. Proven on
tests/fixtures/replies/raw/ (Gmail, Outlook desktop/web/mobile, Apple Mail, iOS,
Android, Yahoo, Thunderbird, Proton, BlackBerry; en/de/fr/es; HTML-only).
"""

from __future__ import annotations

import datetime
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import html2text
from mailparser_reply import EmailReplyParser

from replies.recognition import HEADERS_READ, feedback_report_form, is_automatic

MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@dataclass
class FeedbackReport:
    """What an abuse feedback report says (RFC 5965 §3.1/§3.2 field names)."""

    form: str  # "arf" or "jmrp" (Microsoft's older attachment form)
    feedback_type: str  # abuse, fraud, virus, other, not-spam, auth-failure; "" when missing
    user_agent: str = ""
    original_mail_from: str = ""
    original_rcpt_to: list[str] = field(default_factory=list)
    arrival_date: datetime.datetime | None = None
    reported_domain: str = ""
    source_ip: str = ""
    # the reported message (message/rfc822 or text/rfc822-headers): its Message-IDs and
    # recipients (To, or JMRP's X-HmXmrOriginalRecipient; often redacted)
    message_ids: list[str] = field(default_factory=list)
    reported_to: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The report in a few lines, for the person who reads it in the admin."""
        lines = [
            f"Feedback-Type: {self.feedback_type or '(missing)'}",
            f"User-Agent: {self.user_agent or '(missing)'}",
            f"Original-Mail-From: {self.original_mail_from or '(not given)'}",
            f"Original-Rcpt-To: {', '.join(self.original_rcpt_to) or '(not given)'}",
            f"Arrival-Date: {self.arrival_date.isoformat() if self.arrival_date else '(not given)'}",
            f"Reported message: {', '.join(self.message_ids) or '(no Message-ID)'}"
            f" to {', '.join(self.reported_to) or '(not given)'}",
        ]
        if self.source_ip:
            lines.append(f"Source-IP: {self.source_ip}")
        return "\n".join(lines)


@dataclass
class InboundMessage:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_email: str
    from_name: str
    to: list[str]
    subject: str
    date: datetime.datetime | None
    headers: dict[str, str]
    text: str
    quoted_message_ids: list[str] = field(default_factory=list)
    failed_recipients: list[str] = field(default_factory=list)
    feedback_report: FeedbackReport | None = None

    @property
    def is_auto_reply(self) -> bool:
        """An automatic reply (replies.recognition), read on the headers, subject and new text."""
        return is_automatic(headers=self.headers, subject=self.subject, text=clean_reply_text(self.text))


def _html_to_text(html: str) -> str:
    """HTML mail as plain text; quoted history in HTML (Gmail/Apple blockquotes, Outlook's
    reply header div) is removed before conversion, where its structure still shows."""
    html = re.sub(r"<div[^>]*class=\"?gmail_quote.*", "", html, flags=re.S | re.I)
    html = re.sub(r"<blockquote[^>]*type=\"?cite.*?</blockquote>", "", html, flags=re.S | re.I)
    html = re.sub(r"<div[^>]*id=\"?(?:divRplyFwdMsg|appendonsend).*", "", html, flags=re.S | re.I)
    html = re.sub(r"<hr[^>]*>.*", "", html, flags=re.S | re.I)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    text = converter.handle(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return _html_to_text(part.get_content())
    return ""


def _report_details(message: EmailMessage) -> tuple[list[str], list[str]]:
    """Message-IDs of the original inside a delivery report, and the recipients that failed."""
    ids, failed = [], []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else payload
            if isinstance(inner, EmailMessage | email.message.Message):
                if inner.get("Message-ID"):
                    ids.append(inner["Message-ID"].strip())
            else:
                ids += re.findall(r"^Message-ID:\s*(<[^>]+>)", str(inner), flags=re.M | re.I)
        elif kind == "message/delivery-status":
            for block in part.get_payload():
                recipient = block.get("Final-Recipient") or block.get("Original-Recipient") or ""
                if ";" in recipient:
                    failed.append(recipient.split(";", 1)[1].strip().lower())
    if message.get("X-Failed-Recipients"):
        failed += [a.strip().lower() for a in message["X-Failed-Recipients"].split(",")]
    return ids, failed


def _addresses(values) -> list[str]:
    found = getaddresses([str(v) for v in values if v])
    return list(dict.fromkeys(a.strip().lower() for _n, a in found if a and "@" in a))


def _date(value) -> datetime.datetime | None:
    try:
        date = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=datetime.UTC)
    return date


def _reported_headers(part) -> email.message.Message | None:
    """The headers of the reported message: a message/rfc822 part's message, or a
    text/rfc822-headers part's text read as headers."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        return inner if isinstance(inner, email.message.Message) else None
    text = part.get_payload(decode=True) or b""
    return email.message_from_bytes(text, policy=email.policy.default)


def _feedback_report(message: EmailMessage, sender: str) -> FeedbackReport | None:
    parts = list(message.walk())
    form = feedback_report_form(
        content_type=message.get_content_type(),
        report_type=str(message.get_param("report-type", "") or ""),
        part_types=[part.get_content_type() for part in parts],
        sender=sender,
        subject=str(message.get("Subject", "")),
    )
    if not form:
        return None
    # JMRP's older form has no fields: a report from that loop is a complaint
    report = FeedbackReport(form=form, feedback_type="abuse" if form == "jmrp" else "")
    fields_read = False
    for part in message.iter_parts():  # the report's own parts, not those of the message it returns
        kind = part.get_content_type()
        if kind == "message/feedback-report" and not fields_read:
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) and payload else None
            if not isinstance(fields, email.message.Message):
                continue
            fields_read = True
            report.feedback_type = str(fields.get("Feedback-Type", "")).strip().lower()[:40]
            report.user_agent = str(fields.get("User-Agent", "")).strip()[:120]
            report.original_mail_from = (_addresses([fields.get("Original-Mail-From")]) or [""])[0]
            report.original_rcpt_to = _addresses(fields.get_all("Original-Rcpt-To", []))
            # Yahoo's loop writes Received-Date where RFC 5965 says Arrival-Date
            report.arrival_date = _date(fields.get("Arrival-Date") or fields.get("Received-Date"))
            report.reported_domain = str(fields.get("Reported-Domain", "")).strip().lower()[:254]
            report.source_ip = str(fields.get("Source-IP", "")).strip()[:64]
        elif kind in ("message/rfc822", "text/rfc822-headers") and not report.message_ids:
            headers = _reported_headers(part)
            if headers is None:
                continue
            report.message_ids = MESSAGE_ID.findall(str(headers.get("Message-ID", "")))[:1]
            report.reported_to = _addresses(
                [*headers.get_all("X-HmXmrOriginalRecipient", []), *headers.get_all("To", [])]
            )
            if form == "jmrp" and not report.original_rcpt_to:
                report.original_rcpt_to = _addresses(headers.get_all("X-HmXmrOriginalRecipient", []))
    return report


def parse_message(raw: bytes | str | EmailMessage) -> InboundMessage:
    if isinstance(raw, EmailMessage):
        message = raw
    elif isinstance(raw, bytes):
        message = email.message_from_bytes(raw, policy=email.policy.default)
    else:
        message = email.message_from_string(raw, policy=email.policy.default)
    name, address = parseaddr(str(message.get("From", "")))
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message.get("Date") else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=datetime.UTC)
    references = MESSAGE_ID.findall(str(message.get("References", "")))
    in_reply_to = MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    quoted_ids, failed = _report_details(message)
    try:
        text = _body_text(message)
    except (KeyError, LookupError, UnicodeError):
        text = ""  # an unknown charset: the headers still match and classify it
    try:
        feedback_report = _feedback_report(message, address.strip().lower())
    except (KeyError, LookupError, UnicodeError, ValueError, TypeError):
        feedback_report = None  # a broken report part: read as any other message, for a person
    return InboundMessage(
        message_id=(MESSAGE_ID.findall(str(message.get("Message-ID", ""))) or [""])[0][:250],
        in_reply_to=(in_reply_to[0] if in_reply_to else "")[:250],
        references=references,
        from_email=address.strip().lower(),
        from_name=name.strip()[:200],
        to=[a.lower() for _n, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a],
        subject=str(message.get("Subject", "")).strip()[:300],
        date=date,
        headers={h: str(message[h]) for h in HEADERS_READ if message.get(h)},
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        quoted_message_ids=quoted_ids,
        failed_recipients=failed,
        feedback_report=feedback_report,
    )


# --- quote and signature stripping ---------------------------------------------------
# An attribution may wrap over two lines (Gmail wraps long "On … <\naddress> wrote:").
ATTRIBUTION = re.compile(
    r"^[> ]*(?:"
    r"On\b.{0,200}?\bwrote:"  # en: Gmail, Apple, Thunderbird, Yahoo, Proton
    r"|Am\b.{0,200}?\bschrieb\b.{0,200}?:"  # de
    r"|Le\b.{0,200}?\ba [ée]crit ?:"  # fr
    r"|El\b.{0,200}?\bescribi[óo]:"  # es
    r"|Op\b.{0,200}?\bschreef\b.{0,200}?:"  # nl
    r"|Il giorno\b.{0,200}?\bha scritto:"  # it
    r"|Em\b.{0,200}?\bescreveu:"  # pt
    r")\s*$",
    re.I | re.M | re.S,
)
SEPARATOR = re.compile(
    r"^[> ]*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Messaggio originale|"
    r"Oorspronkelijk bericht|Doorgestuurd bericht|Mensagem original|Mensagem encaminhada|Messaggio inoltrato)\s*-{2,}"
    r"|_{20,}|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réexpédié :"
    r"|\s*Original Message\s*)\s*$",
    re.I | re.M,
)
HEADER_WORDS = (
    r"(?:From|Sent|To|Subject|Date|Cc|Von|Gesendet|An|Betreff|Datum|De|Envoyé|À|A|Objet|Enviado|Para|Asunto|Fecha"
    r"|Da|Inviato|Oggetto|Data|Van|Verzonden|Aan|Onderwerp|Enviada|Assunto)"
)
HEADER_BLOCK = re.compile(rf"^[> ]*\*?{HEADER_WORDS}\s?:\*?\s.*\n[> ]*\*?{HEADER_WORDS}\s?:\*?\s", re.I | re.M)
FOOTERS = re.compile(
    r"^\s*(?:Sent from my \w.*|Sent from (?:Yahoo Mail|Mail for Windows|Outlook).*|Get Outlook for \w.*|"
    r"Sent with Proton Mail.*|Sent from Proton Mail.*|Sent via .{0,40}|Von meinem \w+ gesendet.*|"
    r"Gesendet von (?:meinem|Outlook|iPhone).*|Envoyé de mon \w.*|Envoyé depuis .*|Enviado desde mi \w.*|"
    r"Enviado desde .*|Obtener Outlook para .*|Télécharger Outlook pour .*|Outlook für \w+ herunterladen.*|"
    r"Inviato da(?:l mio)? \w.*|Verzonden (?:vanaf|met) (?:mijn )?\w.*|Enviado do meu \w.*|Enviado a partir do .*)\s*$",
    re.I | re.M,
)
DISCLAIMER = re.compile(
    r"^\s*(?:CONFIDENTIALITY(?: NOTICE)?|DISCLAIMER|This (?:e-?mail|message) (?:and any attachments )?(?:is|are|may)"
    r" (?:confidential|intended)|Diese E-Mail (?:enthält|ist) vertraulich|Ce message (?:et ses pièces jointes )?"
    r"(?:est|sont) confidentiel|Este (?:mensaje|correo) (?:es|y sus anexos son) confidencial)",
    re.I | re.M,
)
SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|many|with)?\s*(?:regards|wishes|thanks)|best|cheers|thanks(?: again| so much)?|"
    r"thank you|many thanks|all the best|sincerely|yours(?: sincerely| truly)?|talk soon|"
    r"mit freundlichen gr(?:ü|ue)(?:ß|ss)en|(?:viele|beste|liebe|herzliche) gr(?:ü|ue)(?:ß|ss)e|gr(?:ü|ue)(?:ß|ss)e|lg|"
    r"cordialement|bien (?:à|a) vous|bien cordialement|bonne journée|merci(?: beaucoup)?|amicalement|"
    r"(?:un )?saludo(?:s)?(?: cordiales)?|atentamente|gracias|un abrazo|"
    r"cordiali saluti|distinti saluti|saluti|un saluto|grazie(?: mille)?|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groet(?:en|jes)?|mvg|"
    r"atenciosamente|cumprimentos|melhores cumprimentos|obrigad[oa]|abraços?)\s*[,.!]?\s*$",
    re.I | re.M,
)
MAX_SIGNATURE_LINES = 8

_library = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


def _cut_at(text: str, match) -> str:
    return text[: match.start()] if match else text


def clean_reply_text(text: str) -> str:
    """The reply's new text only (see the module docstring)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    cuts = [m.start() for m in (ATTRIBUTION.search(text), SEPARATOR.search(text), HEADER_BLOCK.search(text)) if m]
    quote_line = re.search(r"^>", text, re.M)
    if quote_line:
        cuts.append(quote_line.start())
    if cuts:
        text = text[: min(cuts)]
    # a second opinion from the maintained parser, unless it would leave nothing
    second = (_library.parse_reply(text) or "").strip()
    if second and len(second) >= 0.5 * len(text.strip()):
        text = second
    text = _cut_at(text, FOOTERS.search(text))
    text = _cut_at(text, DISCLAIMER.search(text))
    text = re.sub(r"(?ms)^-- ?\n.*", "", text)
    text = _strip_sign_off(text)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _strip_sign_off(text: str) -> str:
    """Drop a closing "Best regards," and the signature under it (a few short lines)."""
    for match in reversed(list(SIGN_OFF.finditer(text))):
        rest = text[match.end() :].strip()
        body = text[: match.start()].strip()
        if body and rest.count("\n") < MAX_SIGNATURE_LINES:
            return body
    # no sign-off: a bare first name on the last line ("Sarah")
    lines = text.strip().split("\n")
    if len(lines) > 2 and re.fullmatch(r"\s*[A-ZÀ-Þ][\wÀ-ÿ.-]{1,20}\s*", lines[-1]) and not lines[-2].strip():
        return "\n".join(lines[:-1])
    return text
