"""Every prospect records where its personal data came from, with the date (GDPR Art. 14),
and the first email's privacy line tells the person (outreach.compliance.privacy_line)."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from outreach.compliance import privacy_line
from outreach.models import Email
from prospects.acquisition import AcquisitionSummary, acquisition_run, ingest_posting
from prospects.imports import prospect_import_run
from prospects.models import DataSourceKind, LeadSource, Prospect, ProspectImport, ProspectStage
from prospects.providers.base import PostingFound
from tests.factories import CampaignFactory, EmailFactory, JobPostingFactory, ProspectFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def offline(settings, tmp_path):
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]
    settings.SEARCH_PROVIDER = "sandbox"
    settings.MEDIA_ROOT = tmp_path
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.MILLIONVERIFIER_API_KEY = settings.HUNTER_API_KEY = ""
    settings.PUBLIC_BASE_URL = "https://crm.jengu.example"


def recent(moment) -> bool:
    return moment is not None and abs(timezone.now() - moment) < datetime.timedelta(minutes=5)


# --- each path records its source ---------------------------------------------------------------


def test_a_job_board_prospect_records_the_posting_it_came_from():
    posting = PostingFound(
        source="linkedin", title="Front Office Manager", company="Hotel Adler", location="Munich, Germany",
        url="https://www.linkedin.com/jobs/view/4242", posted_at=TODAY,
    )  # fmt: skip
    summary = AcquisitionSummary()
    ingest_posting(posting, today=TODAY, summary=summary)
    prospect = Prospect.objects.get(pk=summary.new_prospect_ids[0])
    assert prospect.data_source_kind == DataSourceKind.JOB_POSTING
    assert prospect.data_source_detail == "https://www.linkedin.com/jobs/view/4242"
    assert recent(prospect.data_source_at)


def test_enrichment_that_finds_the_person_on_the_hotels_site_records_that_page(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = acquisition_run(sources=["sandbox"], limit=40, today=TODAY)
    prospects = Prospect.objects.filter(pk__in=summary.new_prospect_ids)
    found = prospects.exclude(email="")
    assert found.exists()
    for prospect in found:
        assert prospect.data_source_kind == DataSourceKind.WEBSITE, prospect
        assert prospect.data_source_detail.startswith(("http://", "https://"))
        assert prospect.website_domain in prospect.data_source_detail
        assert recent(prospect.data_source_at)
    # those it found no address for still say where we found the hotel
    for prospect in prospects.filter(email=""):
        assert prospect.data_source_kind == DataSourceKind.JOB_POSTING


def test_an_import_records_its_file_and_row_and_a_row_that_brings_the_address_takes_over():
    advert = ProspectFactory(company_name="Harbour Hotel", city="Bristol", email="", name="Sarah Johnson",
                             company_website="", data_source_kind="job_posting",
                             data_source_detail="https://jobs.example/7")  # fmt: skip
    content = b"Name,Company,City,Country,Email\nSarah Johnson,Harbour Hotel,Bristol,UK,sarah@harbour.example\n"
    content += b"Tom Baker,Anchor Inn,Bath,UK,tom@anchor.example\n"
    record = ProspectImport.objects.create(original_name="navigator.csv", file=ContentFile(content, "navigator.csv"))
    prospect_import_run(prospect_import=record, enqueue_enrichment=False)
    assert (record.created_count, record.merged_count) == (1, 1)
    new = Prospect.objects.get(email="tom@anchor.example")
    assert new.data_source_kind == DataSourceKind.IMPORT
    assert new.data_source_detail == f"import #{record.pk} navigator.csv, row 3" and recent(new.data_source_at)
    advert.refresh_from_db()
    assert advert.email == "sarah@harbour.example"
    assert advert.data_source_detail == f"import #{record.pk} navigator.csv, row 2"


def test_an_import_row_does_not_replace_the_source_of_an_address_we_already_had():
    known = ProspectFactory(company_name="Harbour Hotel", city="Bristol", email="sarah@harbour.example",
                            data_source_kind="website", data_source_detail="https://harbour.example/team")  # fmt: skip
    content = b"Name,Company,City,Email\nSarah Johnson,Harbour Hotel,Bristol,sarah@harbour.example\n"
    record = ProspectImport.objects.create(original_name="again.csv", file=ContentFile(content, "again.csv"))
    prospect_import_run(prospect_import=record, enqueue_enrichment=False)
    known.refresh_from_db()
    assert (known.data_source_kind, known.data_source_detail) == ("website", "https://harbour.example/team")


def test_the_api_records_the_source_a_client_names_or_the_client_itself(client):
    from infra.api_auth import api_key_issue
    from infra.models import ApiKey

    raw = api_key_issue(key=ApiKey(name="crm-sync", scopes=["read", "write"]))
    headers = {"X-API-Key": raw}
    named = client.post(
        "/api/prospects",
        {"company_name": "Hotel Sole", "city": "Rome", "email": "gm@sole.example", "data_source_kind": "website",
         "data_source_detail": "https://sole.example/contatti", "data_source_at": "2026-11-02T09:00:00Z"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert named.status_code == 201, named.text
    body = named.json()
    assert (body["data_source_kind"], body["data_source_detail"]) == ("website", "https://sole.example/contatti")
    assert body["data_source_at"].startswith("2026-11-02T09:00:00")
    plain = client.post("/api/prospects", {"company_name": "Hotel Luna", "city": "Rome"},
                        content_type="application/json", headers=headers)  # fmt: skip
    prospect = Prospect.objects.get(pk=plain.json()["id"])
    assert prospect.data_source_kind == DataSourceKind.API
    assert prospect.data_source_detail == "added through the API by api-key:crm-sync"
    assert recent(prospect.data_source_at)
    refused = client.post("/api/prospects", {"company_name": "X", "data_source_kind": "rumour"},
                          content_type="application/json", headers=headers)  # fmt: skip
    assert refused.status_code == 422


def test_the_api_records_and_lists_consents(client):
    from infra.api_auth import api_key_issue
    from infra.models import ApiKey

    headers = {"X-API-Key": api_key_issue(key=ApiKey(name="forms", scopes=["read", "write"]))}
    prospect = ProspectFactory(country="DE")
    url = f"/api/prospects/{prospect.pk}/consents"
    empty = client.post(url, {"source": "web_form", "evidence": " "}, content_type="application/json", headers=headers)
    assert empty.status_code == 400 and not prospect.consents.exists()
    given = {"source": "web_form", "evidence": "form submission #8812", "given_at": "2026-11-30T08:00:00Z"}
    made = client.post(url, given, content_type="application/json", headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["recorded_by"] == "api-key:forms" and made.json()["evidence"] == "form submission #8812"
    listed = client.get(url, headers=headers).json()
    assert [c["source"] for c in listed] == ["web_form"]
    assert client.get(f"/api/prospects/{prospect.pk}", headers=headers).json()["consents"][0]["id"] == listed[0]["id"]


def test_a_delegated_colleague_records_the_referral(django_capture_on_commit_callbacks, monkeypatch, settings):
    from replies.pipeline import run_reply_processing
    from replies.services.ingest import reply_ingest
    from tests.replies.helpers import contacted, reply_to

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    original, email = contacted(
        name="Sarah Johnson", email="sarah@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    body = (
        "Hi Edd,\n\nThis isn't my area. I'll forward this to our Operations Director, Mike Peters "
        "(mike.peters@courtyard-denver.example), who handles vendor evaluations.\n\nThanks,\nSarah"
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_ingest(reply_to(email, body), source="imap").reply
    with django_capture_on_commit_callbacks(execute=True):
        run_reply_processing(reply.pk)
    delegate = Prospect.objects.get(email="mike.peters@courtyard-denver.example")
    assert delegate.data_source_kind == DataSourceKind.REFERRAL
    assert delegate.data_source_detail == f"referral by prospect #{original.pk} (reply #{reply.pk})"
    reply.refresh_from_db()
    assert delegate.data_source_at == reply.received_at


def test_a_prospect_added_in_the_admin_starts_as_entered_by_hand(admin_client):
    page = admin_client.get(reverse("admin:prospects_prospect_add"))
    form = page.context["adminform"].form
    assert form.initial["data_source_kind"] == DataSourceKind.MANUAL and recent(form.initial["data_source_at"])


def test_the_migration_backfills_what_can_be_inferred():
    backfill = importlib.import_module("prospects.migrations.0011_consent_and_data_source").backfill
    referrer = ProspectFactory()
    referred = ProspectFactory(referred_by=referrer, source=LeadSource.DELEGATION)
    enriched = ProspectFactory(source=LeadSource.LINKEDIN, company_website="https://adler.example")
    advert_only = ProspectFactory(source=LeadSource.INDEED, email="", company_website="")
    JobPostingFactory(prospect=advert_only, source="indeed", url="https://indeed.example/job/1")
    record = ProspectImport.objects.create(original_name="old.csv", file=ContentFile(b"x", "old.csv"))
    imported = ProspectFactory(source=LeadSource.CSV)
    record.report = [{"row": 4, "outcome": "created", "prospect": imported.pk}]
    record.save()
    by_hand = ProspectFactory(source=LeadSource.MANUAL)
    erased = ProspectFactory(stage=ProspectStage.LOST, lost_reason="personal data erased (GDPR)")
    Prospect.objects.update(data_source_kind="", data_source_detail="", data_source_at=None)
    backfill(django_apps, None)
    got = {p.pk: (p.data_source_kind, p.data_source_detail) for p in Prospect.objects.all()}
    assert got[referred.pk] == ("referral", f"referral by prospect #{referrer.pk}")
    assert got[enriched.pk] == ("website", "https://adler.example")
    assert got[advert_only.pk] == ("job_posting", "https://indeed.example/job/1")
    assert got[imported.pk] == ("import", f"import #{record.pk} old.csv, row 4")
    assert got[by_hand.pk] == ("manual", "")
    assert not Prospect.objects.filter(data_source_at__isnull=True).exists()
    assert Prospect.objects.get(pk=erased.pk).erased_at is not None


# --- the privacy line of the first email --------------------------------------------------------


def first_email(**prospect_fields) -> Email:
    campaign = CampaignFactory(name="Privacy", privacy_identity="Jengu Ltd (privacy@jengu.example)")
    return EmailFactory(prospect=ProspectFactory(**prospect_fields), campaign=campaign)


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"data_source_kind": "website", "data_source_detail": "https://www.hotel-x.example/en/contact?ref=1",
          "company_website": "https://hotel-x.example"},
         "We found your details on hotel-x.example/en/contact."),
        # a page not on the hotel's own site (an API client wrote it) is not named in our email
        ({"data_source_kind": "website", "data_source_detail": "https://win-a-prize.example/now",
          "company_website": "https://hotel-x.example"},
         "We found your details on your hotel's website."),
        ({"data_source_kind": "job_posting", "data_source_detail": "https://de.linkedin.com/jobs/view/4242"},
         "We came across your hotel in a job advert on LinkedIn."),
        ({"data_source_kind": "job_posting", "data_source_detail": "https://apply.careers-bot.example/j/1"},
         "We came across your hotel in a job advert."),
        ({"data_source_kind": "import", "linkedin_url": "https://www.linkedin.com/in/sarah"},
         "Your details came from a LinkedIn Sales Navigator export."),
        ({"data_source_kind": "import", "linkedin_url": ""},
         "Your details came from a business contact list we imported."),
        ({"data_source_kind": "email_finder"}, "We found your address with an email finder service (Hunter)."),
        ({"data_source_kind": "manual"}, "Ask us and we will tell you where we found your address."),
    ],
)  # fmt: skip
def test_the_first_emails_privacy_line_says_who_we_are_where_we_found_the_address_and_links_the_notice(fields, says):
    email = first_email(**fields)
    line = privacy_line(email)
    assert line.startswith("Jengu Ltd (privacy@jengu.example) sent you this email.")
    assert says in line
    assert line.endswith(f"https://crm.jengu.example/privacy/{email.campaign.pk}/")


def test_a_referral_names_the_colleague_by_their_stored_name_only():
    referrer = ProspectFactory(name="Sarah Johnson")
    email = first_email(data_source_kind="referral", referred_by=referrer)
    assert "Sarah Johnson suggested we speak with you." in privacy_line(email)
    nameless = first_email(data_source_kind="referral", referred_by=ProspectFactory(name="Front Desk"))
    assert "A colleague of yours suggested we contact you." in privacy_line(nameless)


def test_no_privacy_line_on_follow_ups_or_when_turned_off_unless_the_country_requires_it():
    email = first_email(data_source_kind="website", data_source_detail="https://a.example/team", country="US",
                        company_website="https://a.example")  # fmt: skip
    follow_up = EmailFactory(prospect=email.prospect, campaign=email.campaign, type=Email.Type.FOLLOW_UP,
                             sequence_step=2)  # fmt: skip
    assert privacy_line(follow_up) == ""
    email.campaign.privacy_line_enabled = False
    email.campaign.privacy_notice_url = "https://jengu.example/privacy"
    email.campaign.save()
    assert privacy_line(email) == ""  # US: the rule does not require it
    german = first_email(data_source_kind="website", data_source_detail="https://b.example/team", country="DE")
    german.campaign.refresh_from_db()
    assert not german.campaign.privacy_line_enabled
    assert privacy_line(german).endswith("https://jengu.example/privacy")  # GDPR country: always


def test_the_privacy_notice_page_is_public_and_names_the_campaigns_identity(client):
    campaign = CampaignFactory(name="Notice", privacy_identity="Jengu Ltd (privacy@jengu.example)")
    page = client.get(reverse("privacy_notice_campaign", args=[campaign.pk]))
    assert page.status_code == 200
    assert "Jengu Ltd (privacy@jengu.example)" in page.text and campaign.postal_address in page.text
    assert "24 months" in page.text and "unsubscribe" in page.text.lower()
    assert client.get(reverse("privacy_notice_campaign", args=[campaign.pk + 99])).status_code == 404
    assert client.post(reverse("privacy_notice_campaign", args=[campaign.pk])).status_code == 405
    assert client.get(reverse("privacy_notice")).status_code == 200
