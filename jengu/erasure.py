"""GDPR erasure: remove one person's personal data from every table, keep them suppressed.

``prospect_erase`` lives here, in the top layer, because it touches every app: the
prospect (prospects), its emails and the suppression list (outreach), its replies
(replies), and any log line that mentions the person (infra, admin log, q2).

What goes, in order:

1. every address we know for the person (the prospect's, the emails' recipients, the
   replies' senders) is added to the suppression list (reason: erasure) and the entry's
   readable value is blanked: only its SHA-256 stays, which is what every send checks;
2. the prospect's personal fields (name, address, phone, title, LinkedIn, referral
   note, research summary) are blanked, ``erased_at`` is set, an open prospect is
   closed as lost and emails held by a country rule are cancelled; its research
   reports are deleted (they describe the hotel, but may quote the person); its
   consents keep their source and date, their evidence text is erased; the notes and
   tasks sales kept on it are deleted (free text about the person, whether or not it
   names them) and it has no owner any more;
3. the emails' bodies, subjects and recipient, and the replies' text, sender and the
   people they mention are blanked; the demo SMTP sink's copies and any address
   verification are deleted;
4. a sweep over every text, char and JSON column of every model replaces any remaining
   mention of the person's name or address with "[erased]" (log messages, other
   prospects' referral notes, import reports, the admin's change log, …);
5. the same replacement in the files we keep: every uploaded import file (a CSV of
   people), and the stored HTML of the hotel's own website pages (its team page may be
   where the address was found). Files are rewritten after the database is committed;
   one that cannot be read or written is counted and logged, never silently skipped.

Company data (hotel name, website, city, job adverts, website pages) is not personal
and stays. The sweep is a full scan of each table's text columns: an erasure is a rare,
deliberate act, and correctness matters more than its speed. Free text is matched
literally (case-insensitive): an address spelled out to dodge scrapers ("zoe at …") or
HTML-entity encoded is not recognised.
"""

from __future__ import annotations

import json
import logging
import re

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from infra.events import event_record
from infra.models import Event
from infra.statemachine import transition_if_allowed
from jengu.events import PROSPECT_ERASED
from outreach.models import Email, EmailStatus, SinkMessage, Suppression, suppression_hash
from outreach.services.sequences import sequence_stop
from outreach.services.suppression import suppression_add
from prospects.models import (
    OPEN_STAGES,
    Consent,
    EmailVerification,
    Note,
    Prospect,
    ProspectImport,
    ResearchReport,
    Task,
    WebsitePage,
)
from replies.models import Reply

logger = logging.getLogger(__name__)

ERASED = "[erased]"
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)  # EmailField, URLField are CharFields
SKIP_MODELS = {"contenttypes.ContentType", "auth.Permission", "sessions.Session", "outreach.Suppression"}


def _needles(prospect: Prospect, addresses: set[str]) -> list[str]:
    """What identifies the person in free text: each address, and the full name (not a lone first name)."""
    needles = set(addresses)
    name = prospect.name.strip()
    if len(name) >= 4 and " " in name:
        needles.add(name)
    for reply in Reply.objects.filter(prospect=prospect).exclude(from_name=""):
        if len(reply.from_name.strip()) >= 4 and " " in reply.from_name.strip():
            needles.add(reply.from_name.strip())
    return sorted(needles, key=len, reverse=True)


def _scrub(value, pattern: re.Pattern):
    """``value`` with every match of ``pattern`` replaced, walking into JSON lists and dicts."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, pattern): _scrub(item, pattern) for key, item in value.items()}
    return value


def _needle_pattern(needles: list[str]) -> re.Pattern:
    """Any of ``needles``, literally, whatever the case."""
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def _sweep(needles: list[str]) -> int:
    """Replace every mention of ``needles`` in every text/char/JSON column; returns rows changed."""
    pattern = _needle_pattern(needles)
    changed = 0
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.label in SKIP_MODELS or model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.db_table not in tables:  # an app's model whose migration has not run here
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS) and not f.primary_key]
        if not fields:
            continue
        match = Q()
        for field in fields:
            for needle in needles:
                match |= Q(**{f"{field.attname}__icontains": needle})
                if isinstance(field, models.JSONField):
                    # JSON text escapes non-ASCII characters on some databases (SQLite)
                    escaped = json.dumps(needle)[1:-1]
                    if escaped != needle:
                        match |= Q(**{f"{field.attname}__icontains": escaped})
        manager = model._base_manager
        for row in manager.filter(match).iterator(chunk_size=500):
            updates = {}
            for field in fields:
                old = getattr(row, field.attname)
                new = _scrub(old, pattern)
                if new != old:
                    # an address field keeps no trace of the address, not even "[erased]"
                    if isinstance(field, models.EmailField):
                        new = ""
                    updates[field.attname] = new
            if updates:
                manager.filter(pk=row.pk).update(**updates)
                changed += 1
    return changed


def _scrub_file(field_file, pattern: re.Pattern) -> bool:
    """Rewrite the stored file with every match of ``pattern`` replaced; True if it changed.

    UTF-8 if it decodes as such, else Latin-1 (which maps every byte, so the bytes we do
    not touch are written back exactly as they were).
    """
    storage, name = field_file.storage, field_file.name
    with storage.open(name, "rb") as handle:
        raw = handle.read()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    scrubbed = pattern.sub(ERASED, text)
    if scrubbed == text:
        return False
    # the new copy first (storage gives it a fresh name), then the row, then the old file:
    # a failure part-way leaves a readable file, never a row pointing at nothing
    saved = storage.save(name, ContentFile(scrubbed.encode(encoding, errors="replace")))
    instance = field_file.instance
    type(instance)._base_manager.filter(pk=instance.pk).update(**{field_file.field.attname: saved})
    storage.delete(name)
    return True


def _scrub_stored_files(needles: list[str], domains: set[str]) -> tuple[int, int]:
    """Step 5: import files and the hotel's stored pages; returns (files changed, files that failed)."""
    pattern = _needle_pattern(needles)
    files = [i.file for i in ProspectImport.objects.exclude(file="")]
    files += [p.html for p in WebsitePage.objects.filter(domain__in=domains).exclude(html="")]
    changed = failed = 0
    for field_file in files:
        try:
            if not field_file.storage.exists(field_file.name):
                continue
            changed += _scrub_file(field_file, pattern)
        except (OSError, ValueError):
            failed += 1
            logger.exception("erasure: could not scrub stored file %s", field_file.name)
    return changed, failed


def prospect_erase(*, prospect: Prospect, by, reason: str = "personal data erased (GDPR)") -> dict:
    """Erase the person behind ``prospect`` everywhere; returns counts of what was done.

    ``reason`` is the lost reason (the retention job says why it erased).
    """
    with transaction.atomic():
        prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
        addresses = {prospect.email} | set(Email.objects.filter(prospect=prospect).values_list("to_email", flat=True))
        addresses |= set(Reply.objects.filter(prospect=prospect).values_list("from_email", flat=True))
        addresses = {a.strip().lower() for a in addresses if a and "@" in a}
        needles = _needles(prospect, addresses)

        # 1. never contact them again: suppression by hash only
        for address in addresses:
            suppression_add(
                kind=Suppression.Kind.ADDRESS,
                value=address,
                reason=Suppression.Reason.ERASURE,
                source="gdpr erasure",
                by=by,
            )
        Suppression.objects.filter(value_hash__in=[suppression_hash(a) for a in addresses]).update(value="")

        # 2. stop what is under way, then the prospect's own data
        sequence_stop(prospect=prospect, reason="personal data erased", by=by)
        for held in Email.objects.filter(prospect=prospect, status=EmailStatus.HELD):  # held by a country rule
            # released and claimed a moment ago: the sender sees the lost prospect instead
            transition_if_allowed(held, "cancel", by=by, reason="personal data erased")
        if prospect.stage in OPEN_STAGES and not transition_if_allowed(prospect, "mark_lost", by=by, reason=reason):
            prospect.refresh_from_db()  # a worker moved it a moment ago; it is erased all the same
        Prospect.objects.filter(pk=prospect.pk).update(
            name="",
            email="",
            phone="",
            title="",
            linkedin_url="",
            referral_note="",
            contact_key=f"erased:{prospect.pk}" if prospect.contact_key else "",
            lost_reason=reason[:200],
            research_report={},
            erased_at=timezone.now(),
            owner=None,
        )
        ResearchReport.objects.filter(prospect=prospect).delete()
        notes_deleted = Note.objects.filter(prospect=prospect).delete()[0]
        tasks_deleted = Task.objects.filter(prospect=prospect).delete()[0]
        # that a consent was given, and when, stays; what it said about the person goes
        Consent.objects.filter(prospect=prospect).update(evidence=ERASED)
        EmailVerification.objects.filter(address__in=addresses).delete()

        # 3. what we wrote to them and what they wrote to us
        Email.objects.filter(prospect=prospect).update(
            subject="", body="", to_email="", gate_results={}, rejection_reason=""
        )
        Reply.objects.filter(prospect=prospect).update(
            from_email="",
            from_name="",
            subject="",
            body="",
            raw_body="",
            reasoning="",
            questions=[],
            delegated_to_name="",
            delegated_to_email="",
            delegated_to_title="",
            meeting_preference="",
        )
        sink_match = Q()
        for address in addresses:
            sink_match |= Q(rcpt_to__icontains=address) | Q(mail_from__icontains=address)
        sink_deleted = SinkMessage.objects.filter(sink_match).delete()[0] if addresses else 0

        # 4. any mention left anywhere else
        swept = _sweep(needles) if needles else 0
        domains = {prospect.website_domain} | {address.rpartition("@")[2] for address in addresses}
        domains.discard("")

    # 5. the files we keep (after the commit: a file cannot be rolled back with the rows)
    files_scrubbed, files_failed = _scrub_stored_files(needles, domains) if needles else (0, 0)
    result = {
        "addresses_suppressed": len(addresses),
        "rows_swept": swept,
        "sink_messages_deleted": sink_deleted,
        "files_scrubbed": files_scrubbed,
        "files_failed": files_failed,
        "notes_deleted": notes_deleted,
        "tasks_deleted": tasks_deleted,
    }
    event_record(
        PROSPECT_ERASED,
        message=f"personal data of prospect #{prospect.pk} erased"
        + (f"; {files_failed} stored file(s) could not be scrubbed, see the log" if files_failed else ""),
        data={"prospect_id": prospect.pk, **result},
        trace_id=prospect.trace_id,
        by=by,
        level=Event.Level.WARNING if files_failed else Event.Level.INFO,
    )
    return result
