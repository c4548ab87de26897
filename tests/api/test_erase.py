"""POST /api/prospects/{id}/erase: no trace of the person in any table; the address stays blocked."""

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from infra.events import event_record
from infra.models import Event
from outreach.models import SinkMessage, Suppression
from outreach.services.suppression import suppression_blocks
from prospects.models import EmailVerification, Note, Prospect, ProspectImport, Task
from prospects.services.notes import note_add, task_add
from tests.api.conftest import ApiClient
from tests.factories import (
    EmailFactory,
    ProspectFactory,
    ReplyFactory,
    ResearchReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NAME = "Zoë Lindqvist"
ADDRESS = "zoe.lindqvist@grand-harbour.example"
PERSONAL_ADDRESS = "zoe.private@mailbox.example"  # she once replied from her own address


def _personal_mentions(needles):
    """Every (model, field, pk) whose text still contains one of ``needles`` — all tables, all text columns."""
    found = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables or model._meta.proxy:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values("pk", *[f.attname for f in fields]):
            for field in fields:
                value = row[field.attname]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                for needle in needles:
                    if text and needle.lower() in text.lower():
                        found.append((model._meta.label, field.attname, row["pk"], needle))
    return found


@pytest.fixture
def person():
    prospect = ProspectFactory(
        name=NAME,
        email=ADDRESS,
        phone="+44 117 496 0000",
        title="General Manager",
        linkedin_url="https://www.linkedin.com/in/zoe-lindqvist",
        company_name="Grand Harbour Hotel",
        research_report={"summary": f"{NAME} joined as GM in 2024", "contacts": [ADDRESS]},
    )
    ResearchReportFactory(prospect=prospect, summary=f"Interview with {NAME}", news=[f"{NAME} appointed GM"])
    email = EmailFactory(
        prospect=prospect, subject=f"{NAME.split()[0]}, faster check-ins?", body=f"Hi {NAME},\nA short note."
    )
    ReplyFactory(
        email=email,
        from_email=ADDRESS,
        from_name=NAME,
        body="Interested, call me.",
        raw_body=f"Interested, call me.\n-- \n{NAME}\n{ADDRESS}",
        delegated_to_name="Ola Nordmann",
    )
    ReplyFactory(email=email, from_email=PERSONAL_ADDRESS, from_name=NAME, body="From my phone")
    colleague = ProspectFactory(referral_note=f"{NAME} suggested we write to you")
    # what sales wrote about her: a note and a task, one not naming her
    seller = UserFactory(username="sally")
    note_add(prospect=prospect, text=f"{NAME} prefers calls after 4pm", by=seller)
    note_add(prospect=prospect, text="Her daughter starts university in Lund in May", by=seller)
    task_add(prospect=prospect, title="Call about the spa wing", due_at=timezone.now(), by=seller)
    note_add(prospect=colleague, text="Met at ITB Berlin", by=seller)  # another person's note stays
    event_record("sequence.stopped", message=f"{NAME} — Grand Harbour Hotel: replied", data={"who": NAME})
    event_record("email.sent", message=f"sent to {ADDRESS}", data={"email_id": email.pk, "to": ADDRESS})
    SinkMessage.objects.create(
        mail_from="edd@mail.jengu.test", rcpt_to=ADDRESS, subject="Hi", raw=f"To: {NAME} <{ADDRESS}>"
    )
    EmailVerification.objects.create(address=ADDRESS, result="ok", score=0.99, provider="sandbox")
    ProspectImport.objects.create(
        file="imports/x.csv", report=[{"row": 2, "outcome": "created", "email": ADDRESS, "name": NAME}]
    )
    LogEntry.objects.create(
        user=UserFactory(),
        content_type=ContentType.objects.get_for_model(Prospect),
        object_id=str(prospect.pk),
        object_repr=str(prospect),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["email"]}}]),
    )
    return prospect, colleague


def test_erase_leaves_no_personal_data_anywhere_and_keeps_the_address_suppressed(api, person):
    prospect, colleague = person
    assert _personal_mentions([NAME, ADDRESS, PERSONAL_ADDRESS])  # the fixture really spreads her data

    response = api.post(f"/api/prospects/{prospect.pk}/erase")
    assert response.status_code == 200, response.content
    assert response.json()["addresses_suppressed"] == 2

    assert _personal_mentions([NAME, ADDRESS, PERSONAL_ADDRESS, "Lindqvist", "+44 117 496 0000", "Ola Nordmann"]) == []
    for address in (ADDRESS, PERSONAL_ADDRESS):
        entry = suppression_blocks(address)
        assert entry is not None and entry.value == "" and entry.reason == Suppression.Reason.ERASURE

    prospect.refresh_from_db()
    assert (prospect.company_name, prospect.city) == ("Grand Harbour Hotel", "Denver")  # company data stays
    assert prospect.stage == "lost"
    colleague.refresh_from_db()
    assert colleague.referral_note == "[erased] suggested we write to you"
    assert Event.objects.get(name="prospect.erased").actor == "api-key:test-admin"
    assert not EmailVerification.objects.exists() and not SinkMessage.objects.exists()
    # notes and tasks about her went with her; a colleague's stay
    assert not Note.objects.filter(prospect=prospect).exists() and not Task.objects.filter(prospect=prospect).exists()
    assert list(Note.objects.values_list("text", flat=True)) == ["Met at ITB Berlin"]


def test_erase_scrubs_the_import_files_and_the_hotels_stored_pages(api, settings, tmp_path):
    from django.core.files.base import ContentFile

    from prospects.models import WebsitePage

    settings.MEDIA_ROOT = tmp_path
    prospect = ProspectFactory(name=NAME, email=ADDRESS, company_website="https://grand-harbour.example")
    upload = ProspectImport(original_name="navigator.csv")
    other_row = "Ola Nordmann,ola@fjord-hotel.example,Fjord Hotel"
    upload.file.save("navigator.csv", ContentFile(f"name,email,company\n{NAME},{ADDRESS},Grand Harbour\n{other_row}\n"))
    latin1 = ProspectImport(original_name="old-export.csv")  # Zoë in Latin-1, as old Excel exports are
    latin1.file.save("old-export.csv", ContentFile(f"{NAME};GM\n".encode("latin-1")))
    team_page = WebsitePage(url="https://grand-harbour.example/team", domain="grand-harbour.example")
    team_page.html.save("team.html", ContentFile(f"<p>Our GM {NAME.upper()}: <a>{ADDRESS}</a></p>".encode()))
    elsewhere = WebsitePage(url="https://other.example/", domain="other.example")
    elsewhere.html.save("other.html", ContentFile(f"<p>{NAME} spoke here</p>".encode()))

    body = api.post(f"/api/prospects/{prospect.pk}/erase").json()
    assert (body["files_scrubbed"], body["files_failed"]) == (3, 0)

    def read(field_file):  # the file the row names now
        row = type(field_file.instance).objects.get(pk=field_file.instance.pk)
        return (tmp_path / getattr(row, field_file.field.attname).name).read_bytes()

    text = read(upload.file).decode()
    assert NAME not in text and ADDRESS not in text and other_row in text and "[erased],[erased]" in text
    assert read(latin1.file) == b"[erased];GM\n"
    assert read(team_page.html) == b"<p>Our GM [erased]: <a>[erased]</a></p>"
    # another site's page is not the hotel's: left alone (the person is not its subject)
    assert NAME.encode() in read(elsewhere.html)
    # and no earlier copy is left behind on disk
    holding = {f.name for f in tmp_path.rglob("*") if f.is_file() and NAME.split()[1].encode() in f.read_bytes()}
    assert holding == {Path(elsewhere.html.name).name}


def test_a_file_that_cannot_be_scrubbed_is_counted_and_logged(api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    prospect = ProspectFactory(name=NAME, email=ADDRESS)
    (tmp_path / "imports" / "broken.csv").mkdir(parents=True)  # unreadable as a file, even for root
    ProspectImport.objects.create(file="imports/broken.csv")
    body = api.post(f"/api/prospects/{prospect.pk}/erase").json()
    assert body["files_failed"] == 1 and body["addresses_suppressed"] == 1
    event = Event.objects.get(name="prospect.erased")
    assert event.level == "warning" and "could not be scrubbed" in event.message


def test_erase_keeps_an_existing_suppression_and_blanks_its_value(api):
    prospect = ProspectFactory(email=ADDRESS, name=NAME)
    Suppression.objects.create(kind="address", value=ADDRESS, reason="unsubscribe")
    assert api.post(f"/api/prospects/{prospect.pk}/erase").status_code == 200
    entry = Suppression.objects.get()
    assert (entry.value, entry.reason) == ("", "unsubscribe")
    assert suppression_blocks(ADDRESS) == entry


def test_erase_errors(api, reader, anonymous, client, make_key):
    prospect = ProspectFactory()
    assert api.post("/api/prospects/999999/erase").status_code == 404
    assert api.post("/api/prospects/0/erase").status_code == 422
    assert reader.post(f"/api/prospects/{prospect.pk}/erase").status_code == 403
    _, writer = make_key("read", "write", "operate", name="writer")  # erasure has its own scope
    assert ApiClient(client, writer).post(f"/api/prospects/{prospect.pk}/erase").status_code == 403
    assert anonymous.post(f"/api/prospects/{prospect.pk}/erase").status_code == 401
    prospect.refresh_from_db()
    assert prospect.name
