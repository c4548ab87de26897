"""Country rules (with defaults), held emails, and the campaign's privacy line.

The defaults below are a conservative starting point for Operations to review in the
admin (*Outreach → Country rules*). They are not legal advice. A country that is not
listed is treated as legitimate interest with a postal address and an unsubscribe link.
"""

import django_countries.fields
import infra.statemachine
from django.db import migrations, models

BASE = ["postal_address", "unsubscribe_link"]
GDPR = [*BASE, "privacy_line"]  # Art. 14: who we are, where the address came from, a notice
GDPR_NOTE = (
    "GDPR Art. 14: the first email says who we are, where we found the address and links a privacy notice. "
    "This country's own rules on unsolicited business email were not reviewed for this default: check them."
)
CONSENT_COUNTRIES = {
    "DE": "UWG §7(2): advertising by email needs the addressee's prior express consent, businesses included "
    "(the §7(3) exception covers existing customers only).",
    "AT": "TKG 2021 §174: direct-marketing email needs prior consent, to businesses as well (existing customers "
    "aside).",
    "DK": "Markedsføringsloven §10: no electronic direct marketing without the recipient's prior request, "
    "businesses included.",
    "IT": "Codice Privacy art. 130 and the Garante's practice: prior consent for promotional email, to legal "
    "persons as well.",
    "PL": "Electronic services and electronic communications law: commercial information by email needs prior "
    "consent, to businesses too.",
}
OTHER_EEA = "BE BG CH CY CZ EE ES FI GR HR HU IE IS LI LT LU LV MT NL NO PT RO SE SI SK".split()
DEFAULTS = [
    *[(code, "consent_required", GDPR, f"{note} GDPR Art. 14 for the privacy line.") for code, note in CONSENT_COUNTRIES.items()],
    (
        "CA",
        "conspicuous_publication",
        GDPR,
        "CASL s.10(9)(b): implied consent when the address is conspicuously published with no statement refusing "
        "unsolicited messages, and the message concerns the recipient's role; otherwise express consent. s.6(2): "
        "identify the sender (name, mailing address, a way to reach us) and offer an unsubscribe honoured within "
        "10 business days (we honour it at once).",
    ),
    (
        "US",
        "legitimate_interest",
        BASE,
        "CAN-SPAM (15 U.S.C. §7704): no prior consent; a valid postal address and a working opt-out honoured within "
        "10 business days (Gmail and Yahoo bulk-sender rules: 2 days; we: at once).",
    ),
    (
        "GB",
        "legitimate_interest",
        GDPR,
        "PECR reg. 22 protects individual subscribers: a corporate address (limited company, LLP) may be emailed on "
        "legitimate interest with an opt-out; sole traders and partnerships need consent. UK GDPR Art. 14.",
    ),
    (
        "FR",
        "legitimate_interest",
        GDPR,
        "CNIL: business-to-business email without prior consent when it concerns the recipient's profession, with "
        "an opt-out. GDPR Art. 14.",
    ),
    *[(code, "legitimate_interest", GDPR, GDPR_NOTE) for code in OTHER_EEA],
]


def country_rule_defaults(apps, schema_editor):
    CountryRule = apps.get_model("outreach", "CountryRule")
    for country, basis, footer, note in DEFAULTS:
        CountryRule.objects.get_or_create(
            country=country,
            defaults={"basis": basis, "footer_requirements": footer, "note": note, "updated_by": "default"},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('outreach', '0005_send_attempts_and_failed_decisions'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountryRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('country', django_countries.fields.CountryField(max_length=2, unique=True)),
                ('basis', models.CharField(choices=[('legitimate_interest', 'Legitimate interest (opt-out)'), ('consent_required', 'Prior consent required'), ('conspicuous_publication', 'Consent or a conspicuously published address')], default='legitimate_interest', max_length=30, verbose_name='basis for a first cold email')),
                ('footer_requirements', models.JSONField(blank=True, default=list, help_text='What every email to this country must carry in its footer.')),
                ('note', models.TextField(blank=True, help_text='The law it follows and why, for whoever edits this next.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('updated_by', models.CharField(blank=True, editable=False, max_length=150)),
            ],
            options={
                'verbose_name': 'country rule',
                'ordering': ['country'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='email',
            name='email_status_valid',
        ),
        migrations.AddField(
            model_name='campaign',
            name='privacy_identity',
            field=models.CharField(blank=True, help_text="The company behind the emails, for the privacy line and notice, e.g. 'Jengu Ltd (privacy@jengu.example)'. Blank: the signing persona's name.", max_length=200, verbose_name='who we are'),
        ),
        migrations.AddField(
            model_name='campaign',
            name='privacy_line_enabled',
            field=models.BooleanField(default=True, help_text="The first email's footer says who we are, where we found the address and links the privacy notice.", verbose_name='privacy line in first emails'),
        ),
        migrations.AddField(
            model_name='campaign',
            name='privacy_notice_url',
            field=models.URLField(blank=True, help_text="Your own privacy notice page. Blank: this instance's notice page for the campaign.", max_length=300),
        ),
        migrations.AlterField(
            model_name='email',
            name='status',
            field=infra.statemachine.StateField(choices=[('draft', 'Draft'), ('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('opened', 'Opened'), ('clicked', 'Clicked'), ('replied', 'Replied'), ('bounced', 'Bounced'), ('spam', 'Spam'), ('failed', 'Failed'), ('needs_review', 'Needs review'), ('rejected', 'Rejected'), ('cancelled', 'Cancelled'), ('held', 'Held')], db_index=True, default='draft', max_length=20),
        ),
        migrations.AlterField(
            model_name='senddecision',
            name='outcome',
            field=models.CharField(choices=[('sent', 'Sent'), ('skipped', 'Skipped'), ('cancelled', 'Cancelled'), ('provider_failed', 'Provider failed'), ('failed', 'Failed for good'), ('review', 'Review'), ('held', 'Held')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='email',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'queued', 'sending', 'sent', 'delivered', 'opened', 'clicked', 'replied', 'bounced', 'spam', 'failed', 'needs_review', 'rejected', 'cancelled', 'held'])), name='email_status_valid'),
        ),
        migrations.RunPython(country_rule_defaults, migrations.RunPython.noop),
    ]
