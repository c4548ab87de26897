"""CSV / Sales Navigator import: mapping, bad rows, re-import, formulas, file-level refusals."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from prospects.imports import prospect_import_run
from prospects.models import LeadSource, Prospect, ProspectImport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(name_or_bytes, name="upload.csv"):
    content = (FIXTURES / name_or_bytes).read_bytes() if isinstance(name_or_bytes, str) else name_or_bytes
    record = ProspectImport.objects.create(original_name=name, file=ContentFile(content, name=name))
    return prospect_import_run(prospect_import=record)


def outcomes(record):
    return {e["row"]: (e["outcome"], e.get("reason", "")) for e in record.report}


def test_a_sales_navigator_export_creates_prospects_with_mapped_columns():
    record = run("sales_navigator_export.csv")
    assert (record.status, record.total_rows, record.created_count, record.skipped_count) == ("done", 5, 5, 0)
    sarah = Prospect.objects.get(email="sarah.johnson@cy-denver.example")
    assert (sarah.name, sarah.title, sarah.company_name) == (
        "Sarah Johnson",
        "General Manager",
        "Marriott Courtyard Denver",
    )
    assert (sarah.city, sarah.country.code, sarah.timezone) == ("Denver", "US", "America/Denver")
    assert sarah.linkedin_url == "https://www.linkedin.com/in/sarah-johnson-gm"
    assert sarah.source == LeadSource.SALES_NAVIGATOR  # the export names LinkedIn profiles
    juergen = Prospect.objects.get(company_name="Hotel Adlon Kempinski")
    assert juergen.name == "Jürgen Weiß" and juergen.country.code == "DE" and juergen.timezone == "Europe/Berlin"
    assert record.progress_percent == 100


def test_reimporting_the_same_file_merges_everything_and_creates_nothing():
    run("sales_navigator_export.csv")
    again = run("sales_navigator_export.csv")
    assert (again.created_count, again.merged_count, again.skipped_count) == (0, 5, 0)
    assert Prospect.objects.count() == 5


def test_each_kind_of_bad_row_is_reported_and_skipped_without_half_importing():
    record = run("bad_rows.csv")
    rows = outcomes(record)
    assert record.status == "done"
    assert rows[2][0] == "created"
    assert rows[3] == ("skipped", "missing company")
    # formula in the title: the cell is neutralised, the hotel is still imported
    assert rows[4][0] == "created" and "formula removed from title" in rows[4][1]
    sacher = Prospect.objects.get(company_name="Hotel Sacher")
    assert sacher.title == "" and "HYPERLINK" not in str(Prospect.objects.values())
    # a formula as the company: nothing left to import
    assert rows[5][0] == "skipped" and "missing company" in rows[5][1] and "formula removed" in rows[5][1]
    assert rows[6][0] == "created" and "invalid email" in rows[6][1]
    assert Prospect.objects.get(company_name="Hotel Esplanade").email == ""
    assert 7 not in rows  # the empty line is not a row
    assert rows[8][0] == "created" and "formula removed from title" in rows[8][1]
    assert rows[9][0] == "created"
    assert (record.created_count, record.skipped_count) == (5, 2)
    assert not Prospect.objects.filter(city="London").exists()  # the skipped row left nothing behind


def test_semicolon_delimited_files_are_read():
    record = run("semicolon.csv")
    assert record.created_count == 2
    assert any("Delimiter" in note for note in record.notes)
    assert Prospect.objects.filter(company_name="Hotel Danieli", country="IT").exists()


def test_a_windows_1252_export_is_read_and_said_so():
    record = run("windows1252.csv")
    assert record.created_count == 2
    assert any("Windows-1252" in note for note in record.notes)
    assert Prospect.objects.filter(name="José Müller", company_name="Café Hotel Zürich").exists()


def test_a_line_with_broken_encoding_is_skipped_alone():
    record = run("one_bad_line.csv")  # UTF-8 (row 4 is "Zoë Jones, Hôtel Three") with one garbled line
    rows = outcomes(record)
    assert rows[3] == ("skipped", "not valid UTF-8")
    assert record.created_count == 20 and record.skipped_count == 1
    assert Prospect.objects.filter(name="Zoë Jones", company_name="Hôtel Three").exists()


def test_a_windows_1252_file_with_one_accented_row_keeps_that_row():
    lines = ["Name,Company,City"] + [f"Guest {n},Hotel {n},London" for n in range(9)]
    lines.insert(5, "Anna Müller,Hôtel Müller,München")
    record = run("\r\n".join(lines).encode("cp1252"))
    assert record.created_count == 10 and record.skipped_count == 0
    assert Prospect.objects.filter(name="Anna Müller", company_name="Hôtel Müller").exists()


def test_a_file_without_a_company_column_is_refused_with_the_columns_seen():
    record = run("no_company_column.tsv", name="wrong.tsv")
    assert record.status == "failed"
    assert "No Company column" in record.error and "Employer" in record.error
    assert Prospect.objects.count() == 0


def test_a_50_mb_file_is_refused_before_reading(settings):
    record = run(b"Company,City\n" + b"x" * (50 * 1024 * 1024), name="huge.csv")
    assert record.status == "failed" and "limit is 20 MB" in record.error
    assert Prospect.objects.count() == 0


def test_an_empty_file_is_refused():
    record = run(b"", name="empty.csv")
    assert record.status == "failed" and "empty" in record.error


def test_a_second_person_at_the_same_hotel_becomes_a_second_contact():
    run(b"Name,Company,City,Email\nSarah Johnson,Hotel Sacher,Wien,sarah@sacher.example\n")
    record = run(
        b"Name,Company,City,Email\nMike Peters,Hotel Sacher,Wien,mike@sacher.example\n"
        b"Sarah Johnson,Hotel Sacher,Wien,sarah@sacher.example\n"
    )
    assert (record.created_count, record.merged_count) == (1, 1)
    assert set(Prospect.objects.values_list("name", flat=True)) == {"Sarah Johnson", "Mike Peters"}


def test_the_command_prints_a_summary_and_fails_loudly_on_a_refused_file(capsys, tmp_path):
    call_command("import_prospects", str(FIXTURES / "bad_rows.csv"))
    out = capsys.readouterr().out
    assert "5 created, 0 merged, 2 skipped" in out and "row 3: skipped — missing company" in out
    with pytest.raises(CommandError, match="No Company column"):
        call_command("import_prospects", str(FIXTURES / "no_company_column.tsv"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_prospects", str(tmp_path / "missing.csv"))


def test_a_bad_row_is_skipped_with_its_reason_and_the_rest_still_import():
    Prospect.objects.create(company_name="Hotel One", city="London", company_key="hotel one", city_key="london")
    Prospect.objects.create(company_name="Other Hotel", email="gm@taken.example", company_key="other", city_key="")
    long_city = "Llanfairpwllgwyngyll" * 8  # 160 characters; the column holds 100
    content = (
        "Name,Company,City,Email\n"
        "Anna Berg,Hotel One,London,gm@taken.example\n"  # would give Hotel One another prospect's address
        f"Carl Dahl,Hotel Two,{long_city},\n"
        "Dora Eck,Hotel Three,Paris,\n"
    ).encode()
    record = run(content)
    rows = outcomes(record)
    assert record.status == ProspectImport.Status.DONE
    assert rows[3][0] == "created" and rows[4][0] == "created"
    assert len(Prospect.objects.get(company_name="Hotel Two").city) <= 100
    assert rows[2] == ("skipped", "clashes with another prospect's email or website")
    assert Prospect.objects.filter(email="gm@taken.example").count() == 1


def test_a_quote_never_closed_refuses_the_file_and_says_where():
    rows = "".join(f"Guest {n},Hotel {n},London\n" for n in range(6000))
    content = ('Name,Company,City\nAnna,"Hotel One,London\n' + rows).encode()
    record = run(content)
    assert record.status == ProspectImport.Status.FAILED
    assert "line" in record.error and "quote" in record.error
    assert not Prospect.objects.exists()


def test_the_same_person_with_an_address_now_is_merged_not_added():
    run(b"Name,Company,City\nSarah Johnson,Harbour Hotel,Bristol\n")  # names only (Sales Navigator)
    record = run(b"Name,Company,City,Email\nSarah Johnson,Harbour Hotel,Bristol,sarah@harbour.example\n")
    assert record.merged_count == 1 and record.created_count == 0
    assert list(Prospect.objects.values_list("name", "email")) == [("Sarah Johnson", "sarah@harbour.example")]


def test_a_fault_of_ours_mid_import_marks_the_import_failed_not_running(monkeypatch):
    def broken(fields, *, source_label):
        raise RuntimeError("a bug")

    monkeypatch.setattr("prospects.imports.prospect_import_row", broken)
    record = ProspectImport.objects.create(original_name="x.csv", file=ContentFile(b"Company\nHotel One\n", "x.csv"))
    with pytest.raises(RuntimeError):
        prospect_import_run(prospect_import=record)
    record.refresh_from_db()
    assert record.status == ProspectImport.Status.FAILED and record.finished_at is not None
    assert record.error == "Stopped after row 1 of 1: RuntimeError."


# --- the delimiter Europe's spreadsheets write (Excel in German, French, Spanish locales) ---------------

EUROPEAN_HEADER = "First Name;Last Name;Title;Company;Location;LinkedIn URL;Email"
SARAH = (
    "Sarah;Johnson;General Manager;Marriott Courtyard Denver;Denver, Colorado, United States;"
    "https://www.linkedin.com/in/sarah-johnson-gm;sarah.johnson@cy-denver.example"
)
JUERGEN = "Jürgen;Weiß;Hoteldirektor;Hotel Adlon Kempinski;Berlin, Berlin, Germany;;"


def test_a_semicolon_export_whose_values_hold_commas_is_read_with_semicolons():
    # the data lines hold more commas than semicolons: only the header says which is the delimiter
    # rows that end early (a hand-edited sheet, an exporter that drops trailing empty cells) made
    # the sniffer give up on the whole sample, and the import fell back to commas
    guests = [f"Guest;{n};GM;Hotel {n};Denver, Colorado, United States;;gm{n}@hotel{n}.example" for n in range(30)]
    guests[3], guests[7] = "Tom;Baker;GM;Hotel Three;Berlin, Germany", "Eva;Lund;GM;Hotel Seven"
    content = "\r\n".join([EUROPEAN_HEADER, SARAH, JUERGEN, *guests, "Ana;García;Directora;Hotel Arts, Barcelona;"
                           "Barcelona, Catalonia, Spain;;ana@hotelarts.example"]).encode()  # fmt: skip
    record = run(content)
    assert (record.status, record.created_count, record.skipped_count) == ("done", 33, 0), record.error
    assert "Delimiter: ';'." in record.notes
    sarah = Prospect.objects.get(email="sarah.johnson@cy-denver.example")
    assert (sarah.name, sarah.title, sarah.company_name) == ("Sarah Johnson", "General Manager",
                                                            "Marriott Courtyard Denver")  # fmt: skip
    assert (sarah.city, sarah.country.code, sarah.timezone) == ("Denver", "US", "America/Denver")
    assert Prospect.objects.get(email="ana@hotelarts.example").company_name == "Hotel Arts, Barcelona"
    assert Prospect.objects.get(company_name="Hotel Adlon Kempinski").country.code == "DE"


def test_a_semicolon_export_in_windows_1252_with_commas_is_read():
    guests = [f"Guest;{n};GM;Hotel {n};München, Bayern, Deutschland;;" for n in range(30)]
    guests[5] = "Max;Huber;GM;Hotel Five;Wien, Österreich"
    content = "\r\n".join([EUROPEAN_HEADER, SARAH, JUERGEN, *guests]).encode("cp1252")
    record = run(content)
    assert record.created_count == 32, record.error
    assert Prospect.objects.filter(name="Jürgen Weiß", city="Berlin").exists()


def test_a_quoted_semicolon_inside_a_value_stays_in_the_value():
    content = (
        'Name;Company;Title;City\n"Luc Martin";"Hôtel du Palais; Biarritz";"Directeur; Revenue";Biarritz\n'
        "Eva Lund;Hotel Sky;GM;Stockholm\n"
    ).encode()
    record = run(content)
    assert record.created_count == 2, record.error
    luc = Prospect.objects.get(name="Luc Martin")
    assert (luc.company_name, luc.title, luc.city) == ("Hôtel du Palais; Biarritz", "Directeur; Revenue", "Biarritz")


def test_a_header_with_a_quoted_semicolon_in_a_column_name_is_comma_delimited():
    content = b'Name,"Company; legal name",Company,City\nEva Lund,Sky AB; Stockholm,Hotel Sky,Stockholm\n'
    record = run(content)
    assert record.created_count == 1, record.error
    assert Prospect.objects.get(name="Eva Lund").company_name == "Hotel Sky"
    assert not any("Delimiter" in note for note in record.notes)


def test_a_tab_separated_export_with_commas_in_values_is_read():
    content = (
        b"First Name\tLast Name\tCompany\tLocation\tEmail\n"
        b"Sarah\tJohnson\tMarriott Courtyard Denver\tDenver, Colorado, United States\tsarah@cy-denver.example\n"
    )
    record = run(content, name="export.tsv")
    assert record.created_count == 1, record.error
    assert "Delimiter: tab." in record.notes
    assert Prospect.objects.get(email="sarah@cy-denver.example").city == "Denver"


def test_a_pipe_delimited_file_is_read():
    record = run(b"Name|Company|City\nEva Lund|Hotel Sky, Stockholm|Stockholm\n")
    assert record.created_count == 1, record.error
    assert Prospect.objects.get(name="Eva Lund").company_name == "Hotel Sky, Stockholm"


def test_excels_sep_line_names_the_delimiter_and_is_not_a_header():
    content = ("sep=;\r\n" + EUROPEAN_HEADER + "\r\n" + SARAH + "\r\n").encode()
    record = run(content)
    assert record.created_count == 1, record.error
    assert Prospect.objects.get(email="sarah.johnson@cy-denver.example").city == "Denver"


def test_a_comma_file_whose_values_hold_semicolons_stays_comma_delimited():
    content = b'Name,Company,Title,City\nAnna Berg,Hotel One,"GM; Owner",London\nCarl Dahl,Hotel Two,GM; Owner,Paris\n'
    record = run(content)
    assert record.created_count == 2, record.error
    assert set(Prospect.objects.values_list("title", flat=True)) == {"GM; Owner"}


def test_a_file_without_linkedin_profiles_is_recorded_as_a_csv_import():
    run(b"Name,Company,City,Email\nSarah Johnson,Harbour Hotel,Bristol,sarah@harbour.example\n")
    assert Prospect.objects.get().source == LeadSource.CSV


def test_a_company_name_loses_the_newline_or_tab_of_its_cell():
    run(b'Company,City\n"Harbour\nHotel",Bristol\n"Grand\t Hotel  Central",Bristol\n')
    assert sorted(Prospect.objects.values_list("company_name", flat=True)) == ["Grand Hotel Central", "Harbour Hotel"]
