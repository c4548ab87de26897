"""The suppression list in the admin: adding and removing through the services, the CSV import."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from infra.models import Event
from outreach.models import Suppression
from outreach.services.suppression import suppression_add, suppression_blocks

pytestmark = pytest.mark.django_db

ADD = reverse("admin:outreach_suppression_add")
CHANGELIST = reverse("admin:outreach_suppression_changelist")
IMPORT = reverse("admin:outreach_suppression_import")


def upload(client, text: str, name: str = "suppressions.csv", encoding: str = "utf-8"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode(encoding), "text/csv")}, follow=True)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_address_added_in_the_admin_blocks_the_next_send(admin_client):
    response = admin_client.post(ADD, {"kind": "address", "value": " GM@Harbourview.example ", "reason": "manual"})
    assert response.status_code == 302
    entry = suppression_blocks("gm@harbourview.example")
    assert entry is not None
    assert (entry.value, entry.reason, entry.source) == ("gm@harbourview.example", "manual", "admin:root-admin")
    event = Event.objects.get(name="suppression.added")
    assert event.actor == "user:root-admin"  # written by suppression_add, with who did it
    assert response.url == CHANGELIST


def test_a_domain_added_in_the_admin_blocks_every_address_there(admin_client):
    admin_client.post(ADD, {"kind": "domain", "value": "@casadelrio.example", "reason": "manual", "source": "GM call"})
    assert suppression_blocks("reservations@casadelrio.example").source == "GM call"
    assert suppression_blocks("gm@harbourview.example") is None


def test_a_bad_or_duplicate_value_is_a_form_error(admin_client):
    suppression_add(kind="address", value="gm@harbourview.example", reason="unsubscribe", source="link")
    duplicate = admin_client.post(ADD, {"kind": "address", "value": "gm@harbourview.example", "reason": "manual"})
    assert duplicate.status_code == 200
    assert "Already suppressed" in duplicate.content.decode()
    invalid = admin_client.post(ADD, {"kind": "address", "value": "not an address", "reason": "manual"})
    assert "is not an email address" in invalid.content.decode()
    assert Suppression.objects.count() == 1


def test_an_entry_is_read_only_once_added(admin_client):
    entry, _ = suppression_add(kind="address", value="gm@harbourview.example", reason="unsubscribe")
    page = admin_client.get(reverse("admin:outreach_suppression_change", args=[entry.pk]))
    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()


def test_deleting_goes_through_suppression_remove(admin_client):
    one, _ = suppression_add(kind="address", value="a@hotel.example", reason="manual")
    two, _ = suppression_add(kind="address", value="b@hotel.example", reason="manual")
    three, _ = suppression_add(kind="domain", value="inn.example", reason="manual")
    admin_client.post(reverse("admin:outreach_suppression_delete", args=[one.pk]), {"post": "yes"})
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"})
    assert not Suppression.objects.exists()
    removed = Event.objects.filter(name="suppression.removed")
    assert sorted(removed.values_list("data__suppression_id", flat=True)) == sorted([one.pk, two.pk, three.pk])
    assert set(removed.values_list("actor", flat=True)) == {"user:root-admin"}
    assert suppression_blocks("a@hotel.example") is None


def test_the_changelist_offers_the_csv_import(admin_client):
    page = admin_client.get(CHANGELIST)
    assert IMPORT in page.content.decode()
    assert "Import CSV" in page.content.decode()
    form = admin_client.get(IMPORT)
    assert form.status_code == 200 and 'type="file"' in form.content.decode()


def test_csv_import_counts_created_existing_and_invalid_rows(admin_client):
    suppression_add(kind="address", value="already@hotel.example", reason="unsubscribe", source="link")
    csv_text = (
        "email,reason\n"
        "gm@harbourview.example,unsubscribe\n"
        "Front.Desk@Casadelrio.example,\n"
        "already@hotel.example,manual\n"
        "gm@harbourview.example,complaint\n"  # a duplicate inside the file
        "not-an-address,manual\n"
        "ops@inn.example,angry\n"
        "\n"
    )
    response = upload(admin_client, csv_text)
    assert response.redirect_chain[-1][0] == CHANGELIST
    messages = texts(response)
    assert messages[0] == "Imported: 2 added, 2 already there, 2 invalid."
    assert "line 6: 'not-an-address' is not an email address." in messages[1]
    assert "line 7: unknown reason 'angry'" in messages[1]

    assert suppression_blocks("gm@harbourview.example").reason == "unsubscribe"
    front_desk = suppression_blocks("front.desk@casadelrio.example")
    assert (front_desk.reason, front_desk.source) == ("manual", "csv import by root-admin: suppressions.csv")
    assert suppression_blocks("already@hotel.example").source == "link"  # untouched
    assert Suppression.objects.count() == 3


def test_csv_import_of_domains_with_semicolons_and_a_bom(admin_client):
    response = upload(admin_client, "\ufeffDomain;Reason\nharbourview.example;complaint\n@inn.example;\n")
    assert texts(response)[0] == "Imported: 2 added, 0 already there, 0 invalid."
    assert suppression_blocks("anyone@harbourview.example").reason == "complaint"
    assert suppression_blocks("gm@inn.example").kind == "domain"


def test_csv_without_an_email_or_domain_column_is_refused(admin_client):
    response = upload(admin_client, "name,company\nAnna,Inn\n")
    assert response.status_code == 200
    assert "needs a header row with an &#x27;email&#x27; or a &#x27;domain&#x27; column" in response.content.decode()
    assert not Suppression.objects.exists()


def test_sales_may_add_and_import_but_not_delete(client, sales_user):
    client.force_login(sales_user)
    assert "Import CSV" in client.get(CHANGELIST).content.decode()
    client.post(ADD, {"kind": "address", "value": "gm@harbourview.example", "reason": "manual"})
    upload(client, "email\nfrontdesk@harbourview.example\n")
    assert suppression_blocks("gm@harbourview.example").source == "admin:sally-sales"
    assert suppression_blocks("frontdesk@harbourview.example") is not None
    entry = Suppression.objects.first()
    assert (
        client.post(reverse("admin:outreach_suppression_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert Suppression.objects.count() == 2


def test_csv_import_needs_the_add_permission(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="no-perms"))
    assert client.get(IMPORT).status_code == 403
