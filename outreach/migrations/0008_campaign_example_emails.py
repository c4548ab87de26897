# Campaign.example_emails: the emails the AI path takes its tone and length from (outreach.composition.composer);
# product_pitch may hold several phrasings, one per prospect (its help text says how).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0007_sending_domains"),
    ]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="product_pitch",
            field=models.TextField(
                help_text="What we sell, in two or three sentences. Write it two or three ways, separated by a line "
                "of three dashes (---), and each prospect gets one of them: a campaign's emails then do not all share "
                "one paragraph."
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="example_emails",
            field=models.TextField(
                blank=True,
                help_text="Two or three good emails for the AI to take its tone and length from (never its facts). Separate them with a line of three dashes (---); start one with a line such as [de] when it is not in the campaign's language. Blank: examples written from the templates.",
            ),
        ),
    ]
