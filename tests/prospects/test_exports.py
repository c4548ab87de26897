"""CSV exports of the prospect list: cells a spreadsheet would execute are escaped, the list is
streamed as filtered, and a large one is written in the background with progress and a download."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse

from infra.exports import csv_cell, csv_lines
from infra.models import BulkOperation, Event
from jengu.exports import PROSPECTS
from prospects.models import ProspectStage
from tests.factories import ProspectFactory, UserFactory

pytestmark = pytest.mark.django_db
EXPORT = "/admin/prospects/prospect/export/"


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


@pytest.mark.parametrize(
    "value",
    ["=HYPERLINK(\"https://evil.example\",\"click\")", "+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
     "\t=1+1", "\r=1+1"],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_execute_is_text(value):
    assert csv_cell(value) == "'" + value


def test_other_cells_are_left_as_they_are():
    assert csv_cell("Hotel Adlon, Berlin") == "Hotel Adlon, Berlin"
    assert csv_cell("O'Brien") == "O'Brien"
    assert csv_cell(-3) == -3 and csv_cell(0.25) == 0.25  # numbers are numbers
    assert (csv_cell(None), csv_cell(True), csv_cell(False)) == ("", "yes", "no")


def test_quotes_commas_and_line_breaks_stay_inside_their_cell():
    prospect = ProspectFactory.build(
        pk=7, company_name='Hotel "Sacher", Wien', name="Anna\nBerg", title="=cmd|' /C calc'!A0"
    )
    lines = "".join(csv_lines(PROSPECTS, [prospect]))
    row = next(csv.DictReader(io.StringIO(lines)))
    assert (row["company"], row["contact name"], row["title"]) == ('Hotel "Sacher", Wien', "Anna\nBerg",
                                                                   "'=cmd|' /C calc'!A0")  # fmt: skip


def test_the_export_is_the_list_as_filtered_streamed_and_logged(client, sales_user):
    ProspectFactory(company_name='=HYPERLINK("https://evil.example")', stage=ProspectStage.CONTACTED, owner=sales_user)
    ProspectFactory(company_name="Hotel Sacher", stage=ProspectStage.CONTACTED, phone="+43 1 514560")
    ProspectFactory(company_name="Hotel Adlon", stage=ProspectStage.NEW)
    client.force_login(sales_user)
    listing = client.get("/admin/prospects/prospect/?stage__exact=contacted").content.decode()
    assert 'href="export/?stage__exact=contacted"' in listing  # the link carries the list's filters

    response = client.get(f"{EXPORT}?stage__exact=contacted")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="prospects-')
    rows = rows_of(response)
    assert sorted(r["company"] for r in rows) == ['\'=HYPERLINK("https://evil.example")', "Hotel Sacher"]
    assert {r["company"]: r["owner"] for r in rows}["Hotel Sacher"] == ""
    assert next(r for r in rows if r["company"] == "Hotel Sacher")["phone"] == "'+43 1 514560"
    event = Event.objects.get(name="export.csv")
    assert event.actor == f"user:{sales_user.username}" and event.data["rows"] == 2
    assert event.data["filters"] == "stage__exact=contacted"

    mine = rows_of(client.get(f"{EXPORT}?owner=mine"))
    assert [r["owner"] for r in mine] == [sales_user.username]
    searched = rows_of(client.get(f"{EXPORT}?q=adlon"))
    assert [r["company"] for r in searched] == ["Hotel Adlon"]


def test_exporting_the_selected_rows_with_the_list_action(client, sales_user):
    chosen, _ = ProspectFactory(company_name="Chosen Hotel"), ProspectFactory(company_name="Other Hotel")
    client.force_login(sales_user)
    response = client.post(
        "/admin/prospects/prospect/", {"action": "export_csv", "_selected_action": [chosen.pk], "index": 0}
    )
    assert [r["company"] for r in rows_of(response)] == ["Chosen Hotel"]


def test_who_cannot_view_prospects_cannot_export_them(client):
    stranger = UserFactory(username="no-perms")
    client.force_login(stranger)
    assert client.get(EXPORT).status_code == 403
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_prospect"))
    client.force_login(viewer)
    assert client.get(EXPORT).status_code == 200


def test_above_the_limit_the_export_runs_in_the_background_and_only_its_author_downloads_it(
    client, sales_user, ops_user, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.JENGU_TASKS_SYNC = True
    settings.EXPORT_ROOT = tmp_path / "exports"
    monkeypatch.setattr("infra.exports.EXPORT_INLINE_LIMIT", 5)
    monkeypatch.setattr("infra.bulk.CHUNK", 4)  # several chunks: the header is written once
    ProspectFactory.create_batch(11, stage=ProspectStage.CONTACTED)
    ProspectFactory(company_name="@SUM(1+1)*cmd|' /C calc'!A0", stage=ProspectStage.CONTACTED)
    ProspectFactory(stage=ProspectStage.NEW)  # filtered out
    client.force_login(sales_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"{EXPORT}?stage__exact=contacted")
    operation = BulkOperation.objects.get()
    assert response.status_code == 302 and response.url == f"/admin/infra/bulkoperation/{operation.pk}/change/"
    assert (operation.status, operation.total, operation.processed) == ("finished", 12, 12)

    progress = client.get(response.url).content.decode()  # Sales may see the progress page
    assert 'id="bulk-progress"' in progress and 'id="export-download"' in progress
    download = client.get(f"/admin/infra/bulkoperation/{operation.pk}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    rows = rows_of(download)
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {r["company"] for r in rows}
    assert not (settings.MEDIA_ROOT / "exports").exists()  # never where media is served from

    client.force_login(ops_user)  # somebody else's file
    assert client.get(f"/admin/infra/bulkoperation/{operation.pk}/download/").status_code == 403
