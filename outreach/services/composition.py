"""Writers for composed emails: create a draft, approve it, reject it, preview a campaign.

- ``email_compose(prospect=, campaign=, step=, …)`` composes (outreach.composition) and
  saves one Email draft with its gate results. Never two live emails for one
  (prospect, step): the check and the insert run under a lock on the prospect's row.
- ``email_release_or_hold(email=, by=)`` queues a draft that passed every gate when its
  campaign does not ask for approval; otherwise it waits in the review queue. The first
  email to a contact a reply named (a delegation) always waits, with its reason recorded,
  unless the contact's address is at the hotel's own domain.
- ``email_approve(email=, by=, subject=None, body=None)`` — a human queues a draft,
  optionally after editing it; the form and facts gates run again on what will be sent
  and an email that fails them is refused with the reasons.
- ``email_reject(email=, by=, reason=)`` rejects the draft and composes a new one with
  the reason as a constraint; the new draft waits for a human again.
- ``campaign_preview(campaign=, prospect=)`` composes without saving an email.
- ``campaign_preview_sample(campaign=, size=20, providers=)`` composes the first email
  for a sample of the prospects the campaign would write to next, without saving
  anything, each with its gate results and how close it comes to the others (5-word-
  shingle Jaccard, ``outreach.composition.measures``), so a person can judge a campaign
  before it runs: twenty different, correct emails, or the paragraph they all share.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import event_record
from infra.statemachine import transition
from outreach import events
from outreach.composition.composer import Draft, compose
from outreach.composition.context import build_context
from outreach.composition.gates import run_gates
from outreach.composition.measures import most_similar, pairwise, spread
from outreach.models import Campaign, Email, EmailStatus
from outreach.selectors import campaign_next_subject_variant
from prospects.models import LeadSource, Prospect, ProspectStage

AUTHOR = {"grok": Email.Author.GROK, "claude": Email.Author.CLAUDE, "template": Email.Author.TEMPLATE}


def _actor(by) -> str:
    return getattr(by, "get_username", lambda: str(by))()


def _user(by):
    return by if hasattr(by, "get_username") and getattr(by, "pk", None) else None


def email_draft(
    *,
    prospect: Prospect,
    campaign: Campaign,
    step: int = 1,
    angle: str = "first",
    first_email: Email | None = None,
    constraints=(),
    providers: list | None = None,
) -> Draft:
    """Compose (no saving) the email of ``step`` for ``prospect`` in ``campaign``."""
    context = build_context(
        prospect,
        campaign,
        step=step,
        angle=angle,
        first_subject=first_email.subject if first_email else "",
        constraints=constraints,
    )
    variant = campaign_next_subject_variant(campaign) if step == 1 else None
    return compose(context, providers=providers, subject_variant=variant)


def campaign_preview(*, campaign: Campaign, prospect: Prospect, providers: list | None = None) -> Draft:
    """The first email ``campaign`` would send ``prospect`` now; nothing is saved but the AI call log."""
    return email_draft(prospect=prospect, campaign=campaign, providers=providers)


PREVIEW_SAMPLE = 20
# the prospects a campaign writes to next come first in a sample; then any open one with an address
PREVIEW_STAGES = [ProspectStage.READY, ProspectStage.COMPOSED, ProspectStage.QUEUED]


@dataclass
class PreviewEmail:
    prospect: Prospect
    draft: Draft
    most_similar: float  # its highest 5-word-shingle Jaccard similarity to another email of the sample


@dataclass
class PreviewSample:
    emails: list[PreviewEmail]
    similarity: dict  # median, p90, max and pairs of the sample's pairwise similarity

    @property
    def passed(self) -> int:
        return sum(1 for e in self.emails if e.draft.passed)


def preview_prospects(campaign: Campaign, size: int = PREVIEW_SAMPLE) -> list[Prospect]:
    """Up to ``size`` prospects to preview ``campaign`` on: ready ones first (they are next), then
    composed and queued ones, then any other open prospect with an address; newest first in each."""
    open_stages = [s for s in ProspectStage.values if s not in (ProspectStage.WON, ProspectStage.LOST)]
    chosen: list[Prospect] = []
    for stages in (PREVIEW_STAGES, open_stages):
        query = Prospect.objects.filter(stage__in=stages).exclude(email="").exclude(pk__in=[p.pk for p in chosen])
        chosen += list(query.order_by("-id")[: size - len(chosen)])
        if len(chosen) >= size:
            break
    return chosen


def campaign_preview_sample(
    *, campaign: Campaign, size: int = PREVIEW_SAMPLE, providers: list | None = None
) -> PreviewSample:
    """The first email ``campaign`` would send each of a sample of prospects; nothing is saved
    but the AI call log. Subject variants rotate through the sample as they would in a run."""
    variants = [str(v) for v in campaign.subject_variants or [] if str(v).strip()]
    emails = []
    for index, prospect in enumerate(preview_prospects(campaign, size)):
        context = build_context(prospect, campaign)
        variant = (index % len(variants), variants[index % len(variants)]) if variants else None
        emails.append(PreviewEmail(prospect, compose(context, providers=providers, subject_variant=variant), 0.0))
    bodies = [e.draft.body for e in emails]
    for email, closest in zip(emails, most_similar(bodies), strict=True):
        email.most_similar = round(closest, 3)
    return PreviewSample(emails=emails, similarity=spread(pairwise(bodies)))


def live_email_for_step(prospect_id: int, step: int) -> Email | None:
    """The prospect's email for ``step`` that still counts (anything but a rejected draft)."""
    return (
        Email.objects.filter(prospect_id=prospect_id, sequence_step=step)
        .exclude(status__in=[EmailStatus.REJECTED])
        .order_by("-id")
        .first()
    )


def email_save_draft(
    *,
    prospect: Prospect,
    campaign: Campaign,
    draft: Draft,
    step: int = 1,
    first_email: Email | None = None,
    review_reason: str = "",
) -> Email | None:
    """Save ``draft`` as the prospect's Email for ``step``; None when one already exists (a duplicate run).

    ``review_reason`` holds the draft for a human whatever its campaign says; so does a
    delegated contact's first email outside the hotel's own domain (``delegate_review_reason``).
    """
    results = draft.gate_results()
    if step == 1 and (delegated := delegate_review_reason(prospect)):
        review_reason = f"{review_reason}; {delegated}" if review_reason else delegated
    if review_reason:
        results.update(needs_review=True, review_reason=review_reason)
    with transaction.atomic():
        # the lock makes the check-then-insert safe between two workers (PostgreSQL);
        # SQLite serialises writers anyway
        Prospect.objects.select_for_update().filter(pk=prospect.pk).first()
        if live_email_for_step(prospect.pk, step):
            return None
        email = Email.objects.create(
            prospect=prospect,
            campaign=campaign,
            subject=draft.subject,
            body=draft.body,
            to_email=prospect.email,
            language=draft.language,
            written_by=AUTHOR.get(draft.written_by, Email.Author.TEMPLATE),
            subject_variant=draft.subject_variant,
            type=Email.Type.OUTREACH if step == 1 else Email.Type.FOLLOW_UP,
            sequence_step=step,
            thread_root=first_email,
            in_reply_to=(first_email.message_id or "") if first_email else "",
            spam_score=draft.spam_score,
            readability_score=draft.readability_score,
            gate_results=results,
            generation_attempts=len(draft.attempts),
            trace_id=prospect.trace_id,
        )
        event_record(
            events.COMPOSITION_DRAFTED,
            message=f"step {step} for {prospect} by {draft.written_by}: "
            + ("passed the gates" if draft.passed else f"failed {', '.join(draft.report.failed)}"),
            data={"email_id": email.pk, "step": step, "written_by": draft.written_by, "passed": draft.passed},
            trace_id=prospect.trace_id,
        )
    return email


def _at_domain(address: str, domain: str) -> bool:
    host = address.rpartition("@")[2].strip().lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith(f".{domain}"))


def delegate_review_reason(prospect: Prospect) -> str:
    """Why a delegated contact's first email waits for a person ('' when it need not).

    A reply named this person, and whoever writes a reply chooses whom it names: a first
    email to them goes out unseen only when their address is at the hotel's own domain (its
    website's, as enrichment found it). A contact elsewhere — a free-mail address, a
    partner, anyone — and a hotel without a known website wait for a person.
    """
    if prospect.referred_by_id is None and prospect.source != LeadSource.DELEGATION:
        return ""
    referrer = prospect.referred_by
    own = {d for d in (prospect.website_domain, referrer.website_domain if referrer else "") if d}
    if any(_at_domain(prospect.email, domain) for domain in own):
        return ""
    where = f"the hotel's own domain ({', '.join(sorted(own))})" if own else "a known website of the hotel"
    return (
        f"a delegated contact: a reply named {prospect.email or 'this person'}, "
        f"whose address is not at {where}; a person checks the first email to them"
    )


def email_needs_review(email: Email) -> bool:
    results = email.gate_results or {}
    if results.get("needs_review") or not results.get("passed", False):
        return True
    return bool(email.campaign and email.campaign.requires_approval)


def email_release_or_hold(*, email: Email, by) -> bool:
    """Queue a draft that needs no human (gates passed, no approval asked); True when queued."""
    if email_needs_review(email):
        return False
    _queue(email, by=by, reason="passed the quality gates")
    return True


def _queue(email: Email, *, by, reason: str) -> None:
    from outreach.unsubscribe import unsubscribe_token

    with transaction.atomic():
        transition(email, "queue", by=by, reason=reason)
        if email.to_email:  # the link exists before the send, which then only reads it
            unsubscribe_token(email.to_email)
        prospect = Prospect.objects.get(pk=email.prospect_id)
        if email.sequence_step == 1 and prospect.stage == ProspectStage.COMPOSED:
            transition(prospect, "queue", by=by, reason=f"email #{email.pk} queued")


def _recheck(email: Email, subject: str, body: str):
    context = build_context(
        email.prospect,
        email.campaign,
        step=email.sequence_step,
        first_subject=email.thread_root.subject if email.thread_root_id else "",
    )
    return run_gates(subject, body, context, only=("facts", "form"))


def email_approve(*, email: Email, by, subject: str | None = None, body: str | None = None) -> Email:
    """A human approves a draft (optionally edited first): it is queued for sending."""
    if email.status != EmailStatus.DRAFT:
        raise ApplicationError(f"Email #{email.pk} is '{email.status}': only drafts can be approved.")
    if email.campaign_id is None:
        raise ApplicationError(f"Email #{email.pk} has no campaign; it cannot be checked and approved.")
    new_subject = email.subject if subject is None else subject.strip()
    new_body = email.body if body is None else body.replace("\r\n", "\n").strip()
    edited = (new_subject, new_body) != (email.subject, email.body)
    report = _recheck(email, new_subject, new_body)
    if not report.passed:
        problems = [reason for result in report.results.values() for reason in result.reasons]
        raise ApplicationError(
            f"Email #{email.pk} cannot be approved: " + "; ".join(problems) + ".",
            extra={"problems": problems},
        )
    now = timezone.now()
    with transaction.atomic():
        if edited:
            results = dict(email.gate_results or {})
            results["edited"] = {
                "by": _actor(by),
                "at": now.isoformat(),
                "original_written_by": email.written_by,
                "gates": report.as_json(),
            }
            email.subject, email.body, email.gate_results = new_subject, new_body, results
            email.written_by = Email.Author.HUMAN
        email.approved_by = _user(by)
        email.approved_at = now
        email.save(update_fields=["subject", "body", "gate_results", "written_by", "approved_by", "approved_at"])
        _queue(email, by=by, reason="approved" + (" after editing" if edited else ""))
        event_record(
            events.COMPOSITION_APPROVED,
            message=f"email #{email.pk}" + (" edited and" if edited else "") + " approved",
            data={"email_id": email.pk, "edited": edited},
            trace_id=email.trace_id,
            by=by,
        )
    return email


def email_reject(*, email: Email, by, reason: str, providers: list | None = None) -> Email | None:
    """Reject a draft and compose a new one that takes ``reason`` into account; returns the new draft."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the draft is rejected: the reason is what the next draft fixes.")
    if email.status != EmailStatus.DRAFT:
        raise ApplicationError(f"Email #{email.pk} is '{email.status}': only drafts can be rejected.")
    with transaction.atomic():
        transition(email, "reject", by=by, reason=reason[:300])
        email.rejection_reason = reason
        email.save(update_fields=["rejection_reason"])
        event_record(
            events.COMPOSITION_REJECTED,
            message=reason[:200],
            data={"email_id": email.pk},
            trace_id=email.trace_id,
            by=by,
        )
    if email.campaign is None:
        return None
    earlier = Email.objects.filter(
        prospect=email.prospect, sequence_step=email.sequence_step, status=EmailStatus.REJECTED
    ).exclude(rejection_reason="")
    constraints = [
        f"A reviewer rejected an earlier draft: {r}" for r in earlier.values_list("rejection_reason", flat=True)
    ]
    angle = "first"
    if email.sequence_step > 1:
        angles = email.campaign.follow_up_angles or []
        angle = angles[email.sequence_step - 2] if len(angles) >= email.sequence_step - 1 else "reminder"
    draft = email_draft(
        prospect=email.prospect,
        campaign=email.campaign,
        step=email.sequence_step,
        angle=angle,
        first_email=email.thread_root,
        constraints=constraints,
        providers=providers,
    )
    # a draft written after a rejection always goes back to a human
    return email_save_draft(
        prospect=email.prospect,
        campaign=email.campaign,
        draft=draft,
        step=email.sequence_step,
        first_email=email.thread_root,
        review_reason=f"rewritten after a rejection: {reason[:200]}",
    )


def email_compose_first(*, prospect: Prospect, campaign: Campaign, by, providers: list | None = None) -> Email | None:
    """The pipeline's work: the first email of ``prospect``'s sequence, queued or held for review."""
    from outreach.models import Sequence

    draft = email_draft(prospect=prospect, campaign=campaign, providers=providers)
    with transaction.atomic():
        email = email_save_draft(prospect=prospect, campaign=campaign, draft=draft)
        Sequence.objects.get_or_create(prospect=prospect, defaults={"campaign": campaign})
        transition(
            prospect,
            "finish_composing",
            by=by,
            reason=f"{draft.written_by}, gates {'passed' if draft.passed else 'failed'}",
        )
        if email is not None:
            email_release_or_hold(email=email, by=by)
        elif (existing := live_email_for_step(prospect.pk, 1)) and existing.status == EmailStatus.QUEUED:
            transition(prospect, "queue", by=by, reason=f"email #{existing.pk} was already queued")
    return email
