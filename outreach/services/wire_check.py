"""What our mail looks like on the wire, checked rule by rule (the wire report, ``manage.py wire_report``).

``wire_rules(raw)`` reads the bytes a receiving server gets — never a parsed and decoded
view, which would hide an RFC 2047-encoded ``List-Unsubscribe`` — and says PASS or FAIL
for each rule Gmail, Yahoo and Outlook.com enforce on bulk mail:

- ``List-Unsubscribe`` is ``<https://…>`` (optionally ``, <mailto:…>``), ASCII, not
  encoded, folded only after a comma, and points at this instance's ``PUBLIC_BASE_URL``;
- ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058);
- one Message-ID ``<…@…>`` and a valid Date;
- the body carries the same link once, unbroken on the wire, and no other unsubscribe link;
- no header line is longer than RFC 5322's 998 characters.

``esp_payload_rules`` does the same for the JSON body an ESP's API receives.
``wire_report()`` sends one email of each kind (first, follow-up, reply) through the real
SMTP provider to a local sink, builds the Resend and SendGrid request bodies, checks that
a one-click POST unsubscribes, and rolls every database change back.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import re
import socket
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from anymail.exceptions import AnymailNotSupportedWarning
from django.conf import settings
from django.db import transaction

ONE_CLICK = "List-Unsubscribe=One-Click"
LIST_UNSUBSCRIBE = re.compile(r"<(https?://[\x21-\x3b\x3d\x3f-\x7e]+)>(?:, ?<mailto:[\x21-\x3b\x3d\x3f-\x7e]+>)?")
MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


@dataclass
class RuleResult:
    rule: str
    passed: bool
    detail: str = ""


@dataclass
class MessageReport:
    kind: str
    path: str  # smtp, resend, sendgrid
    shown: dict[str, str] = field(default_factory=dict)  # raw header values and the MIME structure
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rules)


def _raw_headers(raw: bytes) -> list[tuple[str, str]]:
    """(name, raw value with its folding kept) for each header of ``raw``, in order."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    headers: list[tuple[str, str]] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\r\n{line}")
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
    return headers


def _one(headers, name: str) -> list[str]:
    return [value for header, value in headers if header.lower() == name.lower()]


def _list_unsubscribe_rules(value: str | None, *, count: int = 1) -> tuple[list[RuleResult], str]:
    """The rules on a List-Unsubscribe value as it was written (folding kept); returns (rules, https URL)."""
    if value is None or count != 1:
        return [RuleResult("list_unsubscribe", False, f"{count} List-Unsubscribe headers")], ""
    rules = [RuleResult("list_unsubscribe_ascii", value.isascii() and "=?" not in value, "no RFC 2047 encoding")]
    folds = value.split("\r\n")
    folded_at_comma = all(part.rstrip().endswith(",") for part in folds[:-1])
    rules.append(RuleResult("list_unsubscribe_folding", folded_at_comma, f"{len(folds)} line(s), folded at a comma"))
    unfolded = " ".join(part.strip() for part in folds)
    match = LIST_UNSUBSCRIBE.fullmatch(unfolded)
    rules.append(RuleResult("list_unsubscribe_form", bool(match), "<http(s)://…>[, <mailto:…>]"))
    url = match[1] if match else ""
    ours = urlsplit(settings.PUBLIC_BASE_URL)
    points_here = bool(url) and urlsplit(url).netloc == ours.netloc
    rules.append(RuleResult("list_unsubscribe_public_url", points_here, f"host {ours.netloc}"))
    rules.append(_https_rule(url))
    return rules, url


def _https_rule(url: str) -> RuleResult:
    """Gmail and Yahoo honour one-click only over https; the offline demo serves http on loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return RuleResult("list_unsubscribe_https", True, "https")
    demo = settings.DEBUG and parts.hostname in ("127.0.0.1", "localhost", "::1")
    detail = "http on loopback: the offline demo (production requires https)" if demo else "not https"
    return RuleResult("list_unsubscribe_https", demo, detail)


def wire_rules(raw: bytes) -> tuple[list[RuleResult], dict[str, str], str]:
    """Every rule on one message as received; returns (rules, what to show, the unsubscribe URL)."""
    headers = _raw_headers(raw)
    listed = _one(headers, "List-Unsubscribe")
    rules, url = _list_unsubscribe_rules(listed[0] if listed else None, count=len(listed))
    post = _one(headers, "List-Unsubscribe-Post")
    rules.append(RuleResult("list_unsubscribe_post", post == [ONE_CLICK], ONE_CLICK))
    ids = _one(headers, "Message-ID")
    rules.append(RuleResult("message_id", len(ids) == 1 and bool(MESSAGE_ID.fullmatch(ids[0])), "one <…@…>"))
    dates = _one(headers, "Date")
    try:
        dated = len(dates) == 1 and email.utils.parsedate_to_datetime(dates[0]) is not None
    except (TypeError, ValueError):
        dated = False
    rules.append(RuleResult("date", dated, "one RFC 5322 date"))
    longest = max((len(line) for line in raw.split(b"\r\n")), default=0)
    rules.append(RuleResult("line_length", longest <= 998, f"longest line {longest}"))

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    structure = ", ".join(
        f"{part.get_content_type()} ({part.get('Content-Transfer-Encoding', '7bit')})" for part in parsed.walk()
    )
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
    on_wire = body.count(url.encode()) if url else 0
    rules.append(RuleResult("footer_link", on_wire == 1, f"the link {on_wire} time(s) in the body, unbroken"))
    text = parsed.get_body(("plain",))
    links = len(re.findall(r"https?://\S+/u/\S+", text.get_content() if text else ""))
    rules.append(RuleResult("one_footer", links == 1, f"{links} unsubscribe link(s) in the text"))
    shown = {
        "List-Unsubscribe": listed[0] if listed else "(missing)",
        "List-Unsubscribe-Post": post[0] if post else "(missing)",
        "Message-ID": ids[0] if ids else "(missing)",
        "Date": dates[0] if dates else "(missing)",
        "MIME": structure,
    }
    return rules, shown, url


def esp_payload_rules(body: bytes) -> tuple[list[RuleResult], dict[str, str], str]:
    """The rules on the JSON an ESP's send API receives (Resend and SendGrid carry a ``headers`` object)."""
    headers = json.loads(body).get("headers") or {}
    rules, url = _list_unsubscribe_rules(headers.get("List-Unsubscribe"))
    rules.append(RuleResult("list_unsubscribe_post", headers.get("List-Unsubscribe-Post") == ONE_CLICK, ONE_CLICK))
    shown = {name: str(headers.get(name, "(missing)")) for name in ("List-Unsubscribe", "List-Unsubscribe-Post")}
    return rules, shown, url


def _one_click_works(url: str, address: str) -> RuleResult:
    """POST ``List-Unsubscribe=One-Click`` to the URL, as Gmail does; the address must end up suppressed."""
    from django.test import Client

    from outreach.services.suppression import suppression_blocks

    parts = urlsplit(url)
    response = Client(enforce_csrf_checks=True).post(
        parts.path,
        data=ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
        secure=parts.scheme == "https",
        HTTP_HOST=parts.netloc,  # as the mail client sends it, so ALLOWED_HOSTS applies as in production
    )
    path = parts.path
    works = response.status_code == 200 and suppression_blocks(address) is not None
    return RuleResult("one_click_unsubscribes", works, f"POST {path} → {response.status_code}")


class _Rollback(Exception):
    pass


def _sample_emails():
    """One unsaved email of each kind, as the sender gets them: first, follow-up, our answer to a reply."""
    from outreach.compliance import privacy_notice_url
    from outreach.models import Campaign, Email, Inbox
    from prospects.models import DataSourceKind, Prospect

    campaign = Campaign(
        name="Wire report", sender_name="Maya", postal_address="Jengu, 1 Example Street, 00000 Example City",
        privacy_line_enabled=True, privacy_notice_url=privacy_notice_url(None),  # unsaved: the generic notice
    )  # fmt: skip
    inbox = Inbox(email="wire-report@jengu.invalid", display_name="Wire Report")
    to, subject = "gm@wire-report.invalid", "A question about check-in"
    prospect = Prospect(
        email=to, company_name="Wire Report Hotel", country="FR", data_source_kind=DataSourceKind.JOB_POSTING,
        data_source_detail="https://www.linkedin.com/jobs/view/4000000001/",
    )  # fmt: skip

    def sample(body: str, **kwargs) -> Email:
        return Email(
            campaign=campaign, prospect=prospect, to_email=to, body=body, idempotency_key=uuid.uuid4(), **kwargs
        )

    first = sample("Hi Anna,\n\nA short note.\n\nBest,\nMaya", subject=subject, sequence_step=1)
    follow_up = sample(
        "Hi Anna,\n\nBringing this back up.\n\nMaya", subject=f"Re: {subject}", sequence_step=2,
        type=Email.Type.FOLLOW_UP, in_reply_to="<first@jengu.invalid>",
    )  # fmt: skip
    reply = sample(
        "Hi Anna,\n\nThanks, here are the details.\n\nMaya", subject=f"Re: {subject}", sequence_step=1,
        type=Email.Type.REPLY, in_reply_to="<their-reply@wire-report.invalid>",
    )  # fmt: skip
    return inbox, [("first", first), ("follow-up", follow_up), ("reply", reply)]


def _esp_body(backend_class, message) -> bytes:
    """The exact JSON body anymail would POST for ``message`` (built, never sent)."""
    with warnings.catch_warnings():  # anymail's "SendGrid support dropped" notice, once per backend
        warnings.simplefilter("ignore", AnymailNotSupportedWarning)
        backend = backend_class(alias="jengu-wire-report", api_key="wire-report-not-a-key")
    django_message = message.as_django_message()
    payload = backend.build_message_payload(django_message, backend.send_defaults)
    data = payload.serialize_data()
    return data.encode() if isinstance(data, str) else data


def wire_report() -> list[MessageReport]:
    """Send each kind through the SMTP provider to a local sink and build each ESP body; nothing is kept."""
    from anymail.backends.resend import EmailBackend as ResendBackend
    from anymail.backends.sendgrid import EmailBackend as SendGridBackend

    from outreach.providers.smtp import SmtpProvider
    from outreach.services.delivery import message_build

    reports: list[MessageReport] = []
    with _LocalSink() as sink:
        try:
            with transaction.atomic():
                inbox, samples = _sample_emails()
                for kind, sample in samples:
                    message = message_build(sample, inbox)
                    SmtpProvider(host="127.0.0.1", port=sink.port, username="", password="").send(message)
                    rules, shown, url = wire_rules(sink.take())
                    if url:
                        rules.append(_one_click_works(url, sample.to_email))
                    reports.append(MessageReport(kind, "smtp", shown, rules))
                    for path, backend in (("resend", ResendBackend), ("sendgrid", SendGridBackend)):
                        rules, shown, _ = esp_payload_rules(_esp_body(backend, message))
                        reports.append(MessageReport(kind, path, shown, rules))
                raise _Rollback
        except _Rollback:
            pass
    return reports


class _LocalSink:
    """An aiosmtpd server on 127.0.0.1 that keeps the raw bytes it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[bytes] = []
        self.lock = threading.Lock()

        class Handler:
            async def handle_DATA(inner, server, session, envelope):  # noqa: N805
                with self.lock:
                    self.received.append(envelope.original_content)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def take(self) -> bytes:
        with self.lock:
            return self.received.pop(0)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
