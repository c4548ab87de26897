"""Consents, where each prospect's data came from, and when its personal data was erased.

The backfill infers each existing prospect's data source from what is on record, with
set-based UPDATEs (no per-row Python except for import reports, which name their rows):
a referral names its referrer; an import's report names the file and row; a job-board
prospect whose address enrichment found on the hotel's site points at the site, else at
its first job posting; the rest were entered by hand. Prospects erased before this
migration get ``erased_at`` from the erasure's stage change.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


ERASED_REASON = "personal data erased (GDPR)"
JOB_BOARDS = ["linkedin", "indeed", "google_jobs"]


def backfill(apps, schema_editor):
    from django.db.models import F, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Cast, Coalesce, Concat

    Prospect = apps.get_model("prospects", "Prospect")
    JobPosting = apps.get_model("prospects", "JobPosting")
    ProspectImport = apps.get_model("prospects", "ProspectImport")
    rows = Prospect.objects

    rows.filter(lost_reason=ERASED_REASON, erased_at__isnull=True).update(erased_at=F("stage_changed_at"))
    blank = rows.filter(data_source_kind="")
    blank.filter(referred_by__isnull=False).update(
        data_source_kind="referral",
        data_source_detail=Concat(Value("referral by prospect #"), Cast("referred_by_id", models.CharField())),
        data_source_at=F("created_at"),
    )
    for record in ProspectImport.objects.order_by("id").iterator():
        name = (record.original_name or record.file.name.rsplit("/", 1)[-1])[:200]
        for entry in record.report or []:
            if entry.get("outcome") == "created" and entry.get("prospect"):
                rows.filter(pk=entry["prospect"], data_source_kind="").update(
                    data_source_kind="import",
                    data_source_detail=f"import #{record.pk} {name}, row {entry.get('row', '?')}"[:500],
                    data_source_at=record.finished_at or record.created_at,
                )
    blank = rows.filter(data_source_kind="")
    blank.filter(source__in=["csv", "sales_navigator"]).update(
        data_source_kind="import", data_source_detail="an import (file and row not recorded)", data_source_at=F("created_at")
    )
    found_on_site = Q(source__in=JOB_BOARDS) & ~Q(email="") & ~Q(company_website="")
    blank.filter(found_on_site).update(
        data_source_kind="website", data_source_detail=F("company_website"), data_source_at=F("updated_at")
    )
    first_posting = JobPosting.objects.filter(prospect=OuterRef("pk")).exclude(url="").order_by("found_at", "id")
    blank.filter(source__in=JOB_BOARDS).update(
        data_source_kind="job_posting",
        data_source_detail=Coalesce(Subquery(first_posting.values("url")[:1]), Value("")),
        data_source_at=F("created_at"),
    )
    blank.filter(source="delegation").update(data_source_kind="referral", data_source_at=F("created_at"))
    blank.update(data_source_kind="manual", data_source_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('prospects', '0010_website_public_host'),
    ]

    operations = [
        migrations.AddField(
            model_name='prospect',
            name='data_source_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='data collected at'),
        ),
        migrations.AddField(
            model_name='prospect',
            name='data_source_detail',
            field=models.CharField(blank=True, help_text="the page or posting URL, 'import #3 leads.csv, row 12', 'referral by prospect #41' …", max_length=500, verbose_name='data source detail'),
        ),
        migrations.AddField(
            model_name='prospect',
            name='data_source_kind',
            field=models.CharField(blank=True, choices=[('job_posting', 'Job posting'), ('import', 'Import file'), ('website', "The hotel's website"), ('email_finder', 'Email finder service'), ('referral', 'Referral by a colleague'), ('api', 'API client'), ('manual', 'Entered by hand')], help_text="where the contact's data came from", max_length=20, verbose_name='data source'),
        ),
        migrations.AddField(
            model_name='prospect',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='when its personal data was erased (GDPR, or retention)', null=True),
        ),
        migrations.CreateModel(
            name='Consent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('web_form', 'Web form or sign-up'), ('email', 'They asked us in writing'), ('in_person', 'In person (trade fair, meeting)'), ('phone', 'Phone call'), ('published', 'Published address (implied consent, CASL)'), ('other', 'Other')], max_length=20)),
                ('given_at', models.DateTimeField(help_text='when they gave it')),
                ('evidence', models.TextField(help_text='what shows it: a quote, a form submission id, a URL, where the note is filed')),
                ('recorded_by', models.CharField(blank=True, max_length=150)),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('prospect', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='prospects.prospect')),
            ],
            options={
                'ordering': ['-given_at', '-id'],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
