"""Importing Sales Navigator / CSV exports into prospects, row by row, never half a row.

``prospect_import_run(prospect_import=...)`` reads the uploaded file and records, per
row, whether it created a prospect, merged onto an existing one (through
prospects.dedup, so a re-import creates nothing) or was skipped and why. Each row is
its own transaction; a bad row is reported and skipped, never the whole import.

What is checked, file-wide: size (``IMPORT_MAX_BYTES``), encoding (UTF-8, or a
Windows-1252 export, said so in the notes), delimiter, a Company column. The delimiter
is read from the header line alone (``header_delimiter``): the one of , ; tab | that
occurs most often there outside quotes, or the one Excel names in a ``sep=;`` first
line. The data lines cannot decide it: a semicolon export from Excel in a German,
French or Spanish locale holds commas in its values ("Denver, Colorado, United
States"), and a guess over the whole sample then picked commas, or gave up on rows
that end early and fell back to them. Per row: a company, a plausible email, and spreadsheet formulas
(``=HYPERLINK(…)``, ``@SUM(…)``) which are removed so they can never run in the
spreadsheet of whoever exports our data later.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.safe_fetch import PublicURLValidator
from prospects.dedup import prospect_ingest
from prospects.models import DataSourceKind, LeadSource, Prospect, ProspectImport
from prospects.provenance import data_source_after_ingest

logger = logging.getLogger(__name__)

# Sales Navigator, LinkedIn Recruiter, Apollo and hand-made exports name columns differently
COLUMN_ALIASES = {
    "first_name": ["first name", "firstname", "first", "given name"],
    "last_name": ["last name", "lastname", "last", "surname", "family name"],
    "name": ["name", "full name", "contact name", "contact"],
    "title": ["title", "job title", "position", "current title", "headline"],
    "company_name": ["company", "company name", "account name", "organization", "current company", "hotel"],
    "location": ["location", "geography", "person location"],
    "city": ["city", "town"],
    "region": ["region", "state", "province", "state/province"],
    "country": ["country", "country/region"],
    "linkedin_url": [
        "linkedin url",
        "linkedin",
        "profile url",
        "linkedin profile",
        "person linkedin url",
        "linkedin profile url",
        "sales navigator url",
    ],
    "email": ["email", "email address", "work email", "e-mail"],
    "company_website": ["website", "company website", "company domain", "domain", "company url"],
    "phone": ["phone", "phone number", "mobile", "work phone"],
}
FORMULA_START = ("=", "@", "\t", "\r")
FORMULA_SIGN = re.compile(r"^[+-]\s*[A-Za-z_(]")  # "+SUM(" is a formula, "+49 30 …" a phone number
DELIMITERS = ",;\t|"


class ImportRefused(Exception):
    """The file as a whole cannot be imported (size, encoding, columns): nothing was imported."""


def _is_formula(value: str) -> bool:
    return value.startswith(FORMULA_START) or bool(FORMULA_SIGN.match(value))


def _decode(raw: bytes, notes: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # mostly valid UTF-8 with a few broken lines: keep the file, the rows tell. A file whose
    # only non-ASCII bytes are all invalid UTF-8 is an 8-bit export (Excel's Windows-1252)
    lines = raw.split(b"\n")
    broken = sum(1 for line in lines if not _valid_utf8(line))
    some_utf8 = any(not line.isascii() and _valid_utf8(line) for line in lines)
    if some_utf8 and broken <= max(1, len(lines) // 20):
        notes.append(f"{broken} line(s) are not valid UTF-8 and were skipped.")
        return "\n".join(
            line.decode("utf-8-sig") if _valid_utf8(line) else "\x00INVALID-ENCODING\x00" for line in lines
        )
    notes.append("The file is not UTF-8; it was read as Windows-1252 (Excel's usual export).")
    return raw.decode("cp1252", errors="replace")


def _valid_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _map_columns(header: list[str]) -> dict[str, int]:
    normalized = [h.strip().strip('"').lower() for h in header]
    mapping = {}
    for field, aliases in COLUMN_ALIASES.items():
        for index, name in enumerate(normalized):
            if name in aliases:
                mapping[field] = index
                break
    return mapping


def header_delimiter(header_line: str) -> str:
    """The delimiter a file's header line uses: the candidate it holds most often outside
    quotes (ties go to the earlier of , ; tab |); a comma when it holds none (one column)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted  # a doubled quote inside a quoted name toggles twice: no change
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] else ","


def _read_rows(text: str, notes: list[str]) -> tuple[dict[str, int], list[tuple[int, list[str]]], list[str]]:
    first_line, _, rest = text.partition("\n")
    hint = first_line.rstrip("\r").lower()
    if hint.startswith("sep=") and len(hint) == 5 and hint[4] in DELIMITERS:
        # Excel's own hint line ("sep=;"): it names the delimiter and is not the header
        delimiter, text = hint[4], rest
    else:
        delimiter = header_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("The file is empty.") from None
    mapping = _map_columns(header)
    if "company_name" not in mapping:
        seen = ", ".join(h.strip() for h in header[:12]) or "(none)"
        raise ImportRefused(
            f"No Company column found (columns seen with delimiter {delimiter!r}: {seen}). "
            "Expected a header such as 'Company' or 'Company Name'."
        )
    if delimiter != ",":
        notes.append(f"Delimiter: {'tab' if delimiter == chr(9) else repr(delimiter)}.")
    try:
        rows = [(number, row) for number, row in enumerate(reader, start=2) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ImportRefused(
            f"The file stops reading as CSV at line {reader.line_num} ({exc}); often a quote that is never "
            "closed. Fix that line, or save the sheet again as CSV."
        ) from None
    return mapping, rows, header


def _cell(row: list[str], mapping: dict[str, int], field: str) -> str:
    index = mapping.get(field)
    return row[index].strip() if index is not None and index < len(row) else ""


def _row_fields(row: list[str], mapping: dict[str, int]) -> tuple[dict, list[str]]:
    """Prospect fields from one row, and the remarks (formulas removed, bad email…)."""
    from prospects.extraction import parse_location

    remarks = []
    values = {}
    for field in COLUMN_ALIASES:
        value = _cell(row, mapping, field)
        if value and _is_formula(value):
            remarks.append(f"formula removed from {field.replace('_', ' ')}")
            value = ""
        values[field] = value[:200]
    name = values["name"] or " ".join(p for p in (values["first_name"], values["last_name"]) if p)
    fields = {
        "company_name": values["company_name"],
        "name": name[:200],
        "title": values["title"],
        "phone": values["phone"][:40],
    }
    location = parse_location(
        ", ".join(p for p in (values["city"], values["region"], values["country"]) if p) or values["location"]
    )
    fields.update(
        city=location.city or values["city"],
        region=location.region or values["region"],
        country=location.country_code,
        timezone=location.timezone,
    )
    if values["email"]:
        try:
            validate_email(values["email"])
            fields["email"] = values["email"].lower()
        except ValidationError:
            remarks.append(f"invalid email '{values['email'][:60]}' ignored")
    for field in ("linkedin_url", "company_website"):
        url = values[field]
        if url and "//" not in url:
            url = f"https://{url}"
        try:
            if url:
                URLValidator()(url)
                if field == "company_website":
                    # the site will be fetched: a non-public host is refused here, with why
                    PublicURLValidator("website")(url)
                fields[field] = url[:300]
        except ValidationError as exc:
            why = exc.message.rstrip(".") if exc.code == PublicURLValidator.code else ""
            remarks.append(f"{why}; ignored" if why else f"invalid {field.replace('_', ' ')} ignored")
    return {name: _fit(name, value) for name, value in fields.items()}, remarks


def _fit(name: str, value):
    """A cell cut to its column's length (a 150-character City must not fail the row)."""
    limit = getattr(Prospect._meta.get_field(name), "max_length", None)
    return value[:limit] if isinstance(value, str) and limit else value


def _contact_key(fields: dict) -> str:
    """The hotel's primary prospect takes the first contact; a different person gets their own row."""
    from prospects.dedup import city_key, company_key

    primary = Prospect.objects.filter(
        company_key=company_key(fields["company_name"]),
        city_key=city_key(fields.get("city", "")),
        contact_key="",
        merged_into__isnull=True,
    ).first()
    person = fields.get("email") or fields.get("name", "").lower()
    if primary is None or not person:
        return ""
    known = {primary.email, primary.name.lower()} - {""}
    # the same person when either the address or the name matches (a names-only Sales
    # Navigator file first, then an export of the same people with their addresses)
    if not known or known & ({fields.get("email", ""), fields.get("name", "").lower()} - {""}):
        return ""
    return person[:254]


def import_source(mapping: dict[str, int]) -> LeadSource:
    """Where a file's people come from: a file with a LinkedIn profile column is a Sales
    Navigator export (the rule outreach.compliance tells the prospect), any other a CSV."""
    return LeadSource.SALES_NAVIGATOR if "linkedin_url" in mapping else LeadSource.CSV


def prospect_import_row(fields: dict, *, source_label: str) -> tuple[str, Prospect]:
    """Create or merge one row's prospect; returns ("created" | "merged", prospect).
    ``fields["source"]`` is the file's ``import_source`` (a CSV import when absent)."""
    fields = {"source": LeadSource.CSV, **fields, "contact_key": _contact_key(fields)}
    # a contact list is not a hiring signal: no JobPosting, only the prospect
    result = prospect_ingest(fields=fields, by=f"import:{source_label}")
    return ("created" if result.created else "merged"), result.prospect


def prospect_import_run(
    *,
    prospect_import: ProspectImport,
    on_progress: Callable[[int, int], None] | None = None,
    enqueue_enrichment: bool = True,
) -> ProspectImport:
    """Import every row of ``prospect_import.file``; progress is saved as it goes."""
    record = prospect_import
    record.status, record.error, record.notes, record.report = ProspectImport.Status.RUNNING, "", [], []
    record.created_count = record.merged_count = record.skipped_count = record.processed_rows = 0
    record.save()
    try:
        if record.file.size > settings.IMPORT_MAX_BYTES:
            raise ImportRefused(
                f"The file is {record.file.size / 2**20:.1f} MB; the limit is {settings.IMPORT_MAX_BYTES // 2**20} MB. "
                "Split it into smaller files."
            )
        with record.file.open("rb") as handle:
            text = _decode(handle.read(), record.notes)
        mapping, rows, _ = _read_rows(text, record.notes)
    except ImportRefused as exc:
        record.status, record.error, record.finished_at = ProspectImport.Status.FAILED, str(exc), timezone.now()
        record.save()
        return record

    record.total_rows = len(rows)
    record.save(update_fields=["total_rows", "notes"])
    try:
        _import_rows(record, mapping, rows, on_progress=on_progress, enqueue_enrichment=enqueue_enrichment)
    except Exception as exc:
        # a fault of ours, not of a row: the record says where it stopped instead of "running"
        record.status, record.finished_at = ProspectImport.Status.FAILED, timezone.now()
        record.error = f"Stopped after row {record.processed_rows + 1} of {len(rows)}: {type(exc).__name__}."
        record.save()
        raise
    record.status, record.finished_at = ProspectImport.Status.DONE, timezone.now()
    record.save()
    logger.info(
        "import #%s: %s created, %s merged, %s skipped",
        record.pk,
        record.created_count,
        record.merged_count,
        record.skipped_count,
    )
    return record


def _import_rows(record: ProspectImport, mapping, rows, *, on_progress, enqueue_enrichment) -> None:
    from prospects.services.enrichment import prospect_enrichment_enqueue

    label = f"csv#{record.pk}"
    source = import_source(mapping)
    file_name = (record.original_name or record.file.name.rsplit("/", 1)[-1])[:200]
    for done, (number, row) in enumerate(rows, start=1):
        entry = {"row": number}
        if "\x00INVALID-ENCODING\x00" in "".join(row):
            entry.update(outcome="skipped", reason="not valid UTF-8")
        else:
            fields, remarks = _row_fields(row, mapping)
            if not fields["company_name"]:
                entry.update(outcome="skipped", reason="; ".join(["missing company", *remarks]))
            else:
                try:
                    with transaction.atomic():
                        outcome, prospect = prospect_import_row({**fields, "source": source}, source_label=label)
                        # the file and row: the data source of a new prospect, or of one this row gave its address
                        data_source_after_ingest(
                            prospect=prospect,
                            created=outcome == "created",
                            fields=fields,
                            kind=DataSourceKind.IMPORT,
                            detail=f"import #{record.pk} {file_name}, row {number}",
                        )
                        if outcome == "created" and enqueue_enrichment:
                            prospect_enrichment_enqueue(prospect=prospect)
                except IntegrityError:
                    # e.g. a merge that would give this hotel an address another prospect holds
                    entry.update(outcome="skipped", reason="clashes with another prospect's email or website")
                except (DatabaseError, ApplicationError) as exc:
                    reason = exc.message if isinstance(exc, ApplicationError) else "a value the database refused"
                    entry.update(outcome="skipped", reason=reason)
                else:
                    entry.update(outcome=outcome, prospect=prospect.pk, company=prospect.company_name)
                    if remarks:
                        entry["reason"] = "; ".join(remarks)
        record.report.append(entry)
        counter = {"created": "created_count", "merged": "merged_count", "skipped": "skipped_count"}[entry["outcome"]]
        setattr(record, counter, getattr(record, counter) + 1)
        record.processed_rows = done
        if done % 200 == 0 or done == len(rows):
            record.save(update_fields=["processed_rows", "created_count", "merged_count", "skipped_count"])
            if on_progress:
                on_progress(done, len(rows))


def prospect_import_enqueue(*, prospect_import: ProspectImport, by) -> ProspectImport:
    """Run an uploaded import in the background (the admin shows its progress)."""
    from django.contrib.auth.models import AbstractBaseUser
    from django_q.tasks import async_task

    prospect_import.created_by = by.get_username() if isinstance(by, AbstractBaseUser) else str(by)
    prospect_import.original_name = prospect_import.original_name or prospect_import.file.name.rsplit("/", 1)[-1]
    prospect_import.save(update_fields=["created_by", "original_name"])
    import_id = prospect_import.pk
    transaction.on_commit(
        lambda: async_task(
            "prospects.tasks.prospect_import_task",
            import_id,
            task_name=f"import:{import_id}",
            sync=getattr(settings, "JENGU_TASKS_SYNC", False),
        )
    )
    return prospect_import
