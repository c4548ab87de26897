"""Storage limitation (GDPR Art. 5(1)(e)): personal data of idle prospects is anonymised.

``retention_run`` (the daily job, ``manage.py retention_run``) finds the prospects with
no activity for ``PERSONAL_DATA_RETENTION_MONTHS`` (a live setting, 24 by default; 0
turns the job off) and anonymises each one with the erasure service
(``jengu.erasure.prospect_erase``): its personal fields are blanked everywhere, an open
prospect is closed as lost ("no activity for 24 months: personal data anonymised"),
and every address we knew for the person stays only as a SHA-256 on the suppression
list, so we never write to it again and cannot read it back.

Activity is the latest of: the prospect's creation, any edit (``updated_at``), its last
stage change, the last email we sent it, its last reply, the last consent recorded for
it. A prospect with no personal data left (only the hotel: name, website, city) is not
touched; nor is a won prospect (a customer: the contract is its basis, erase by hand
when it ends), nor one already erased.

Erasure sweeps every text column of every table for the person's name and addresses,
so it is slow by design; a run anonymises at most ``limit`` prospects (200), oldest id
first, and reports how many remain for the next days. Each run records a
``retention.run`` event with its counts (a dry run records nothing and changes nothing).
"""

from __future__ import annotations

import datetime
import logging
from calendar import monthrange
from dataclasses import dataclass, field

from constance import config
from django.db import DatabaseError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import event_record
from jengu.erasure import prospect_erase
from jengu.events import RETENTION_RUN
from prospects.models import Consent, Prospect, ProspectStage

logger = logging.getLogger(__name__)

ACTOR = "task:retention"
BATCH = 200


@dataclass
class RetentionReport:
    months: int
    cutoff: datetime.datetime | None
    due: int = 0  # idle prospects with personal data, before this run
    anonymised: int = 0
    failed: int = 0
    dry_run: bool = False
    prospect_ids: list[int] = field(default_factory=list)  # anonymised (or, in a dry run, would be)

    @property
    def remaining(self) -> int:
        """Still due after this run (in a dry run: after a real run of the same size)."""
        return max(self.due - len(self.prospect_ids), 0)

    def __str__(self) -> str:
        if not self.months:
            return "retention is off (PERSONAL_DATA_RETENTION_MONTHS is 0)"
        since = f"no activity since {self.cutoff:%Y-%m-%d} ({self.months} months)"
        if self.dry_run:
            return f"{since}: {self.due} prospect(s) due, {len(self.prospect_ids)} would be anonymised in this run"
        failed = f", {self.failed} failed (see the log)" if self.failed else ""
        return f"{since}: {self.anonymised} prospect(s) anonymised{failed}, {self.remaining} left for the next runs"


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def prospects_idle_since(cutoff: datetime.datetime):
    """Prospects holding personal data with no activity since ``cutoff`` (see the module docstring)."""
    personal = ~Q(name="") | ~Q(email="") | ~Q(phone="") | ~Q(title="") | ~Q(linkedin_url="") | ~Q(referral_note="")
    recent_consent = Consent.objects.filter(prospect=OuterRef("pk"), recorded_at__gte=cutoff)
    return (
        Prospect.objects.filter(personal, erased_at__isnull=True)
        .exclude(stage=ProspectStage.WON)
        .filter(created_at__lt=cutoff, updated_at__lt=cutoff, stage_changed_at__lt=cutoff)
        .filter(Q(last_email_sent_at__isnull=True) | Q(last_email_sent_at__lt=cutoff))
        .filter(Q(last_reply_at__isnull=True) | Q(last_reply_at__lt=cutoff))
        .exclude(Exists(recent_consent))
        .order_by("id")
    )


def retention_run(*, now=None, limit: int = BATCH, dry_run: bool = False, by=ACTOR) -> RetentionReport:
    """Anonymise up to ``limit`` idle prospects; returns what it did (see the module docstring)."""
    months = int(config.PERSONAL_DATA_RETENTION_MONTHS)
    if months <= 0:
        return RetentionReport(months=0, cutoff=None, dry_run=dry_run)
    now = now or timezone.now()
    cutoff = months_before(now, months)
    due = prospects_idle_since(cutoff)
    report = RetentionReport(months=months, cutoff=cutoff, due=due.count(), dry_run=dry_run)
    batch = list(due.values_list("pk", flat=True)[: max(limit, 0)])
    if dry_run:
        report.prospect_ids = batch
        return report
    reason = f"no activity for {months} months: personal data anonymised"
    for pk in batch:
        prospect = Prospect.objects.filter(pk=pk, erased_at__isnull=True).first()
        if prospect is None:  # erased by someone else meanwhile
            report.due -= 1
            continue
        try:
            prospect_erase(prospect=prospect, by=by, reason=reason)
        except (ApplicationError, DatabaseError):
            # one prospect's failure (its erasure rolled back) must not stop the others
            report.failed += 1
            logger.exception("retention: could not anonymise prospect #%s", pk)
            continue
        report.anonymised += 1
        report.prospect_ids.append(pk)
    event_record(
        RETENTION_RUN,
        message=str(report),
        level="warning" if report.failed else "info",
        data={
            "months": months,
            "cutoff": cutoff.isoformat(),
            "due": report.due,
            "anonymised": report.anonymised,
            "failed": report.failed,
            "remaining": report.remaining,
            "prospect_ids": report.prospect_ids,
        },
        by=by,
    )
    return report
