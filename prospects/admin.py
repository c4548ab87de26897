"""The prospect pages sales staff work in. Actions call services; no rules here.

A prospect's page is its story (prospects.admin_story, jengu.prospect_story): who they
are and what happens next, one timeline of emails, replies, stage changes, notes, tasks
and meetings, the actions a salesperson uses; the research and website panels; the edit
form last, folded.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django_countries import countries

from infra.admin import LargeTableAdmin
from infra.admin_bulk import run_bulk_action
from infra.admin_filters import DistinctValuesFilter
from infra.errors import ApplicationError
from infra.exports import CsvExportMixin
from outreach.compliance import consent_record_and_release
from prospects.admin_story import OwnerFilter, ProspectStoryMixin
from prospects.dedup import prospect_clashes
from prospects.models import Consent, DataSourceKind, JobPosting, Prospect, ResearchReport


class CountryFilter(DistinctValuesFilter):
    title = "country"
    parameter_name = "country"
    field_name = "country"

    def label_for(self, value):
        return countries.name(value) or value


class ReadOnlyInline:
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class JobPostingInline(ReadOnlyInline, admin.TabularInline):
    model = JobPosting
    fields = ["title", "source", "location", "posted_at", "url"]
    readonly_fields = fields


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["source", "given_at", "evidence"]
        widgets = {"evidence": forms.Textarea(attrs={"rows": 2, "cols": 50})}

    def clean_given_at(self):
        given_at = self.cleaned_data["given_at"]
        if given_at and given_at > timezone.now():
            raise forms.ValidationError("A consent cannot be given in the future.")
        return given_at


class ConsentInline(admin.TabularInline):
    """Consents are added (through outreach.compliance, which releases held emails), never edited."""

    model = Consent
    form = ConsentForm
    fields = ["source", "given_at", "evidence", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = "consents (needed to email a prospect where the country rule requires one)"

    def has_change_permission(self, request, obj=None):
        return False


class ProspectAdminForm(forms.ModelForm):
    """Refuses, on the field, what another prospect already holds (email, hotel, website).

    Django's own form validation skips the unique constraints, whose fields are derived
    (company key, domain); without this a clash was a database error page.
    """

    def clean(self):
        data = super().clean()
        clashes = prospect_clashes(
            pk=self.instance.pk,
            company_name=data.get("company_name") or "",
            city=data.get("city") or "",
            company_website=data.get("company_website") or "",
            email=data.get("email") or "",
            contact_key=self.instance.contact_key,
        )
        for field, message in clashes.items():
            if field in self.fields:
                self.add_error(field, message)
        return data


@admin.register(Prospect)
class ProspectAdmin(ProspectStoryMixin, CsvExportMixin, LargeTableAdmin):
    form = ProspectAdminForm
    list_display = [
        "company_name",
        "name",
        "email",
        "city",
        "country_name",
        "stage",
        "tier",
        "market_tier",
        "enrichment_status",
        "enrichment_score",
        "owner_name",
        "created_at",
    ]
    list_select_related = ["owner"]
    list_filter = [
        OwnerFilter,
        "stage",
        "tier",
        "market_tier",
        CountryFilter,
        "enrichment_status",
        "email_verified",
        "company_type",
    ]
    search_fields = ["company_name", "name", "email", "city"]
    search_help_text = "Search company, contact name, email or city (substring)."
    list_per_page = 100
    readonly_fields = [
        "owner",
        "stage",
        "stage_changed_at",
        "trace_id",
        "created_at",
        "updated_at",
        "email_sent_count",
        "last_email_sent_at",
        "last_reply_at",
        "reply_pending_since",
        "lost_reason",
        "source",
        "referred_by",
        "erased_at",
    ]
    fieldsets = [
        ("Contact", {"fields": ["name", "title", "email", "phone", "linkedin_url"]}),
        ("Lead", {"fields": ["source", "referred_by", "referral_note"]}),
        (
            "Where the personal data came from",
            {
                "fields": ["data_source_kind", "data_source_detail", "data_source_at", "erased_at"],
                "description": "Told to the person in the first email's privacy line (GDPR Art. 14).",
            },
        ),
        ("Hotel", {"fields": ["company_name", "company_website", "company_type", "market_tier", "tier"]}),
        ("Location", {"fields": ["city", "region", "country", "timezone"]}),
        (
            "Pipeline",
            {"fields": ["owner", "stage", "stage_changed_at", "lost_reason", "trace_id", "created_at", "updated_at"]},
        ),
        (
            "Enrichment",
            {"fields": ["enrichment_status", "enrichment_score", "email_verified", "email_verification_score"]},
        ),
        (
            "Engagement",
            {
                "fields": [
                    "email_sent_count",
                    "last_email_sent_at",
                    "last_reply_at",
                    "reply_pending_since",
                    "behavioral_score",
                ]
            },
        ),
        (
            "Raw data (JSON)",
            {
                "classes": ["collapse"],
                "fields": ["pain_signals", "competitor_tools", "website_analysis", "research_report"],
            },
        ),
    ]
    # emails, replies and the stage history are the story's timeline, above the form
    inlines = [JobPostingInline, ConsentInline]
    csv_export_name = "export.prospects"
    change_list_template = "admin/prospects/prospect/change_list.html"
    actions = [
        "reassign",
        "export_csv",
        "book_meeting",
        "mark_won",
        "mark_lost",
        "reenrich",
        "reresearch",
        "erase_personal_data",
    ]

    def get_urls(self):
        return [*self.get_story_urls(), *self.get_export_urls(), *super().get_urls()]

    def get_changeform_initial_data(self, request):
        # a prospect added here was entered by hand, now, unless the form says otherwise
        return {
            "data_source_kind": DataSourceKind.MANUAL,
            "data_source_at": timezone.now(),
            **super().get_changeform_initial_data(request),
        }

    def save_formset(self, request, form, formset, change):
        """New consents go through the service, which also sends held emails back to the queue."""
        if formset.model is not Consent:
            return super().save_formset(request, form, formset, change)
        for consent in formset.save(commit=False):
            if consent.pk is not None:
                continue  # recorded consents are never edited
            try:
                _, report = consent_record_and_release(
                    prospect=form.instance,
                    source=consent.source,
                    evidence=consent.evidence,
                    given_at=consent.given_at,
                    by=request.user,
                )
            except ApplicationError as exc:
                self.message_user(request, f"Consent not recorded: {exc.message}", messages.ERROR)
                continue
            if report.released:
                self.message_user(request, f"Consent recorded: {report}.", messages.SUCCESS)

    @admin.display(description="country", ordering="country")
    def country_name(self, prospect):
        # Listing the field itself makes the admin rebuild django-countries' 250-entry
        # choice list twice per row, which was most of a page's render time.
        return prospect.country.name or None

    @admin.action(description="Enrich again", permissions=["change"])
    def reenrich(self, request, queryset):
        return run_bulk_action(self, request, queryset, "prospects.reenrich", "queued for enrichment")

    @admin.action(description="Research again", permissions=["change"])
    def reresearch(self, request, queryset):
        return run_bulk_action(self, request, queryset, "prospects.reresearch", "queued for research")

    @admin.action(description="Meeting booked with selected prospects", permissions=["change"])
    def book_meeting(self, request, queryset):
        return run_bulk_action(self, request, queryset, "prospects.book_meeting", "moved to meeting")

    @admin.action(description="Mark selected prospects won", permissions=["change"])
    def mark_won(self, request, queryset):
        return run_bulk_action(self, request, queryset, "prospects.mark_won", "marked won")

    @admin.action(description="Mark selected prospects lost", permissions=["change"])
    def mark_lost(self, request, queryset):
        return run_bulk_action(self, request, queryset, "prospects.mark_lost", "marked lost")

    @admin.action(description="Erase personal data (GDPR)…", permissions=["delete"])
    def erase_personal_data(self, request, queryset):
        """Not reversible, so it asks first (as Django's own delete action does)."""
        if request.POST.get("confirm") == "yes":
            return run_bulk_action(self, request, queryset, "prospects.erase", "personal data erased")
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase personal data?",
            "opts": self.model._meta,
            "prospects": queryset.order_by("pk")[:100],
            "count": queryset.count(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/prospects/prospect/erase_confirmation.html", context)


@admin.register(JobPosting)
class JobPostingAdmin(admin.ModelAdmin):
    list_display = ["title", "company_name", "location", "source", "posted_at", "found_at"]
    list_filter = ["source", "posted_at"]
    search_fields = ["title", "company_name", "location"]
    date_hierarchy = "found_at"
    autocomplete_fields = ["prospect"]
    list_select_related = ["prospect"]


@admin.register(ResearchReport)
class ResearchReportAdmin(admin.ModelAdmin):
    list_display = ["prospect", "provider", "created_at"]
    list_filter = ["provider"]
    search_fields = ["prospect__company_name", "summary"]
    autocomplete_fields = ["prospect"]
    list_select_related = ["prospect"]


from prospects import admin_review  # noqa: E402,F401  (imports, duplicate review)
