# Sending-domain authentication (outreach.services.domain_auth): the SendingDomain check rows, and what an inbox tells the check.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0006_country_rules_held_emails_privacy_line"),
    ]

    operations = [
        migrations.CreateModel(
            name="SendingDomain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("domain", models.CharField(max_length=253, unique=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Not checked yet"),
                            ("ok", "Passing"),
                            ("failing", "Failing"),
                            ("unknown", "Unknown (DNS did not answer)"),
                            ("sandbox", "Not checked — sandbox"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=10,
                    ),
                ),
                (
                    "verdicts",
                    models.JSONField(blank=True, default=dict, help_text="per check: verdict, reasons, notes"),
                ),
                ("records", models.JSONField(blank=True, default=dict, help_text="the DNS records each check read")),
                ("failure_reason", models.CharField(blank=True, max_length=500)),
                ("last_checked_at", models.DateTimeField(blank=True, null=True)),
                ("last_passed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "domain",
                "ordering": ["domain"],
            },
        ),
        migrations.AddField(
            model_name="inbox",
            name="dkim_domain",
            field=models.CharField(
                blank=True,
                help_text="The signature's d=; blank: the address's domain.",
                max_length=253,
                verbose_name="DKIM signing domain",
            ),
        ),
        migrations.AddField(
            model_name="inbox",
            name="dkim_selectors",
            field=models.CharField(
                blank=True,
                help_text="Comma-separated selectors the SMTP server signs with (e.g. google, selector1, s1); each must have a key. Blank: at least one of DKIM_SELECTORS.",
                max_length=200,
                verbose_name="DKIM selectors",
            ),
        ),
        migrations.AddField(
            model_name="inbox",
            name="return_path_domain",
            field=models.CharField(
                blank=True,
                help_text="The envelope sender's domain the SMTP server uses (SPF is checked there); blank: the address's.",
                max_length=253,
                verbose_name="Return-Path domain",
            ),
        ),
    ]
