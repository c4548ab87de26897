"""The IMAP poller: every configured inbox, every minute, only mail it has not read yet.

``imap_poll(...)`` reads every inbox that has an IMAP host, concurrently: a thread pool
(``IMAP_POLL_THREADS``, default 48) does the network part — login, ``SELECT`` read-only,
``UID SEARCH`` above the cursor, ``UID FETCH BODY.PEEK[]`` (never sets \\Seen, never
relies on it) — with a socket timeout per inbox, while the calling thread stores what
came back (``reply_ingest``) and moves each inbox's ``InboxCursor``. One database writer
keeps SQLite happy and PostgreSQL connections few; 500 inboxes on a local server poll in
about a second (bench/replies.py).

Cursor rules (RFC 3501 §2.3.1.1): UIDs are only comparable under the same UIDVALIDITY.

* first poll of an inbox: no history crawl; read mail of the last ``FIRST_POLL_DAYS`` days;
* same UIDVALIDITY: ``UID SEARCH UID <last+1>:*`` (a server answers ``n:*`` with the last
  message even when its UID is lower, so the result is filtered);
* UIDVALIDITY changed (mailbox rebuilt or restored): the cursor is reset and mail since
  the last poll minus ``RESET_OVERLAP_DAYS`` is read again; Message-ID dedup drops what
  we already have.

Every connection is TLS (implicit on 993, or STARTTLS that must succeed) unless its host
is on ``MAIL_PLAINTEXT_HOSTS`` (infra.mail_tls): a server without it gets no LOGIN.

An inbox that fails (refused login, no TLS, timeout, server gone) records its error on the
cursor and is tried again next minute; the others are unaffected. At most
``MAX_MESSAGES_PER_POLL`` messages per inbox per poll; the rest follow a minute later.
Inboxes of every sending state are read: a paused inbox still receives answers.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import ssl
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from infra.errors import ProviderError
from infra.events import event_record
from infra.mail_tls import plaintext_allowed, refusal
from outreach.models import Inbox
from replies import events
from replies.models import InboxCursor, Reply

logger = logging.getLogger(__name__)

FIRST_POLL_DAYS = 14
RESET_OVERLAP_DAYS = 2
MAX_MESSAGES_PER_POLL = 200
FETCH_BATCH = 50


@dataclass
class Mailbox:
    """What a worker thread needs (plain values: no ORM object crosses threads)."""

    inbox_id: int
    host: str
    port: int
    username: str
    password: str = field(repr=False)  # never in a log line or a traceback's locals
    folder: str
    uidvalidity: int | None
    last_uid: int
    since: datetime.date | None


@dataclass
class Fetched:
    inbox_id: int
    uidvalidity: int | None = None
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    reset: bool = False
    error: str = ""
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # UIDs the server would not hand over
    # after a first or reset poll: the highest UID the mailbox has, so older mail outside
    # the SINCE window is not read on the next poll
    high_water: int = 0


@dataclass
class PollSummary:
    inboxes: int = 0
    messages: int = 0
    new_replies: int = 0
    duplicates: int = 0
    errors: int = 0
    resets: int = 0


class PlaintextRefused(IMAPClientError, ProviderError):
    """The server offers no STARTTLS and its host is not on MAIL_PLAINTEXT_HOSTS: no LOGIN is sent.

    An IMAP error (the poll records it on the inbox's cursor like any other) and a
    ProviderError (infra.errors: the mail server, an external service, refused)."""


def _connect(box: Mailbox, timeout: float) -> IMAPClient:
    """Log in over TLS (infra.mail_tls): implicit on 993, STARTTLS that must succeed otherwise.

    An allow-listed local host (the test Dovecot) is spoken to in the clear.
    """
    use_ssl = box.port == 993
    client = IMAPClient(box.host, port=box.port, ssl=use_ssl, timeout=timeout)
    try:
        if not use_ssl and not plaintext_allowed(box.host):
            if b"STARTTLS" not in client.capabilities():
                raise PlaintextRefused(refusal("IMAP", box.host, box.port))
            client.starttls(ssl.create_default_context())  # verifies the certificate; raises if it fails
        client.login(box.username, box.password)
    except BaseException:
        with contextlib.suppress(OSError, IMAPClientError):
            client.shutdown()  # close the socket without another word to the server
        raise
    return client


def imap_fetch_new(box: Mailbox, *, timeout: float = 20.0) -> Fetched:
    """The network half of one inbox's poll (runs in a worker thread; touches no database)."""
    result = Fetched(inbox_id=box.inbox_id)
    try:
        client = _connect(box, timeout)
        try:
            status = client.select_folder(box.folder, readonly=True)
            uidvalidity = int(status[b"UIDVALIDITY"])
            result.uidvalidity = uidvalidity
            if box.uidvalidity is not None and box.uidvalidity != uidvalidity:
                result.reset = True
            if box.uidvalidity is None or result.reset:
                since = box.since or (timezone.localdate() - datetime.timedelta(days=FIRST_POLL_DAYS))
                uids = sorted(client.search(["SINCE", since]))
                if len(uids) <= MAX_MESSAGES_PER_POLL and status.get(b"UIDNEXT"):
                    result.high_water = int(status[b"UIDNEXT"]) - 1
            else:
                uids = sorted(uid for uid in client.search(["UID", f"{box.last_uid + 1}:*"]) if uid > box.last_uid)
            uids = uids[:MAX_MESSAGES_PER_POLL]
            for start in range(0, len(uids), FETCH_BATCH):
                batch = uids[start : start + FETCH_BATCH]
                for uid, data in sorted(_fetch_batch(client, batch, result).items()):
                    raw = data.get(b"BODY[]")
                    if raw is not None:
                        result.messages.append((uid, raw))
        finally:
            # the poll's result stands; a failed logout only leaves a server-side session to time out
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()
    except (TimeoutError, IMAPClientError, OSError, ssl.SSLError, KeyError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
    return result


def _fetch_batch(client: IMAPClient, batch: list[int], result: Fetched) -> dict:
    """One FETCH for the batch; if the server refuses it (NO for a corrupt message), one UID at
    a time, so a single unreadable message is noted and passed instead of holding back the rest."""
    try:
        return client.fetch(batch, ["BODY.PEEK[]"])
    except IMAPClientError:
        fetched = {}
        for uid in batch:
            try:
                fetched.update(client.fetch([uid], ["BODY.PEEK[]"]))
            except IMAPClientError as exc:
                result.unreadable.append((uid, f"{type(exc).__name__}: {exc}"[:300]))
        return fetched


def _mailbox(inbox: Inbox, cursor: InboxCursor | None) -> Mailbox:
    since = None
    if cursor and cursor.last_polled_at:
        since = timezone.localdate(cursor.last_polled_at) - datetime.timedelta(days=RESET_OVERLAP_DAYS)
    return Mailbox(
        inbox_id=inbox.pk,
        host=inbox.imap_host,
        port=inbox.imap_port,
        username=inbox.smtp_username or inbox.email,
        password=inbox.imap_password or inbox.smtp_password,
        folder=cursor.folder if cursor else "INBOX",
        uidvalidity=cursor.uidvalidity if cursor else None,
        last_uid=cursor.last_uid if cursor else 0,
        since=since,
    )


def imap_poll(*, inboxes=None, threads: int | None = None, timeout: float = 20.0) -> PollSummary:
    """Poll every inbox with an IMAP host (or ``inboxes``); returns what was found."""
    from replies.services.ingest import reply_ingest

    inboxes = list(inboxes if inboxes is not None else Inbox.objects.exclude(imap_host=""))
    cursors = {c.inbox_id: c for c in InboxCursor.objects.filter(inbox__in=inboxes)}
    by_id = {inbox.pk: inbox for inbox in inboxes}
    boxes = [_mailbox(inbox, cursors.get(inbox.pk)) for inbox in inboxes]
    summary = PollSummary(inboxes=len(boxes))
    if not boxes:
        return summary
    threads = threads or getattr(settings, "IMAP_POLL_THREADS", 48)
    quiet: list[InboxCursor] = []  # inboxes with nothing new: their cursors are written in one go
    with ThreadPoolExecutor(max_workers=min(threads, len(boxes)), thread_name_prefix="imap") as pool:
        futures = [pool.submit(imap_fetch_new, box, timeout=timeout) for box in boxes]
        # stored here, in the calling thread, as each inbox finishes
        for future in as_completed(futures):
            fetched = future.result()
            inbox, cursor = by_id[fetched.inbox_id], cursors.get(fetched.inbox_id)
            if cursor is not None and not (fetched.error or fetched.reset or fetched.messages):
                cursor.last_polled_at, cursor.last_error = timezone.now(), ""
                cursor.last_uid = max(cursor.last_uid, fetched.high_water)
                quiet.append(cursor)
            else:
                try:
                    _store(fetched, inbox, cursor, summary, reply_ingest)
                except Exception as exc:  # noqa: BLE001 (one inbox's failure must not stop the others' storing)
                    summary.errors += 1
                    logger.exception("storing the IMAP poll of %s failed", inbox.email)
                    event_record(events.REPLY_POLL_FAILED, level="error", data={"inbox_id": inbox.pk},
                                 message=f"{inbox.email}: {type(exc).__name__} while storing its new mail")  # fmt: skip
    InboxCursor.objects.bulk_update(quiet, ["last_polled_at", "last_error", "last_uid"], batch_size=500)
    if summary.errors or summary.new_replies:
        event_record(
            events.REPLY_POLL,
            level="warning" if summary.errors else "info",
            message=f"{summary.inboxes} inboxes: {summary.new_replies} new replies, {summary.errors} errors",
            data=summary.__dict__,
        )
    return summary


def _store(fetched: Fetched, inbox: Inbox, cursor: InboxCursor | None, summary: PollSummary, ingest) -> None:
    now = timezone.now()
    cursor = cursor or InboxCursor(inbox=inbox)
    if fetched.error:
        summary.errors += 1
        logger.warning("IMAP poll of %s failed: %s", inbox.email, fetched.error)
        if not (fetched.messages or fetched.unreadable) or fetched.uidvalidity is None:
            cursor.last_error = fetched.error
            cursor.last_polled_at = now
            cursor.save()
            return
        # the batches fetched before the failure are stored; the next poll goes on from there
    if fetched.reset:
        summary.resets += 1
        event_record(
            events.REPLY_IMAP_RESET,
            level="warning",
            message=f"{inbox.email}: UIDVALIDITY {cursor.uidvalidity} → {fetched.uidvalidity}; cursor reset",
            data={"inbox_id": inbox.pk},
        )
        cursor.last_uid = 0
    last_uid = cursor.last_uid
    for uid, problem in fetched.unreadable:
        message = f"{inbox.email} UID {uid}: the server would not hand it over ({problem})"[:500]
        data = {"inbox_id": inbox.pk, "uid": uid}
        event_record(events.REPLY_INGEST_FAILED, level="error", message=message, data=data)
        last_uid = max(last_uid, uid)
    for uid, raw in fetched.messages:
        summary.messages += 1
        try:
            with transaction.atomic():  # a database error rolls back this message only
                result = ingest(raw, source=Reply.Source.IMAP, inbox=inbox)
        except Exception as exc:  # noqa: BLE001 (a parser or database surprise on one message)
            # one unreadable message must not hold the cursor (and every later message) back
            logger.warning("IMAP message %s of %s not stored: %s", uid, inbox.email, type(exc).__name__)
            event_record(
                events.REPLY_INGEST_FAILED,
                level="error",
                message=f"{inbox.email} UID {uid}: {type(exc).__name__}: {exc}"[:500],
                data={"inbox_id": inbox.pk, "uid": uid},
            )
        else:
            if result.created:
                summary.new_replies += 1
            else:
                summary.duplicates += 1
        last_uid = max(last_uid, uid)
    cursor.uidvalidity = fetched.uidvalidity
    cursor.last_uid = last_uid if fetched.error else max(last_uid, fetched.high_water)
    cursor.last_polled_at = now
    cursor.last_error = fetched.error
    cursor.save()
