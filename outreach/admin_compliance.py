"""The country rules table in the admin: Operations edits it, everyone on staff may read it.

Saving or deleting a rule goes through ``outreach.compliance`` (``country_rule_save`` /
``country_rule_delete``), which also checks the country's held emails again at once.
The table is shown with its disclaimer: it is not legal advice.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.text import Truncator

from outreach.compliance import DISCLAIMER, country_rule_delete, country_rule_save
from outreach.models import CountryRule


class CountryRuleForm(forms.ModelForm):
    footer_requirements = forms.MultipleChoiceField(
        choices=CountryRule.Footer.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What every email to this country must carry. Without a postal address on the campaign an email "
        "is held; the privacy line is added to first emails even where the campaign turned it off.",
    )

    class Meta:
        model = CountryRule
        fields = ["country", "basis", "footer_requirements", "note"]


@admin.register(CountryRule)
class CountryRuleAdmin(admin.ModelAdmin):
    form = CountryRuleForm
    change_list_template = "admin/outreach/countryrule/change_list.html"
    list_display = ["country_name", "basis", "footer", "short_note", "updated_at", "updated_by"]
    list_filter = ["basis"]
    search_fields = ["country", "note"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (
            None,
            {
                "fields": ["country", "basis", "footer_requirements", "note", "updated_at", "updated_by"],
                "description": f"{DISCLAIMER} A country not in this table is legitimate interest, with a postal "
                "address and an unsubscribe link. Consent required: a prospect is emailed only with a recorded "
                "consent (on its page, or the API). Conspicuous publication: a recorded consent, or the address "
                "itself found on the hotel's website or a job posting.",
            },
        )
    ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "disclaimer": DISCLAIMER})

    @admin.display(description="country", ordering="country")
    def country_name(self, rule):
        return f"{rule.country.name} ({rule.country.code})"

    @admin.display(description="footer")
    def footer(self, rule):
        labels = {value: value.replace("_", " ") for value in CountryRule.Footer.values}
        return ", ".join(labels.get(item, item) for item in rule.footer_requirements or []) or "—"

    @admin.display(description="note")
    def short_note(self, rule):
        return Truncator(rule.note).chars(90)

    def _released(self, request, report):
        if report.released:
            self.message_user(request, f"{report} in this country.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        self._released(request, country_rule_save(rule=obj, by=request.user))

    def delete_model(self, request, obj):
        self._released(request, country_rule_delete(rule=obj, by=request.user))

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            self.delete_model(request, rule)
