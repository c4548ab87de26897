"""Admin pages for composition: the approval review queue, the campaign preview, gate reports.

- The review queue (``admin:outreach_review_queue``) lists drafts waiting for a human —
  their campaign asks for approval, a gate failed, or they were rewritten after a
  rejection — and each draft's page shows the prospect's context (research summary,
  pain signals, hiring signal, website gaps) beside the editable email, with approve,
  edit-then-approve and reject-with-reason. Viewing needs ``outreach.view_email``;
  deciding needs ``outreach.change_email`` (the Sales group has both).
- The campaign preview (``admin:outreach_campaign_preview``) composes the first email a
  campaign would send a chosen prospect, without saving anything; with ``?sample=1`` it
  composes a sample of twenty prospects side by side, each with its gate results and its
  similarity to the others (templates only unless ``ai=1``: twenty AI calls take a while).
- ``gate_report(email)`` renders an email's gate results (spam score and reasons,
  readability, facts, form, who wrote it) for the email's admin page.

The pages hang off the campaign admin's URLs (``CampaignReviewUrls``): no proxy model,
so no migration. Every decision calls a service in ``outreach.services.composition``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from infra.admin_bulk import admin_apply
from infra.errors import ApplicationError
from outreach.models import Campaign, Email
from outreach.selectors import emails_awaiting_approval
from outreach.services.composition import (
    PREVIEW_SAMPLE,
    campaign_preview,
    campaign_preview_sample,
    email_approve,
    email_reject,
)
from prospects.models import Prospect

GATE_LABELS = {"spam": "Spam", "readability": "Readability", "facts": "Facts", "form": "Form"}


def gate_rows(results: dict) -> list[dict]:
    """The gates of ``Email.gate_results`` as rows for the templates."""
    rows = []
    for name, gate in (results or {}).get("gates", {}).items():
        rows.append(
            {
                "name": GATE_LABELS.get(name, name),
                "passed": gate.get("passed"),
                "score": gate.get("score"),
                "reasons": gate.get("reasons") or [],
                "skipped": gate.get("skipped") or "",
                "detail": gate.get("detail") or {},
            }
        )
    return rows


@admin.display(description="gate results")
def gate_report(email: Email):
    """Spam score with reasons, readability, facts and form checks, and who wrote the email."""
    from django.template.loader import render_to_string

    if not email or not email.pk:
        return "—"
    return mark_safe(  # noqa: S308 — the template escapes every value
        render_to_string(
            "admin/outreach/gate_report.html",
            {
                "email": email,
                "rows": gate_rows(email.gate_results),
                "results": email.gate_results or {},
            },
        )
    )


class ReviewForm(forms.Form):
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"size": 70}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "cols": 80}))


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What should the next draft do differently? It is given to the composer as a constraint.",
    )


class PreviewForm(forms.Form):
    prospect = forms.IntegerField(label="Prospect id", min_value=1)


def prospect_context(prospect: Prospect) -> dict:
    """What the reviewer reads beside the email."""
    report = prospect.research_reports.order_by("-created_at", "-id").first()
    posting = prospect.job_postings.order_by("-found_at", "-id").first()
    gaps = ((prospect.website_analysis or {}).get("technology") or {}).get("gaps") or []
    pains = report.pain_signals if report else prospect.pain_signals
    return {
        "prospect": prospect,
        "summary": (report.summary if report else "") or (prospect.research_report or {}).get("summary", ""),
        "pains": [p if isinstance(p, dict) else {"label": p} for p in pains or []],
        "posting": posting,
        "gaps": gaps,
    }


def compliance_context(campaign: Campaign, prospect: Prospect | None) -> dict:
    """What the country rules hold back of this campaign, this prospect's verdict and privacy line."""
    from outreach.compliance import DISCLAIMER, country_rule_check, held_back_by_rule, privacy_line

    context = {"held_back": held_back_by_rule(campaign=campaign), "disclaimer": DISCLAIMER}
    if prospect is not None:
        first = Email(prospect=prospect, campaign=campaign, type=Email.Type.OUTREACH, sequence_step=1)
        context.update(verdict=country_rule_check(prospect, campaign=campaign), privacy_line=privacy_line(first))
    return context


class CampaignReviewUrls:
    """Mixed into CampaignAdmin: the preview page and the review queue pages."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("review/", view(self.review_queue_view), name="outreach_review_queue"),
            path("review/<int:email_id>/", view(self.review_email_view), name="outreach_review_email"),
            path("<int:campaign_id>/preview/", view(self.preview_view), name="outreach_campaign_preview"),
        ] + super().get_urls()

    @admin.display(description="preview")
    def preview_link(self, campaign: Campaign):
        if not campaign or not campaign.pk:
            return "Save the campaign first."
        return format_html(
            '<a class="button" href="{}">Preview the email for a prospect</a>',
            reverse("admin:outreach_campaign_preview", args=[campaign.pk]),
        )

    def preview_view(self, request, campaign_id: int):
        if not request.user.has_perm("outreach.view_campaign"):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        sample = None
        if "sample" in request.GET:
            # templates only unless asked: twenty AI calls (and their regenerations) take minutes
            sample = campaign_preview_sample(campaign=campaign, providers=None if request.GET.get("ai") else [])
        form = PreviewForm(None if sample else request.GET or None)
        draft, prospect = None, None
        if form.is_bound and form.is_valid():
            prospect = Prospect.objects.filter(pk=form.cleaned_data["prospect"]).first()
            if prospect is None:
                form.add_error("prospect", "No prospect with this id.")
            else:
                draft = campaign_preview(campaign=campaign, prospect=prospect)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {campaign}",
            "campaign": campaign,
            "form": form,
            "draft": draft,
            "rows": gate_rows(draft.gate_results()) if draft else [],
            "sample": sample,
            "sample_size": PREVIEW_SAMPLE,
            "sample_emails": [
                {"email": email, "rows": gate_rows(email.draft.gate_results())}
                for email in (sample.emails if sample else [])
            ],
            "opts": Campaign._meta,
            **(prospect_context(prospect) if prospect else {}),
            **compliance_context(campaign, prospect),
        }
        return TemplateResponse(request, "admin/outreach/campaign/preview.html", context)

    def review_queue_view(self, request):
        if not request.user.has_perm("outreach.view_email"):
            raise PermissionDenied
        if request.method == "POST":
            self._require_change(request)
            chosen = emails_awaiting_approval().filter(pk__in=request.POST.getlist("email"))
            admin_apply(self, request, chosen, lambda email: email_approve(email=email, by=request.user),
                        noun="draft(s)", verb="approved and queued")  # fmt: skip
            return redirect("admin:outreach_review_queue")
        drafts = list(emails_awaiting_approval()[:200])
        context = {
            **self.admin_site.each_context(request),
            "title": "Drafts awaiting approval",
            "drafts": [{"email": e, "rows": gate_rows(e.gate_results)} for e in drafts],
            "can_decide": request.user.has_perm("outreach.change_email"),
            "opts": Email._meta,
        }
        return TemplateResponse(request, "admin/outreach/review/queue.html", context)

    def _require_change(self, request):
        if not request.user.has_perm("outreach.change_email"):
            raise PermissionDenied("You may look at drafts but not approve or reject them.")

    def review_email_view(self, request, email_id: int):
        if not request.user.has_perm("outreach.view_email"):
            raise PermissionDenied
        email = get_object_or_404(Email.objects.select_related("prospect", "campaign"), pk=email_id)
        form = ReviewForm(initial={"subject": email.subject, "body": email.body})
        reject_form = RejectForm()
        if request.method == "POST":
            self._require_change(request)
            try:
                if "reject" in request.POST:
                    reject_form = RejectForm(request.POST)
                    if reject_form.is_valid():
                        new = email_reject(email=email, by=request.user, reason=reject_form.cleaned_data["reason"])
                        messages.success(request, "Draft rejected; a new draft was written with your feedback.")
                        if new is not None:
                            return redirect("admin:outreach_review_email", email_id=new.pk)
                        return redirect("admin:outreach_review_queue")
                else:
                    form = ReviewForm(request.POST)
                    if form.is_valid():
                        email_approve(
                            email=email,
                            by=request.user,
                            subject=form.cleaned_data["subject"],
                            body=form.cleaned_data["body"],
                        )
                        messages.success(request, f"Email #{email.pk} approved and queued.")
                        return redirect("admin:outreach_review_queue")
            except ApplicationError as exc:
                messages.error(request, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review: {email.subject}",
            "email": email,
            "form": form,
            "reject_form": reject_form,
            "rows": gate_rows(email.gate_results),
            "results": email.gate_results or {},
            "can_decide": request.user.has_perm("outreach.change_email") and email.status == "draft",
            "opts": Email._meta,
            **prospect_context(email.prospect),
        }
        return TemplateResponse(request, "admin/outreach/review/email.html", context)
